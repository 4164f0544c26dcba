"""McNemar's exact test against hand-computed binomial tails; the bootstrap interval against the normal one."""

from __future__ import annotations

import numpy as np
import pytest

from pipelib.stats import bootstrap_interval, mcnemar_exact


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
    correct = np.zeros(10_000, dtype=bool)
    correct[:9_000] = True  # accuracy 0.9: standard error sqrt(0.9 * 0.1 / 10000) = 0.003
    low, high = bootstrap_interval(correct, 2000, seed=0)
    assert low == pytest.approx(0.9 - 1.96 * 0.003, abs=0.0008)
    assert high == pytest.approx(0.9 + 1.96 * 0.003, abs=0.0008)
    assert bootstrap_interval(correct, 2000, seed=0) == (low, high)  # seeded: the same interval again


def right_share(n: int, share: float) -> np.ndarray:
    """``n`` right/wrong items, the first ``round(n * share)`` right."""
    correct = np.zeros(n, dtype=bool)
    correct[: round(n * share)] = True
    return correct


@pytest.mark.parametrize("share", [0.5, 0.9, 0.97])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bootstrap_interval_is_close_to_the_normal_approximation(share: float, seed: int) -> None:
    # At n = 10,000 the accuracy is close to normal: share +- 1.96 * sqrt(share * (1 - share) / n),
    # half-widths 0.0098, 0.0059 and 0.0033.
    half_width = 1.96 * (share * (1 - share) / 10_000) ** 0.5
    low, high = bootstrap_interval(right_share(10_000, share), 2000, seed=seed)
    assert low == pytest.approx(share - half_width, abs=0.003)
    assert high == pytest.approx(share + half_width, abs=0.003)
    assert low < share < high


def test_bootstrap_interval_level_is_its_coverage() -> None:
    # a 50% interval: share +- 0.6745 standard errors (0.005 at share 0.5, n = 10,000)
    low, high = bootstrap_interval(right_share(10_000, 0.5), 2000, seed=0, level=0.5)
    assert low == pytest.approx(0.5 - 0.6745 * 0.005, abs=0.001)
    assert high == pytest.approx(0.5 + 0.6745 * 0.005, abs=0.001)


def test_bootstrap_interval_is_the_seeds() -> None:
    correct = right_share(10_000, 0.5)
    intervals = [bootstrap_interval(correct, 200, seed=seed) for seed in range(5)]
    assert [bootstrap_interval(correct, 200, seed=seed) for seed in range(5)] == intervals  # each seed: the same
    assert len(set(intervals)) > 1  # another seed: other draws


def test_bootstrap_interval_reads_zeros_and_ones_as_right_and_wrong() -> None:
    assert bootstrap_interval([1, 1, 1], 100, seed=0) == (1.0, 1.0)  # type: ignore[arg-type]
    assert bootstrap_interval(np.array([1.0, 0.0]), 1000, seed=0) == (0.0, 1.0)


def test_bootstrap_interval_of_a_constant_is_the_point() -> None:
    assert bootstrap_interval(np.ones(50, dtype=bool), 100, seed=1) == (1.0, 1.0)
    assert bootstrap_interval(np.zeros(50, dtype=bool), 100, seed=1) == (0.0, 0.0)
    # one test image: every resample is that image
    assert bootstrap_interval(np.ones(1, dtype=bool), 100, seed=1) == (1.0, 1.0)
    assert bootstrap_interval(np.zeros(1, dtype=bool), 100, seed=1) == (0.0, 0.0)


def test_bootstrap_interval_of_no_items_is_zero() -> None:
    """An empty test set has accuracy 0 in the metrics; its interval is that point, not an error."""
    assert bootstrap_interval(np.zeros(0, dtype=bool), 100, seed=1) == (0.0, 0.0)


def test_bootstrap_interval_of_two_different_items_spans_them() -> None:
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
