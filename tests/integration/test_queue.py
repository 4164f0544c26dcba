"""A queued experiment: ``dvc exp run --queue``, ``dvc queue start``, it finishes and shows.

The experiment refits the softmax model (cheap on the tiny data) and moves the decision
threshold, so its log holds the fit's progress lines: they go to stderr through ``logging``
whether or not a terminal is attached, which is what makes ``dvc queue logs`` useful.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import helpers

EXPERIMENTS = {"softmax-c01": (0.1, 1.0)}  # name: (mnist.models.softmax.params.C, threshold)
FINISHED = ("Success", "Failed")


def experiment(shown: list[dict[str, Any]], name: str) -> dict[str, Any]:
    """The ``dvc exp show --json`` data of the experiment called ``name``."""
    for baseline in shown:
        for entry in baseline.get("experiments") or []:
            for rev in entry["revs"]:
                if rev["name"] == name:
                    return rev["data"]
    raise AssertionError(f"experiment {name} not in dvc exp show: {json.dumps(shown)[:2000]}")


def wait_for_queue(project: Path, mirror: Path) -> str:
    """Poll ``dvc queue status`` (about 1 s of DVC each) until every task has finished; its last output."""
    deadline = time.monotonic() + 600
    while True:
        status = helpers.run_dvc(project, mirror, "queue", "status").stdout
        tasks = [line for line in status.splitlines() if any(name in line for name in EXPERIMENTS)]
        if len(tasks) == len(EXPERIMENTS) and all(line.split()[-1] in FINISHED for line in tasks):
            return status
        assert time.monotonic() < deadline, f"the queue did not finish:\n{status}"
        time.sleep(4)


def test_queued_experiments_run_and_show(tiny_clone: Path, tiny_mirror: Path) -> None:
    project = tiny_clone
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.invalid", "-c", "commit.gpgsign=false"]
    subprocess.run([*git, "add", "-A"], cwd=project, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "baseline"], cwd=project, check=True)
    for name, (c, threshold) in EXPERIMENTS.items():
        helpers.run_dvc(
            project,
            tiny_mirror,
            *("exp", "run", "--queue", "-n", name),
            *("-S", f"mnist.models.softmax.params.C={c}", "-S", f"mnist.evaluate.threshold={threshold}"),
        )
    helpers.run_dvc(project, tiny_mirror, "queue", "start")
    try:
        status = wait_for_queue(project, tiny_mirror)
    except BaseException:
        helpers.run_dvc(project, tiny_mirror, "queue", "kill", *EXPERIMENTS, check=False)
        raise
    assert "Failed" not in status, status

    shown = json.loads(helpers.run_dvc(project, tiny_mirror, "exp", "show", "--json").stdout)
    for name, (c, threshold) in EXPERIMENTS.items():
        data = experiment(shown, name)
        assert helpers.get_dotted(data["params"]["params.yaml"]["data"], "mnist.models.softmax.params.C") == c
        at_threshold = data["metrics"]["metrics/mnist_operating_point.json"]["data"]
        models = data["metrics"]["metrics/mnist_models.json"]["data"]
        assert helpers.get_dotted(data["params"]["params.yaml"]["data"], "mnist.evaluate.threshold") == threshold
        assert 0 <= at_threshold["binary"]["test_accuracy"] <= 1  # the operating point at that threshold
        assert 0 <= models["softmax"]["test_accuracy"] <= 1

        logs = helpers.run_dvc(project, tiny_mirror, "queue", "logs", name).stdout
        assert "Running stage 'train_mnist@softmax'" in logs, logs
        assert "softmax: fitting on" in logs and "lbfgs iterations" in logs, logs
        assert "Running stage 'train_mnist@softmax_augmented'" not in logs, logs
        assert "Running stage 'operating_point'" in logs, logs  # the threshold moves the operating point only
        assert "Running stage 'evaluate_mnist'" not in logs, logs
