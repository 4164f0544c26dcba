"""Untrusted files: a crafted model file or params.yaml never runs code; no shell, no plain-http download.

A pickle runs whatever its ``__reduce__`` names when it is loaded; a skops file can hand out
``os.system`` if its type is trusted. The crafted files below would create a marker file
(through ``os.system``) if anything loaded them unsafely; each test
checks the file is refused with a PipelineError (or, for a stage, one line and exit 2) and
the marker never appears. Statically: no stage command interpolates a parameter, and the
library has no shell, eval, pickle or unsafe YAML call.
"""

from __future__ import annotations

import ast
import io
import os
import pickle
import re
import shutil
import socket
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path
from typing import Any

import helpers
import numpy as np
import pytest
import workspaces
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from pipelib import skops_file
from pipelib.errors import PipelineError
from pipelib.mnist import models as mnist_models
from pipelib.mnist import source as mnist_source
from pipelib.params import load_params
from pipelib.titanic import data as titanic_data
from pipelib.titanic.model import load as load_titanic_model


class ShellPayload:
    """Unpickling this runs ``touch <marker>`` through ``os.system``: a stand-in for any code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (os.system, (f"touch {self.marker}",))


def craft_pickle(path: Path, marker: Path) -> None:
    """A bare pickle (what joblib.dump or pickle.dump of a model gives) named like a model file."""
    path.write_bytes(pickle.dumps(ShellPayload(marker)))


def craft_mnist_skops(path: Path, marker: Path) -> None:
    """An MNIST-shaped skops file (a fitted LogisticRegression) carrying ``os.system`` and the command it would run."""
    model = helpers.hand_digit_model(np.zeros((10, 784)), np.zeros(10), np.arange(10))
    model.callback, model.command = os.system, f"touch {marker}"
    skops_file.save(model, path)


def craft_skops(path: Path, marker: Path) -> None:
    """A Titanic-shaped skops file whose preprocessing calls ``os.system`` on the passengers it is given."""
    columns = ColumnTransformer([("shell", FunctionTransformer(os.system), ["Name"])])
    skops_file.save(Pipeline([("preprocess", columns), ("model", LogisticRegression())]), path)


def test_the_crafted_files_are_live(tmp_path: Path) -> None:
    """Control: loaded the unsafe way, the pickle runs its command, and the skops file hands out ``os.system``."""
    marker = tmp_path / "marker"
    craft_pickle(tmp_path / "evil.skops", marker)
    pickle.loads((tmp_path / "evil.skops").read_bytes())  # the unsafe way, on purpose
    assert marker.exists()
    marker.unlink()
    craft_mnist_skops(tmp_path / "evil.skops", marker)
    loaded = skops_file.load(tmp_path / "evil.skops", [*skops_file.ESTIMATOR_TYPES, "posix.system"])
    loaded.callback(loaded.command)
    assert marker.exists()


@pytest.mark.parametrize(
    ("craft", "expected"),
    [
        (craft_pickle, "refused, a pickle file (expected a skops zip archive)"),
        (craft_mnist_skops, "refused, it holds the untrusted type posix.system"),
    ],
    ids=["bare-pickle", "skops-holding-os-system"],
)
def test_crafted_mnist_model_file_is_refused_without_running(tmp_path: Path, craft: Any, expected: str) -> None:
    marker = tmp_path / "marker"
    path = tmp_path / "softmax.skops"
    craft(path, marker)
    with pytest.raises(PipelineError) as caught:
        mnist_models.load(path)
    assert str(caught.value) == f"{path}: {expected}"
    assert not marker.exists()


@pytest.mark.parametrize("craft", ["skops-calling-os-system", "bare-pickle", "mnist-skops-holding-os-system"])
def test_crafted_titanic_model_file_is_refused_without_running(tmp_path: Path, craft: str) -> None:
    marker = tmp_path / "marker"
    path = tmp_path / "logistic.skops"
    crafts = {
        "skops-calling-os-system": craft_skops,
        "bare-pickle": craft_pickle,
        "mnist-skops-holding-os-system": craft_mnist_skops,
    }
    expected = {
        "skops-calling-os-system": "refused, it holds the untrusted type posix.system",
        "bare-pickle": "refused, a pickle file (expected a skops zip archive)",
        "mnist-skops-holding-os-system": "refused, it holds the untrusted type posix.system",
    }[craft]
    crafts[craft](path, marker)
    with pytest.raises(PipelineError) as caught:
        load_titanic_model(path)
    assert str(caught.value) == f"{path}: {expected}"
    assert not marker.exists()


@pytest.mark.parametrize(
    ("stage", "model", "craft"),
    [
        ("evaluate_titanic", "models/titanic/logistic.skops", craft_skops),
        ("evaluate_mnist", "models/binary.skops", craft_mnist_skops),
    ],
)
def test_stage_refuses_crafted_model_file(
    tmp_path: Path, stage_workspace: tuple[Path, Path], stage: str, model: str, craft: Any
) -> None:
    project = shutil.copytree(stage_workspace[0], tmp_path / "project")
    marker = tmp_path / "marker"
    craft(project / model, marker)
    before = workspaces.snapshot(project)
    command = workspaces.stage_commands()[stage]
    result = helpers.run_stage_script(project, stage_workspace[1], command.module, *command.args)
    assert workspaces.error_line(result) == f"error: {model}: refused, it holds the untrusted type posix.system"
    assert not marker.exists()
    assert workspaces.snapshot_changes(before, workspaces.snapshot(project)) == []


# --- YAML -------------------------------------------------------------------------------------------

YAML_TAGS = [
    "!!python/object/apply:os.system ['touch {marker}']",
    "!!python/object/new:os.system ['touch {marker}']",
    "!!python/name:os.system",
    "!!python/module:os",
]


@pytest.mark.parametrize("tag", YAML_TAGS)
def test_yaml_python_tags_are_refused(tmp_path: Path, tag: str) -> None:
    marker = tmp_path / "marker"
    path = tmp_path / "params.yaml"
    path.write_text(f"mnist:\n  n_train: {tag.format(marker=marker)}\n", encoding="utf-8")
    with pytest.raises(PipelineError, match=r"params\.yaml: not valid YAML at line 2: .*only plain YAML values"):
        load_params(path)
    assert not marker.exists()


def test_stage_refuses_params_with_python_tag(tmp_path: Path, stage_workspace: tuple[Path, Path]) -> None:
    project = shutil.copytree(stage_workspace[0], tmp_path / "project")
    marker = tmp_path / "marker"
    (project / "params.yaml").write_text(
        f'mnist: !!python/object/apply:os.system ["touch {marker}"]\n', encoding="utf-8"
    )
    before = workspaces.snapshot(project)
    command = workspaces.stage_commands()["split_mnist"]
    result = helpers.run_stage_script(project, stage_workspace[1], command.module, *command.args)
    line = workspaces.error_line(result)
    assert line.startswith("error: params.yaml: not valid YAML at line 1: could not determine a constructor")
    assert "only plain YAML values are allowed" in line
    assert not marker.exists()
    assert workspaces.snapshot_changes(before, workspaces.snapshot(project)) == []


# --- commands, shells and calls that would run code, read statically ---------------------------------


def test_no_stage_command_interpolates_a_parameter() -> None:
    """``${...}`` in a cmd only names a registry entry's key, and there is no shell syntax.

    The keys of a registry come from params.yaml, and DVC runs a cmd through the shell before any
    stage checks them (docs/trust.md): nothing else of params.yaml reaches a command line.
    """
    stages = helpers.read_dvc_yaml()["stages"]
    for name, definition in stages.items():
        command = definition.get("do", definition)["cmd"]
        named = set(re.findall(r"\$\{([^}]*)\}", command))
        assert named <= ({"key"} if "foreach" in definition else set()), name
        bare = command.replace("${key}", "")
        assert not re.search(r"[;&|`$<>(){}\\*?!~]", bare), f"{name}: shell syntax in {command!r}"
        assert bare.startswith("python -m stages."), name


UNSAFE_CALLS = {
    ("os", "system"),
    ("os", "popen"),
    ("os", "execv"),
    ("os", "execvp"),
    ("yaml", "load"),
    ("yaml", "load_all"),
    ("yaml", "full_load"),
    ("yaml", "unsafe_load"),
    ("yaml", "unsafe_load_all"),
    ("pickle", "load"),
    ("pickle", "loads"),
}
SAFE_LOADERS = {"yaml.SafeLoader", "yaml.CSafeLoader"}
UNSAFE_MODULES = {"pickle", "joblib", "dill", "marshal", "shelve", "cloudpickle"}


def unsafe_uses(path: Path, root: Path = helpers.REPO_ROOT) -> list[str]:
    """Calls and imports in a source file that could run code from data or through a shell."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import | ast.ImportFrom):
            modules = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            found += [f"imports {module}" for module in modules if module.split(".")[0] in UNSAFE_MODULES]
        if not isinstance(node, ast.Call):
            continue
        function = node.func
        if isinstance(function, ast.Name) and function.id in ("eval", "exec", "__import__"):
            found.append(f"calls {function.id}")
        loaders = [ast.unparse(keyword.value) for keyword in node.keywords if keyword.arg == "Loader"]
        if isinstance(function, ast.Attribute) and isinstance(function.value, ast.Name):
            called = (function.value.id, function.attr)
            safe = called == ("yaml", "load") and loaders and set(loaders) <= SAFE_LOADERS  # what safe_load does
            found += [f"calls {'.'.join(called)}"] if called in UNSAFE_CALLS and not safe else []
        for keyword in node.keywords:
            value = keyword.value
            if keyword.arg in ("shell", "allow_pickle") and not (isinstance(value, ast.Constant) and not value.value):
                found.append(f"passes {keyword.arg}={ast.unparse(value)}")
            if keyword.arg == "Loader" and ast.unparse(value) not in SAFE_LOADERS:
                found.append(f"passes Loader={ast.unparse(value)}")
    return [f"{path.relative_to(root)}: {item}" for item in found]


