"""Small statistical tests shared by the report and the pull-request review."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class McNemar:
    """McNemar's exact test on paired predictions: the discordant counts and the two-sided p-value."""

    only_first_right: int
    only_second_right: int
    p_value: float


def mcnemar_exact(first_right: np.ndarray, second_right: np.ndarray) -> McNemar:
    """Exact (binomial) McNemar test of two classifiers scored on the same items.

    ``first_right`` and ``second_right`` are boolean arrays, one entry per item: whether each
    classifier got it right. Only the items where exactly one is right carry information; under
    the null hypothesis each such item is equally likely to go either way (Binomial(n, 1/2)).
    """
    from scipy.stats import binomtest

    first = np.asarray(first_right, dtype=bool)
    second = np.asarray(second_right, dtype=bool)
    if first.shape != second.shape:
        raise ValueError(f"paired predictions differ in length: {first.shape} vs {second.shape}")
    b = int(np.count_nonzero(first & ~second))
    c = int(np.count_nonzero(~first & second))
    p_value = 1.0 if b + c == 0 else float(binomtest(b, b + c, 0.5, alternative="two-sided").pvalue)
    return McNemar(b, c, p_value)


def bootstrap_interval(correct: np.ndarray, samples: int, seed: int, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of an accuracy (the mean of per-item right/wrong), reproducible by ``seed``.

    Resamples the test items with replacement ``samples`` times (scipy's ``bootstrap``): the
    spread of accuracy another test set of the same size and kind would give the same model.
    """
    from scipy.stats import bootstrap

    values = np.asarray(correct, dtype=np.float64)
    if values.size == 0:  # an empty test set: accuracy 0, as the metrics give it
        return 0.0, 0.0
    if np.all(values == values[0]):  # one item, or all alike: every resample has the same mean
        return float(values[0]), float(values[0])
    result = bootstrap(
        (values,),
        np.mean,
        n_resamples=samples,
        confidence_level=level,
        method="percentile",
        vectorized=True,
        rng=np.random.default_rng(seed),
    )
    return float(result.confidence_interval.low), float(result.confidence_interval.high)
