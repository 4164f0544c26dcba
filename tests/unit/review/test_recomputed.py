"""Machine differences: hand-built dvc.lock pairs, each stage's status read off the pair by hand.

A two-branch pipeline as in the project: ``prepare`` writes the data both models train on,
``train@a`` and ``train@b`` (a foreach stage) write a model each, ``evaluate`` reads both models
and writes the metrics, ``report`` reads the metrics.
"""

from __future__ import annotations

import copy
import hashlib
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipelib.errors import PipelineError
from pipelib.review.__main__ import machine_differences
from pipelib.review.recomputed import Recomputed, compare_locks, parse_lock
from pipelib.review.render import Summary, machine_note, markdown

Stages = dict[str, dict[str, Any]]


def md5(label: str) -> str:
    """A well-formed hash for a label (a folder's ends in .dir, as DVC writes it)."""
    return hashlib.md5(label.encode()).hexdigest() + ".dir" * label.endswith(".dir")


def entry(path: str, label: str) -> dict[str, Any]:
    """A dep or out as DVC 3 writes it."""
    return {"path": path, "hash": "md5", "md5": md5(label), "size": 100}


def base_stages() -> Stages:
    return {
        "prepare": {
            "cmd": "python prepare.py",
            "deps": [entry("prepare.py", "p1"), entry("raw.csv", "r1")],
            "params": {"params.yaml": {"prepare.seed": 0}},
            "outs": [entry("data", "d1.dir")],
        },
        **{
            f"train@{name}": {
                "cmd": f"python train.py --name {name}",
                "deps": [entry("data/train.parquet", "t1"), entry("train.py", "c1")],
                "params": {"params.yaml": {f"train.{name}": {"C": 1.0, "max_iter": 100}}},
                "outs": [entry(f"models/{name}.npz", f"{name}1")],
            }
            for name in ("a", "b")
        },
        "evaluate": {
            "cmd": "python evaluate.py",
            "deps": [entry("evaluate.py", "e1"), entry("models/a.npz", "a1"), entry("models/b.npz", "b1")],
            "outs": [entry("metrics.json", "m1"), entry("plots/roc.csv", "roc1")],
        },
        "report": {
            "cmd": "python report.py",
            "deps": [entry("metrics.json", "m1"), entry("report.py", "rep1")],
            "outs": [entry("report.md", "md1")],
        },
    }


def lock_text(stages: Stages) -> str:
    return yaml.safe_dump({"schema": "2.0", "stages": stages}, sort_keys=False)


def compared(head: Stages, base: Stages | None = None) -> Recomputed:
    return compare_locks(parse_lock(lock_text(base or base_stages()), "base"), parse_lock(lock_text(head), "head"))


def edit(stages: Stages, path: str, label: str) -> None:
    """Set the hash of a path wherever the lock records it (its stage's out and its readers' deps), as DVC does."""
    for definition in stages.values():
        for item in definition.get("deps", []) + definition.get("outs", []):
            if item["path"] == path:
                item["md5"] = md5(label)


def machine_in_train_a() -> Stages:
    """train@a rerun on another CPU: a new model, hence new metrics and a new report downstream."""
    head = base_stages()
    edit(head, "models/a.npz", "a2")
    edit(head, "metrics.json", "m2")
    edit(head, "plots/roc.csv", "roc2")
    edit(head, "report.md", "md2")
    return head


# --- the classification --------------------------------------------------------------------------


def test_same_locks_have_no_difference() -> None:
    assert compared(base_stages()) == Recomputed([], [], [], [], [], [])


def test_same_inputs_different_outputs_is_the_machine() -> None:
    found = compared(machine_in_train_a())
    assert found.machine == ["train@a"]
    assert found.downstream == ["evaluate", "report"]
    assert (found.changed, found.added, found.removed) == ([], [], [])
    assert found.outputs == ["metrics.json", "models/a.npz", "plots/roc.csv", "report.md"]