def test_the_scan_finds_unsafe_code(tmp_path: Path) -> None:
    """Control: each kind of unsafe use is caught."""
    path = tmp_path / "control.py"
    path.write_text(
        "import pickle\nimport yaml, os, subprocess, numpy as np\nos.system('x')\neval('1')\n"
        "yaml.load(t, Loader=yaml.Loader)\nyaml.load(t)\nyaml.load(t, Loader=yaml.CSafeLoader)\n"
        "subprocess.run('x', shell=True)\nnp.load(p, allow_pickle=True)\n",
        encoding="utf-8",
    )
    assert [item.removeprefix("control.py: ") for item in unsafe_uses(path, tmp_path)] == [
        "imports pickle",
        "calls os.system",
        "calls eval",
        "calls yaml.load",
        "passes Loader=yaml.Loader",
        "calls yaml.load",  # without a Loader; with yaml.CSafeLoader it is what yaml.safe_load does
        "passes shell=True",
        "passes allow_pickle=True",
    ]


def test_library_runs_no_code_from_data() -> None:
    sources = sorted((helpers.REPO_ROOT / "pipelib").rglob("*.py")) + sorted(
        (helpers.REPO_ROOT / "stages").glob("*.py")
    )
    assert len(sources) > 20
    assert [item for path in sources for item in unsafe_uses(path)] == []


