"""The binary classifier at its decision threshold: what ``mnist.evaluate.threshold`` and ``target_precision`` change.

It works from what evaluate_mnist saved (the out-of-fold and test scores, the whole
precision-recall curve, the walk-through's scores), so a threshold change reruns this stage and
the report only, and loads no model, no scikit-learn and no pandas. This module owns the layout
of ``metrics/mnist_operating_point.json`` and ``reports/mnist_operating_point.json``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pipelib.binary_metrics import Counts, Curve, threshold_for_precision
from pipelib.params import BinaryEvaluateParams
from pipelib.stats import bootstrap_interval


def operating_point(
    cv: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    curve: Curve,
    walkthrough: dict[str, Any],
    settings: BinaryEvaluateParams,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(headline metrics, details) at the threshold, from (truth, score) of the training rows and the test set.

    The out-of-fold predictions at the threshold are the seed's ``cross_val_predict``.
    """
    threshold = settings.threshold
    cv_counts, test_counts = Counts.of(cv[0], cv[1] > threshold), Counts.of(test[0], test[1] > threshold)
    point = threshold_for_precision(curve, settings.target_precision)
    samples, seed = settings.bootstrap_samples, settings.bootstrap_seed
    headline = {
        **{f"cv_{name}": value for name, value in cv_counts.rates().items()},
        **{f"test_{name}": value for name, value in test_counts.rates().items()},
    }
    decided = [threshold, settings.walkthrough_threshold]
    details = {
        "threshold": threshold,
        "cv_confusion": cv_counts.as_dict(),
        "test_confusion": test_counts.as_dict(),
        "at_target_precision": {"target": settings.target_precision, **(point or {})},
        "test_accuracy_interval": list(bootstrap_interval((test[1] > threshold) == test[0], samples, seed)),
        "walkthrough": {
            "cv_predicted": bool(walkthrough["cv_score"] > threshold),
            "decisions": [{"threshold": x, "predicted": bool(walkthrough["score"] > x)} for x in decided],
        },
    }
    return {"binary": headline}, {"binary": details}
