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

    Resampling n right/wrong items with replacement draws each from the observed share, so the
    count right in a resample is Binomial(n, share): ``samples`` such draws are the nonparametric
    bootstrap exactly, in microseconds and without importing scipy.stats (0.8 s of every start-up).
    """
    values = np.asarray(correct, dtype=bool)
    if values.size == 0:  # an empty test set: accuracy 0, as the metrics give it
        return 0.0, 0.0
    share = float(np.mean(values))
    means = np.random.default_rng(seed).binomial(values.size, share, size=samples) / values.size
    low, high = np.percentile(means, [100 * (1 - level) / 2, 100 * (1 + level) / 2])
    return float(low), float(high)