# --- downloads ----------------------------------------------------------------------------------------


class RecordingOpener:
    """Stands in for urllib's opener: records each call, fails or answers as told; no network."""

    def __init__(self, error: Exception | None = None, payload: bytes = b"") -> None:
        self.calls: list[tuple[str, float]] = []
        self.error = error
        self.payload = payload

    def open(self, url: str, timeout: float) -> Any:
        self.calls.append((url, timeout))
        if self.error is not None:
            raise self.error
        return _Response(self.payload)


class _Response:
    def __init__(self, payload: bytes) -> None:
        self.payload = payload

    def __enter__(self) -> _Response:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def read(self, size: int = -1) -> bytes:
        return self.payload if size < 0 else self.payload[:size]


@pytest.fixture
def opener(monkeypatch: pytest.MonkeyPatch) -> RecordingOpener:
    """A failing opener in place of the network; sleeps between attempts skipped."""
    fake = RecordingOpener(error=urllib.error.URLError("no network in tests"))
    monkeypatch.setattr(titanic_data, "_OPENER", fake)
    monkeypatch.setattr(titanic_data.time, "sleep", lambda seconds: None)
    return fake


@pytest.mark.parametrize("url", ["http://example.com/train.csv", "ftp://example.com/train.csv", "file:///etc/passwd"])
def test_download_refuses_anything_but_https(opener: RecordingOpener, url: str) -> None:
    with pytest.raises(PipelineError, match=rf"^refusing to download {re.escape(url)}: only https://"):
        titanic_data.download(url)
    assert opener.calls == []


