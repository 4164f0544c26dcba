"""A pytest plugin that imports one library module from a mutated copy of its source.

``tools.mutation`` runs ``pytest -p tools.mutant_loader`` with MUTANT_MODULE (a dotted module
name) and MUTANT_SOURCE (a file holding the mutated source). The plugin is loaded before any
conftest, so the first import of that module, by the tests or the code they call, runs the
mutant; the file in the work tree is never touched, nor its bytecode cache.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType


class MutantFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``module`` (only) and executes ``source`` in its place, with the real file name as origin."""

    def __init__(self, module: str, source: str) -> None:
        self.module = module
        self.source = source

    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != self.module:
            return None
        sys.meta_path.remove(self)
        try:
            real = importlib.util.find_spec(fullname)
        finally:
            sys.meta_path.insert(0, self)
        if real is None or real.origin is None:
            raise ImportError(f"mutant_loader: cannot find {fullname}")
        return importlib.util.spec_from_file_location(fullname, real.origin, loader=self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        exec(compile(self.source, module.__spec__.origin or self.module, "exec"), module.__dict__)


_MODULE = os.environ.get("MUTANT_MODULE")
_SOURCE = os.environ.get("MUTANT_SOURCE")
if _MODULE and _SOURCE:
    if _MODULE in sys.modules:
        raise RuntimeError(f"mutant_loader: {_MODULE} was imported before the plugin")
    sys.meta_path.insert(0, MutantFinder(_MODULE, Path(_SOURCE).read_text(encoding="utf-8")))