def test_a_changed_code_dependency_is_the_change_and_so_is_everything_downstream() -> None:
    head = machine_in_train_a()
    edit(head, "train.py", "c2")  # read by both train@a and train@b
    edit(head, "models/b.npz", "b2")
    found = compared(head)
    assert found.changed == ["evaluate", "report", "train@a", "train@b"]
    assert (found.machine, found.downstream, found.outputs) == ([], [], [])


def test_one_stage_changed_and_another_recomputed_elsewhere() -> None:
    """train@b's params changed (this change); train@a's model differs with the same inputs (the machine)."""
    head = machine_in_train_a()
    head["train@b"]["params"]["params.yaml"]["train.b"]["C"] = 10.0
    edit(head, "models/b.npz", "b2")
    found = compared(head)
    assert found.machine == ["train@a"]
    assert found.downstream == []  # evaluate reads train@b's changed model: it is the change's
    assert found.changed == ["evaluate", "report", "train@b"]
    assert found.outputs == ["models/a.npz"]


def test_changed_params_with_the_same_outputs_are_still_the_change() -> None:
    head = base_stages()
    head["train@b"]["params"]["params.yaml"]["train.b"]["max_iter"] = 200
    assert compared(head) == Recomputed([], [], ["train@b"], [], [], [])


def test_params_are_compared_per_stage() -> None:
    """A parameter only train@b reads changed: train@a, with its own params the same, is still the machine's."""
    head = machine_in_train_a()
    head["train@b"]["params"]["params.yaml"]["train.b"]["C"] = 10.0
    found = compared(head)
    assert found.machine == ["train@a"] and found.changed == ["train@b"]


# New raw data (no stage writes it), so prepare writes new training data.
NEW_DATA = [("raw.csv", "r2"), ("data", "d2.dir"), ("data/train.parquet", "t2")]


@pytest.mark.parametrize(
    "change",
    [
        lambda stages: stages["train@a"].update(cmd="python train.py --name a --fast"),
        lambda stages: stages["train@a"]["deps"].append(entry("extra.py", "x1")),
        lambda stages: stages["train@a"]["deps"].pop(),
        lambda stages: stages["train@a"]["outs"].append(entry("models/a.json", "j1")),
        lambda stages: stages["train@a"].pop("params"),
        lambda stages: [edit(stages, path, label) for path, label in NEW_DATA],
    ],
    ids=["command", "dep added", "dep removed", "out added", "params dropped", "new data upstream"],
)
def test_any_recorded_input_that_differs_is_the_change(change: Any) -> None:
    head = machine_in_train_a()
    change(head)
    found = compared(head)
    assert found.machine == [] and found.outputs == []
    assert "train@a" in found.changed


def test_new_data_that_leaves_a_stage_s_output_the_same_changes_nothing_downstream() -> None:
    head = machine_in_train_a()
    edit(head, "raw.csv", "r2")  # prepare ran on new raw data and wrote the same folder
    found = compared(head)
    assert (found.changed, found.machine, found.downstream) == (["prepare"], ["train@a"], ["evaluate", "report"])


def test_a_dependency_inside_an_output_folder_comes_from_that_stage() -> None:
    """train reads data/train.parquet, a file of prepare's output folder data: recomputed, not changed."""
    head = base_stages()
    edit(head, "data", "d2.dir")
    edit(head, "data/train.parquet", "t2")
    edit(head, "models/a.npz", "a2")
    edit(head, "metrics.json", "m2")
    found = compared(head)
    assert found.machine == ["prepare"]
    assert found.downstream == ["evaluate", "train@a"]  # train@b's model came out the same: not listed
    assert found.changed == [] and "train@b" not in found.downstream


