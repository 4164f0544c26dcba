"""The review's plots as ``dvc.yaml`` defines them, so a new or renamed plot needs no change here.

Each top-level ``plots:`` entry with one CSV data file is drawn; entries naming images or
folders are left to the report.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import yaml

from pipelib.errors import PipelineError

# What the review can draw of DVC's templates: confusion matrices, labelled bars, and curves for
# every other template (linear, simple, scatter, smooth).
CONFUSION_TEMPLATES = {"confusion", "confusion_normalized"}
BAR_TEMPLATES = {"bar_horizontal", "bar_horizontal_sorted"}
# A plot data file bigger than this is not plot data (a comment or a page could not show it).
MAX_ROWS = 1_000_000


@dataclass(frozen=True)
class Plot:
    """One ``dvc.yaml`` plot with a CSV data file: its id, title, template, file and columns."""

    name: str
    title: str
    template: str
    file: str
    x: str
    y: tuple[str, ...]
    x_label: str
    y_label: str

    @property
    def kind(self) -> str:
        """'lines', 'confusion' or 'bars' (how the review draws it)."""
        if self.template in CONFUSION_TEMPLATES:
            return "confusion"
        if self.template in BAR_TEMPLATES:
            return "bars"
        return "lines"


def _relative_file(value: Any, where: str) -> str:
    """A data file path inside the project (relative, no '..'): a plot cannot make the review read elsewhere."""
    if not isinstance(value, str) or not value:
        raise PipelineError(f"{where}: the data file must be a path, got {value!r}")
    path = PurePosixPath(value)
    if path.is_absolute() or ".." in path.parts or "\\" in value:
        raise PipelineError(f"{where}: data file {value!r} is outside the project")
    return value


def _columns(value: Any, where: str) -> tuple[str, ...]:
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names or not all(isinstance(name, str) and name for name in names):
        raise PipelineError(f"{where}: columns must be a name or a list of names, got {value!r}")
    return tuple(names)


def _plot(name: str, spec: dict[str, Any], source: str) -> Plot | None:
    """One ``{id: spec}`` entry as a Plot; None for entries that are not one CSV file with x and y."""
    where = f"{source}: plot {name!r}"
    y = spec.get("y")
    if isinstance(y, dict):
        if len(y) != 1:
            return None  # y from several files: DVC can, the review draws one file per plot
        [(file, columns)] = y.items()
    elif y is not None:
        file, columns = name, y
    else:
        return None
    x = spec.get("x")
    if isinstance(x, dict):
        if len(x) != 1 or next(iter(x)) != file:
            return None
        x = next(iter(x.values()))
    file = _relative_file(file, where)
    if not file.endswith(".csv") or not isinstance(x, str) or not x:
        return None
    template = spec.get("template", "linear")
    if not isinstance(template, str):
        raise PipelineError(f"{where}: template must be a name, got {template!r}")
    y_columns = _columns(columns, where)
    title = spec.get("title", name)
    return Plot(
        name=name,
        title=str(title),
        template=template,
        file=file,
        x=x,
        y=y_columns,
        x_label=str(spec.get("x_label", x)),
        y_label=str(spec.get("y_label", ", ".join(y_columns))),
    )


def plot_definitions(dvc_yaml: str | Path = "dvc.yaml") -> tuple[list[Plot], list[str]]:
    """The drawable plots of ``dvc.yaml`` in its order, and the ids of entries the review does not draw."""
    source = str(dvc_yaml)
    try:
        raw = yaml.safe_load(Path(dvc_yaml).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PipelineError(f"{source}: not found (run the review in the project directory)") from None
    except yaml.YAMLError as error:
        raise PipelineError(f"{source}: not valid YAML ({' '.join(str(error).split())})") from None
    entries = raw.get("plots", []) if isinstance(raw, dict) else None
    if not isinstance(entries, list):
        raise PipelineError(f"{source}: 'plots' must be a list")
    plots, skipped = [], []
    for entry in entries:
        if isinstance(entry, str):
            continue  # an image file or folder: shown by the report, not redrawn here
        if not isinstance(entry, dict) or len(entry) != 1:
            raise PipelineError(f"{source}: each plot must be a path or one {{id: definition}}, got {entry!r}")
        [(name, spec)] = entry.items()
        plot = _plot(str(name), spec or {}, source) if isinstance(spec, dict) or spec is None else None
        if plot is None:
            skipped.append(str(name))
        else:
            plots.append(plot)
    names = [plot.name for plot in plots]
    if len(set(names)) != len(names):
        raise PipelineError(f"{source}: two plots share an id")
    return plots, skipped


Columns = dict[str, np.ndarray]


def _rows(text: str, source: str) -> tuple[list[str], list[list[str]]]:
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        raise PipelineError(f"{source}: empty plot data file")
    rows = []
    for row in reader:
        if row:
            rows.append(row)
            if len(rows) > MAX_ROWS:
                raise PipelineError(f"{source}: more than {MAX_ROWS:,} rows, not plot data")
    return header, rows


def parse_csv(text: str, source: str, columns: tuple[str, ...], kind: type = float) -> Columns:
    """The named columns of a plot CSV as arrays; a missing column or a bad cell is one error line."""
    header, rows = _rows(text, source)
    missing = [name for name in columns if name not in header]
    if missing:
        raise PipelineError(f"{source}: no column {missing[0]!r} (columns: {', '.join(header)})")
    found: Columns = {}
    for name in columns:
        index = header.index(name)
        try:
            found[name] = np.array([kind(row[index]) for row in rows])
        except (ValueError, IndexError):
            raise PipelineError(f"{source}: column {name!r} has a value that is not a {kind.__name__}") from None
    return found


def read_plot(plot: Plot, text: str, source: str) -> Columns:
    """A plot's columns: numbers for curves; labels (str) for confusion matrices; labels and numbers for bars."""
    if plot.kind == "confusion":
        return parse_csv(text, source, (plot.x, plot.y[0]), str)
    if plot.kind == "bars":
        numbers = parse_csv(text, source, (plot.x,))
        labels = parse_csv(text, source, (plot.y[0],), str)
        return {**numbers, **labels}
    return parse_csv(text, source, (plot.x, *plot.y))


