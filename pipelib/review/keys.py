"""The few pipeline names the review knows: everything else it reads generically.

Metric keys, plot files and their columns come from ``dvc metrics diff``, ``dvc.yaml`` and
``review_tolerances.yaml``; only these are named here, so a renamed metric or a new plot
needs a change in this one place at most.
"""

from __future__ import annotations

# The binary classifier's operating point in the metrics files: plot column -> (metrics file,
# dotted key). A curve whose x (and y) columns are named here gets the point marked.
OPERATING_POINT: dict[str, tuple[str, str]] = {
    "threshold": ("metrics/mnist.json", "binary.threshold"),
    "precision": ("metrics/mnist.json", "binary.precision"),
    "recall": ("metrics/mnist.json", "binary.recall"),
}

# Per-image test predictions (git-tracked): the true digit in LABEL_COLUMN, one column per model
# with its predicted digit, in test-set order. The review compares base and head with McNemar.
TEST_PREDICTIONS = "reports/mnist_test_predictions.csv"
LABEL_COLUMN = "label"