def test_stages_added_and_removed() -> None:
    head = machine_in_train_a()
    del head["train@b"]
    head["evaluate"]["deps"] = [item for item in head["evaluate"]["deps"] if item["path"] != "models/b.npz"]
    head["train@c"] = copy.deepcopy(base_stages()["train@b"])
    found = compared(head)
    assert (found.added, found.removed) == (["train@c"], ["train@b"])
    assert found.machine == ["train@a"]
    assert found.changed == ["evaluate", "report"]  # evaluate no longer reads models/b.npz


# --- reading dvc.lock ----------------------------------------------------------------------------

# As DVC 3 writes it (trimmed): a foreach stage, a folder output, params per stage.
DVC_LOCK = """\
schema: '2.0'
stages:
  train_softmax@softmax:
    cmd: python -m stages.train_softmax --name softmax --train
      data/mnist/train.parquet --model models/softmax.npz
    deps:
    - path: data/mnist/train.parquet
      hash: md5
      md5: d9b8a13bbf47693b977ab8df1a33a484
      size: 10036279
    params:
      params.yaml:
        mnist.softmax:
          C: 10.0
          matrix: sparse
    outs:
    - path: models/softmax.npz
      hash: md5
      md5: 548964f1d5dd5677c604c2857193a449
      size: 56834
  figures_mnist:
    cmd: python -m stages.figures_mnist
    outs:
    - path: plots/figures
      hash: md5
      md5: 0d5d0e5a3ac1fbe2bb30ad80e1ba5fb5.dir
      size: 303921
      nfiles: 8
"""


def test_parse_a_lock_as_dvc_writes_it() -> None:
    stages = parse_lock(DVC_LOCK, "dvc.lock")
    assert list(stages) == ["train_softmax@softmax", "figures_mnist"]
    softmax = stages["train_softmax@softmax"]
    assert softmax.cmd == (
        "python -m stages.train_softmax --name softmax --train data/mnist/train.parquet --model models/softmax.npz"
    )
    assert softmax.params == {"params.yaml": {"mnist.softmax": {"C": 10.0, "matrix": "sparse"}}}
    assert softmax.deps == {
        "data/mnist/train.parquet": {"hash": "md5", "md5": "d9b8a13bbf47693b977ab8df1a33a484", "size": 10036279}
    }
    assert stages["figures_mnist"].deps == {} and stages["figures_mnist"].params == {}
    assert stages["figures_mnist"].outs["plots/figures"]["nfiles"] == 8


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("schema: '2.0'\nstages: [\n", "unable to read yaml at line 3: did not find expected node content"),
        ("train:\n  cmd: python train.py\n", "extra keys"),  # DVC 1's layout: no schema, stages at the top
        ("schema: '2.0'\nstages:\n  train:\n    deps: []\n", "cmd"),
    ],
    ids=["bad yaml", "dvc 1 layout", "no command"],
)
def test_a_file_dvc_would_not_read_is_one_line_naming_it(text: str, reason: str) -> None:
    with pytest.raises(PipelineError) as raised:
        parse_lock(text, "dvc.lock (main)")
    message = str(raised.value)
    assert message.startswith("dvc.lock (main): not a DVC 3 lock file (") and reason in message.lower()
    assert "\n" not in message


# --- the sentence --------------------------------------------------------------------------------


def sentence(found: Recomputed) -> str:
    return "".join(cell if isinstance(cell, str) else f"<{cell.text}>" for cell in machine_note(found))


def test_the_sentence_when_every_input_is_the_same() -> None:
    assert sentence(Recomputed(["train@a"], ["evaluate"], [], [], [], ["metrics.json", "models/a.npz"])) == (
        "Recomputed on another machine: every stage's code, data and parameters (dvc.lock) are the same as in "
        "the base, yet the outputs of <train@a> (and, through them, the outputs of <evaluate>) differ; these "
        "differences are the CPU's floating-point kernels, not this change (docs/fidelity.md). Outputs that "
        "differ for that reason: <metrics.json>, <models/a.npz>. The gate applies its tolerances as usual."
    )


