"""McNemar's exact test against hand-computed binomial tails."""

from __future__ import annotations

import numpy as np
import pytest

from pipelib.stats import mcnemar_exact


def pairs(both: int, only_first: int, only_second: int, neither: int) -> tuple[np.ndarray, np.ndarray]:
    first = [True] * both + [True] * only_first + [False] * only_second + [False] * neither
    second = [True] * both + [False] * only_first + [True] * only_second + [False] * neither
    return np.array(first), np.array(second)


def test_discordant_counts_and_p_value_by_hand() -> None:
    # b=1, c=5: two-sided exact p = 2 * P(X <= 1), X ~ Bin(6, 1/2) = 2 * (1 + 6) / 64 = 0.21875
    result = mcnemar_exact(*pairs(10, 1, 5, 3))
    assert (result.only_first_right, result.only_second_right) == (1, 5)
    assert result.p_value == pytest.approx(14 / 64)


def test_no_discordant_pairs_is_no_evidence() -> None:
    assert mcnemar_exact(*pairs(4, 0, 0, 2)).p_value == 1.0


def test_balanced_discordance_has_p_one() -> None:
    assert mcnemar_exact(*pairs(0, 3, 3, 0)).p_value == pytest.approx(1.0)


def test_all_one_way_is_significant() -> None:
    # b=0, c=10: p = 2 / 1024
    assert mcnemar_exact(*pairs(0, 0, 10, 0)).p_value == pytest.approx(2 / 1024)


def test_unequal_lengths_refused() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        mcnemar_exact(np.ones(3, dtype=bool), np.ones(4, dtype=bool))


def test_bootstrap_interval_matches_the_normal_approximation() -> None:
    from pipelib.stats import bootstrap_interval

    correct = np.zeros(10_000, dtype=bool)
    correct[:9_000] = True  # accuracy 0.9: standard error sqrt(0.9 * 0.1 / 10000) = 0.003
    low, high = bootstrap_interval(correct, 2000, seed=0)
    assert low == pytest.approx(0.9 - 1.96 * 0.003, abs=0.0008)
    assert high == pytest.approx(0.9 + 1.96 * 0.003, abs=0.0008)
    assert bootstrap_interval(correct, 2000, seed=0) == (low, high)  # seeded: the same interval again


def test_bootstrap_interval_of_a_constant_is_the_point() -> None:
    from pipelib.stats import bootstrap_interval

    assert bootstrap_interval(np.ones(50, dtype=bool), 100, seed=1) == (1.0, 1.0)
    assert bootstrap_interval(np.zeros(50, dtype=bool), 100, seed=1) == (0.0, 0.0)
    # one test image: every resample is that image
    assert bootstrap_interval(np.ones(1, dtype=bool), 100, seed=1) == (1.0, 1.0)
    assert bootstrap_interval(np.zeros(1, dtype=bool), 100, seed=1) == (0.0, 0.0)


def test_bootstrap_interval_of_no_items_is_zero() -> None:
    """An empty test set has accuracy 0 in the metrics; its interval is that point, not an error."""
    from pipelib.stats import bootstrap_interval

    assert bootstrap_interval(np.zeros(0, dtype=bool), 100, seed=1) == (0.0, 0.0)


def test_bootstrap_interval_of_two_different_items_spans_them() -> None:
    from pipelib.stats import bootstrap_interval

    # Two items, one right: resampled accuracies 0, 1/2, 1 with chances 1/4, 1/2, 1/4, so the 2.5th
    # and 97.5th percentiles of 1000 resamples are 0 and 1.
    assert bootstrap_interval(np.array([True, False]), 1000, seed=0) == (0.0, 1.0)


def test_result_is_immutable() -> None:
    result = mcnemar_exact(*pairs(1, 1, 0, 0))
    with pytest.raises(AttributeError):
        result.p_value = 0.0  # type: ignore[misc]


def test_one_discordant_pair_has_p_one() -> None:
    # b=1, c=0: 2 * P(X <= 0), X ~ Bin(1, 1/2) = 2 * 1/2 = 1
    result = mcnemar_exact(*pairs(0, 1, 0, 5))
    assert (result.only_first_right, result.only_second_right) == (1, 0)
    assert result.p_value == pytest.approx(1.0)


def test_lists_of_zeros_and_ones_are_read_as_booleans() -> None:
    result = mcnemar_exact([1, 1, 0, 0, 1], [0, 0, 0, 1, 1])  # type: ignore[arg-type]
    assert (result.only_first_right, result.only_second_right) == (2, 1)
    assert result.p_value == pytest.approx(1.0)  # 2 * P(X <= 1), X ~ Bin(3, 1/2) = 2 * 4/8