@dataclass(frozen=True)
class PlotData:
    """One plot's columns in the base revision (None when the base has no such file) and now."""

    plot: Plot
    base: Columns | None
    current: Columns


def label_order(labels: np.ndarray) -> list[str]:
    """Class labels sorted as numbers when they all are (2 before 10), else as text."""
    unique = sorted({str(label) for label in labels})
    try:
        return sorted(unique, key=float)
    except ValueError:
        return unique


def confusion_matrix(actual: np.ndarray, predicted: np.ndarray, labels: list[str]) -> np.ndarray:
    """Counts[i, j] of rows with actual labels[i] predicted as labels[j]."""
    index = {label: position for position, label in enumerate(labels)}
    counts = np.zeros((len(labels), len(labels)), dtype=np.int64)
    np.add.at(counts, ([index[str(a)] for a in actual], [index[str(p)] for p in predicted]), 1)
    return counts


def confusion_pair(data: PlotData) -> tuple[list[str], np.ndarray | None, np.ndarray]:
    """Labels and the (base, current) confusion matrices of a confusion plot, on the same labels."""
    actual, predicted = data.plot.x, data.plot.y[0]
    sides = [data.current] + ([data.base] if data.base is not None else [])
    labels = label_order(np.concatenate([side[name] for side in sides for name in (actual, predicted)]))
    now = confusion_matrix(data.current[actual], data.current[predicted], labels)
    before = None if data.base is None else confusion_matrix(data.base[actual], data.base[predicted], labels)
    return labels, before, now


def bar_values(columns: Columns, plot: Plot) -> dict[str, float]:
    """A bar plot's {label: value}, in the file's order."""
    return dict(zip((str(label) for label in columns[plot.y[0]]), (float(v) for v in columns[plot.x]), strict=True))