def test_the_sentence_names_which_stages_are_the_change() -> None:
    found = Recomputed(["train@a", "train@c"], [], ["train@b"], ["new"], ["old"], ["models/a.npz"])
    assert sentence(found) == (
        "Recomputed on another machine: <train@a>, <train@c> have the same code, data and parameters "
        "(dvc.lock) as in the base, yet their outputs differ; these differences are the CPU's floating-point "
        "kernels, not this change (docs/fidelity.md). Outputs that differ for that reason: <models/a.npz>. "
        "This change's own code, data or parameters differ in <train@b>. New stages: <new>. Removed stages: "
        "<old>. The gate applies its tolerances as usual."
    )


def test_the_sentence_when_the_package_lock_changed_too() -> None:
    found = Recomputed(["train@a"], [], [], [], [], ["models/a.npz"], environment=["requirements-lock.txt"])
    assert "the package lock <requirements-lock.txt> differs from the base's too" in sentence(found)
    assert "not this change" not in sentence(found)


def test_the_note_comes_first_and_stage_names_are_inert() -> None:
    found = Recomputed(["train@![x](https://evil.example/x.png)"], [], [], [], [], ["m"])
    text = markdown(Summary("main", "a", "b", [], ["a warning"], recomputed=found), [], None)
    notes = [line for line in text.splitlines() if line.startswith("- ")]
    assert notes[0].startswith("- Recomputed on another machine: ") and notes[1] == "- Warning: `a warning`"
    assert "`train@![x](https://evil.example/x.png)`" in notes[0]
    assert Summary("main", "a", "b", [], [], recomputed=Recomputed([], [], ["t"], [], [], [])).notes() == []


# --- against a base revision ---------------------------------------------------------------------


def git(root: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid", "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", *args], cwd=root, env=env, capture_output=True, check=True)


def commit(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q", "-b", "main")
    commit(tmp_path, {"requirements-lock.txt": "numpy==2.0\n"})
    return tmp_path


def test_against_the_base_revision(repo: Path) -> None:
    commit(repo, {"dvc.lock": lock_text(base_stages())})
    (repo / "dvc.lock").write_text(lock_text(machine_in_train_a()), encoding="utf-8")
    warnings: list[str] = []
    found = machine_differences("main", repo, warnings)
    assert found is not None and warnings == []
    assert (found.machine, found.environment) == (["train@a"], [])
    (repo / "requirements-lock.txt").write_text("numpy==2.1\n", encoding="utf-8")
    found = machine_differences("main", repo, warnings)
    assert found is not None and found.environment == ["requirements-lock.txt"]


def test_no_lock_in_the_base_or_the_workspace(repo: Path) -> None:
    (repo / "dvc.lock").write_text(lock_text(base_stages()), encoding="utf-8")
    warnings: list[str] = []
    assert machine_differences("main", repo, warnings) is None
    commit(repo, {})
    (repo / "dvc.lock").unlink()
    assert machine_differences("main", repo, warnings) is None
    assert warnings == []


def test_an_unreadable_base_lock_is_a_warning_an_unreadable_workspace_lock_an_error(repo: Path) -> None:
    commit(repo, {"dvc.lock": "train:\n  cmd: python train.py\n"})
    (repo / "dvc.lock").write_text(lock_text(base_stages()), encoding="utf-8")
    warnings: list[str] = []
    assert machine_differences("main", repo, warnings) is None
    [warning] = warnings
    assert warning.startswith("dvc.lock (main): not a DVC 3 lock file (")
    assert warning.endswith("): machine differences not looked for")
    (repo / "dvc.lock").write_text("schema: '2.0'\nstages: [\n", encoding="utf-8")
    with pytest.raises(PipelineError, match=r"^dvc\.lock \(workspace\): not a DVC 3 lock file \("):
        machine_differences("main", repo, warnings)
