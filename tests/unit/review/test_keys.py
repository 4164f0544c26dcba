"""The few pipeline names the review knows, checked against dvc.yaml and the committed outputs."""

from __future__ import annotations

import helpers

from pipelib.review.keys import LABEL_COLUMN, OPERATING_POINT, TEST_PREDICTIONS


def test_the_operating_point_is_the_binary_classifier_s_cv_precision_and_recall() -> None:
    # The threshold is a parameter kept in the details file, not a metric `dvc metrics diff` shows.
    assert OPERATING_POINT == {
        "precision": ("metrics/mnist_operating_point.json", "binary.cv_precision"),
        "recall": ("metrics/mnist_operating_point.json", "binary.cv_recall"),
    }


def test_the_operating_point_metrics_file_is_a_metric_of_the_operating_point_stage() -> None:
    """`dvc metrics diff` shows only files a stage declares under metrics: the review's keys must be in one."""
    stage = helpers.read_dvc_yaml()["stages"]["operating_point"]
    files = {file for file, _ in OPERATING_POINT.values()}
    assert files == {"metrics/mnist_operating_point.json"}
    assert stage["metrics"] == [{"metrics/mnist_operating_point.json": {"cache": False}}]
    assert "--metrics metrics/mnist_operating_point.json" in stage["cmd"]


def test_the_test_predictions_are_the_git_tracked_output_of_compare_mnist() -> None:
    stages = helpers.read_dvc_yaml()["stages"]
    stage = stages["compare_mnist"]
    assert "--test-predictions reports/mnist_test_predictions.csv" in stage["cmd"]
    assert {"reports/mnist_test_predictions.csv": {"cache": False}} in stage["outs"]
    assert TEST_PREDICTIONS == "reports/mnist_test_predictions.csv"
    writers = [name for name, body in stages.items() if TEST_PREDICTIONS in str(body.get("outs", []))]
    assert writers == ["compare_mnist"]


def test_the_label_column_is_the_first_of_the_committed_predictions() -> None:
    with open(helpers.REPO_ROOT / "reports" / "mnist_test_predictions.csv", encoding="utf-8") as stream:
        header = stream.readline().rstrip("\n").split(",")
    assert header[0] == LABEL_COLUMN == "label"
    assert (helpers.REPO_ROOT / TEST_PREDICTIONS).is_file()