def test_download_has_a_timeout_and_bounded_attempts(opener: RecordingOpener) -> None:
    url = "https://example.invalid/train.csv"
    with pytest.raises(PipelineError, match=rf"^cannot download {re.escape(url)} after 3 attempts"):
        titanic_data.download(url)
    assert opener.calls == [(url, titanic_data.DOWNLOAD_TIMEOUT_SECONDS)] * titanic_data.DOWNLOAD_ATTEMPTS
    assert 0 < titanic_data.DOWNLOAD_TIMEOUT_SECONDS <= 60


def test_download_refuses_an_oversized_answer(opener: RecordingOpener) -> None:
    opener.error = None
    opener.payload = b"x" * (titanic_data.DOWNLOAD_MAX_BYTES + 1)
    with pytest.raises(PipelineError, match="larger than"):
        titanic_data.download("https://example.invalid/train.csv")


def test_redirect_to_http_is_refused() -> None:
    handler = titanic_data._HttpsOnlyRedirects()
    request = urllib.request.Request("https://example.invalid/train.csv")
    with pytest.raises(PipelineError, match=r"refusing the redirect .* to http://example\.invalid/train\.csv"):
        handler.redirect_request(request, io.BytesIO(), 302, "Found", Message(), "http://example.invalid/train.csv")
    followed = handler.redirect_request(request, io.BytesIO(), 302, "Found", Message(), "https://mirror.invalid/x.csv")
    assert followed is not None and followed.full_url == "https://mirror.invalid/x.csv"


def test_fetch_of_a_corrupt_download_writes_nothing(
    opener: RecordingOpener, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Downloaded bytes are checked in memory; a mismatch leaves no file anywhere."""
    monkeypatch.delenv("DATA_MIRROR", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(titanic_data, "find_mirror", lambda subdir: None)
    opener.error = None
    opener.payload = b"PassengerId,Survived\n1,0\n"
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(
        PipelineError, match=r"^https://example\.invalid/train\.csv: sha256 [0-9a-f]{64} does not match"
    ):
        titanic_data.fetch_csv("train.csv", "https://example.invalid/", required=True)
    assert sorted(tmp_path.rglob("*")) == before


def test_openml_download_has_a_timeout_and_bounded_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def fake_fetch_openml(name: str, **kwargs: Any) -> Any:
        seen.update(kwargs, timeout=socket.getdefaulttimeout())
        raise urllib.error.URLError("no network in tests")

    import sklearn.datasets

    monkeypatch.setattr(sklearn.datasets, "fetch_openml", fake_fetch_openml)
    previous = socket.getdefaulttimeout()
    with pytest.raises(PipelineError, match=r"^cannot download 'mnist_784' version 1 from OpenML"):
        mnist_source.load_openml("mnist_784", 1)
    assert seen["timeout"] == mnist_source.DOWNLOAD_TIMEOUT_SECONDS
    assert seen["n_retries"] == mnist_source.DOWNLOAD_RETRIES <= 5
    assert socket.getdefaulttimeout() == previous
