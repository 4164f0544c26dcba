"""The few pipeline names the review knows; everything else it reads from dvc.yaml, DVC and the tolerances."""

from __future__ import annotations

from pipelib.metrics import MNIST_OPERATING_METRICS, REVIEW_KEYS

# The binary classifier's operating point: plot column -> (metrics file, dotted key), from the
# metrics layout's owner. Only keys in a metrics file come through `dvc metrics diff` (the
# decision threshold is a parameter, kept in the details file), so a curve gets the point marked
# where its x and y columns are both among these.
OPERATING_POINT: dict[str, tuple[str, str]] = {
    column: where for column, where in REVIEW_KEYS.items() if where[0] == MNIST_OPERATING_METRICS
}

# Per-image test predictions (git-tracked): the true digit in LABEL_COLUMN, one column per model
# with its predicted digit, in test-set order. The review compares base and head with McNemar.
TEST_PREDICTIONS = "reports/mnist_test_predictions.csv"
LABEL_COLUMN = "label"

# The installed packages' lock: when it differs from the base's, outputs can change with the same
# dvc.lock inputs for another reason than the machine (new library versions).
PACKAGE_LOCKS = ("requirements-lock.txt",)
