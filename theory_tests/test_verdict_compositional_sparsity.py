"""compositional_sparsity's verdict on doctored learning curves (no simulation).

**Statement.** Per replica the samples N(ε) each net needs (interpolated in log-log, bounded where a
curve does not cross inside the grid) give ρ = log N_dense − log N_sparse; the band is
[mean ρ_lo − t·SE, mean ρ_hi + t·SE] with t = t_(0.975, R−1). Fail iff its upper end < log 2;
else pass iff its lower end > 0; else inconclusive (more replicas, a wider grid, another ε).
Diverged or unconverged fits are inconclusive first.
"""

import math

import numpy as np
import pytest
from scipy import stats

from theorycheck import get_check, make_config
from theorycheck.checks import compositional_sparsity as cs

CHECK = get_check("compositional_sparsity")
EPS = 0.1
DATA = {"compositional": True, "epsilon": EPS, "lr": 0.01}
SAMPLES = cs.sample_grid(1024).astype(float)  # 16 … 1024


def _curve(n_cross):
    """A power-law learning curve (slope −1) crossing ε exactly at ``n_cross`` (inf: never)."""
    if math.isinf(n_cross):
        return np.full(SAMPLES.shape, 2.0 * EPS)
    return EPS * n_cross / SAMPLES


def _arrays(n_sparse, n_dense, train=1e-4):
    n_sparse, n_dense = np.atleast_1d(n_sparse), np.atleast_1d(n_dense)
    shape = (n_sparse.size, SAMPLES.size)
    return {
        "samples": SAMPLES.astype(np.int32),
        "test_sparse": np.stack([_curve(n) for n in n_sparse]), "test_dense": np.stack([_curve(n) for n in n_dense]),
        "train_sparse": np.full(shape, train), "train_dense": np.full(shape, train),
        "train_late_sparse": np.full(shape, 2.0 * train), "train_late_dense": np.full(shape, 2.0 * train),
        "diverged_sparse": np.zeros(shape, bool), "diverged_dense": np.zeros(shape, bool),
    }


def _ratios(rho, n_sparse=64.0):
    """(N_sparse, N_dense) per replica with log-ratios ``rho``."""
    rho = np.asarray(rho, float)
    return np.full(rho.size, n_sparse), n_sparse * np.exp(rho)


def _verdict(arrays, data=DATA, **overrides):
    config = make_config(CHECK, {"replicas": arrays["test_sparse"].shape[0], **overrides})
    return cs.verdict(config, data, arrays)


def _band(rho):
    rho = np.asarray(rho, float)
    half = stats.t.ppf(0.975, rho.size - 1) * np.std(rho, ddof=1) / math.sqrt(rho.size)
    return np.mean(rho) - half, np.mean(rho) + half


def test_samples_to_reach_hand_computed():
    # errors 0.4, 0.2, 0.05 at 16, 32, 64: between 32 and 64 halfway in log error -> 32·√2
    estimate, low, high = cs.samples_to_reach([0.4, 0.2, 0.05], [16, 32, 64], 0.1)
    assert estimate == pytest.approx(32 * math.sqrt(2)) and low == high == estimate
    assert cs.samples_to_reach([0.05, 0.01], [16, 32], 0.1)[1:] == (1.0, 16.0)
    assert cs.samples_to_reach([0.5, 0.4], [16, 32], 0.1)[1:] == (32.0, math.inf)


def test_dense_width_and_parameter_counts_hand_computed():
    # tree d=8, C=8: 4·(3·8) + 2·(17·8) + (17·8) + 9 = 513; MLP 8→14→14→14→1: 9·14 + 2·15·14 + 15 = 561
    assert cs.dense_width(8, 8) == 14
    assert cs.parameter_counts(8, 8) == (513, 561)
    assert cs.parameter_counts(16, 8)[1] >= cs.parameter_counts(16, 8)[0]


def test_clear_advantage_passes_and_names_the_criterion():
    result = _verdict(_arrays(*_ratios(np.log([3.0, 3.5, 2.5, 4.0]))))
    assert result.outcome == "pass", result.reason
    assert "sample advantage" in result.reason
    assert result.measured == pytest.approx(np.exp(np.mean(np.log([3.0, 3.5, 2.5, 4.0]))), rel=1e-6)


def test_no_advantage_fails_on_the_sample_advantage_criterion():
    """The control's pattern: the dense net needs fewer samples (ratio 0.6–0.9)."""
    result = _verdict(_arrays(*_ratios(np.log([0.7, 0.8, 0.6, 0.9]))))
    assert result.outcome == "fail", result.reason
    assert "no sample advantage" in result.reason


def test_ratio_one_within_band_fails():
    result = _verdict(_arrays(*_ratios(np.log([0.9, 1.1, 1.0, 1.05]))))
    assert result.outcome == "fail" and "no sample advantage" in result.reason


@pytest.mark.parametrize("shift, outcome", [(-0.01, "fail"), (+0.01, "pass")])
def test_upper_end_just_below_and_above_log2(shift, outcome):
    """Spread so that the lower end is > 0; the upper end placed 0.01 either side of log 2."""
    base = np.array([-0.05, 0.05, -0.05, 0.05]) + 0.5
    upper = _band(base)[1]
    rho = base + (math.log(cs.CLAIMED_RATIO) + shift - upper)
    assert _band(rho)[0] > 0
    result = _verdict(_arrays(*_ratios(rho)))
    assert result.outcome == outcome, result.reason
    assert ("no sample advantage" in result.reason) == (outcome == "fail")


@pytest.mark.parametrize("shift, outcome", [(-0.01, "inconclusive"), (+0.01, "pass")])
def test_lower_end_just_below_and_above_zero(shift, outcome):
    base = np.array([-0.6, 0.6, -0.6, 0.6])
    rho = base + (shift - _band(base)[0])
    assert _band(rho)[1] >= math.log(2)
    result = _verdict(_arrays(*_ratios(rho)))
    assert result.outcome == outcome, result.reason
    if outcome == "inconclusive":
        assert "too wide" in result.reason and "raise replicas to >= 8" in result.reason


def test_wide_band_at_the_largest_replica_count_is_undecidable():
    rho = np.array([-0.6, 0.6, -0.6, 0.6, -0.6, 0.6, -0.6, 0.6]) + 0.3
    result = _verdict(_arrays(*_ratios(rho)))
    assert result.outcome == "inconclusive" and "undecidable at 8 replicas" in result.reason


def test_t_quantile_is_students_for_the_replica_count():
    result = _verdict(_arrays(*_ratios(np.log([3.0, 3.5, 2.5]))))
    assert result.details["t_quantile"] == pytest.approx(stats.t.ppf(0.975, 2))
    lo, hi = _band(np.log([3.0, 3.5, 2.5]))
    assert result.details["ratio_band"] == pytest.approx([math.exp(lo), math.exp(hi)], rel=1e-6)


def test_dense_never_reaching_eps_bounds_the_ratio_from_below():
    """N_dense > 1024 (censored): ρ_lo = log(1024/N_sparse) is finite, the upper end unbounded: pass."""
    result = _verdict(_arrays([40.0, 60.0, 50.0, 45.0], [math.inf, 300.0, math.inf, 200.0]))
    assert result.outcome == "pass", result.reason
    assert result.details["ratio_band"][1] == math.inf


def test_censored_dense_with_a_weak_lower_bound_is_not_a_fail():
    """N_dense > 512 with the sparse net at 400: the ratio may still be large; never a fail."""
    result = _verdict(_arrays([400.0, 400.0, 400.0, 400.0], [math.inf, 300.0, math.inf, 300.0]))
    assert result.outcome == "inconclusive", result.reason


def test_sparse_never_reaching_eps_is_inconclusive_with_a_wider_grid():
    result = _verdict(_arrays([math.inf, 60.0, 50.0, 45.0], [200.0, 300.0, 250.0, 200.0]))
    assert result.outcome == "inconclusive"
    assert "did not reach" in result.reason and "raise max_samples to >= 2048" in result.reason


def test_both_nets_below_eps_at_the_first_n_is_inconclusive():
    result = _verdict(_arrays([10.0, 12.0, 60.0, 45.0], [12.0, 14.0, 200.0, 200.0]))
    assert result.outcome == "inconclusive" and "lower epsilon" in result.reason


def test_diverged_fit_is_inconclusive():
    arrays = _arrays(*_ratios(np.log([3.0, 3.5, 2.5, 4.0])))
    arrays["diverged_dense"][1, 3] = True
    result = _verdict(arrays)
    assert result.outcome == "inconclusive" and "diverged" in result.reason and "lower lr" in result.reason


@pytest.mark.parametrize("train, outcome", [(0.049, "pass"), (0.051, "inconclusive")])
def test_training_error_band_at_half_eps(train, outcome):
    arrays = _arrays(*_ratios(np.log([3.0, 3.5, 2.5, 4.0])), train=train)
    result = _verdict(arrays)
    assert result.outcome == outcome, result.reason
    if outcome == "inconclusive":
        assert "not trained to convergence" in result.reason and "raise steps to >= 1000" in result.reason


@pytest.mark.parametrize("net", ["sparse", "dense"])
def test_unconverged_fit_before_the_crossing_is_inconclusive_after_it_ignored(net):
    arrays = _arrays(*_ratios(np.log([3.0, 3.5, 2.5, 4.0]), n_sparse=40.0))
    arrays[f"train_late_{net}"][:] = 0.6  # still falling everywhere
    arrays[f"train_{net}"][2, -1] = 0.3  # n = 1024: past every crossing
    assert _verdict(arrays).outcome == "pass"
    arrays[f"train_{net}"][2, 1] = 0.3  # n = 32: before both crossings
    result = _verdict(arrays)
    assert result.outcome == "inconclusive" and f"the {net} net is not trained" in result.reason


@pytest.mark.parametrize("drop, outcome", [(0.09, "pass"), (0.11, "inconclusive")])
def test_high_training_error_on_a_plateau_is_capacity_not_optimiser(drop, outcome):
    """Training error 0.3 > ε/2 everywhere: undecided only while it still falls by > 10% over the
    last 10% of the steps."""
    arrays = _arrays(*_ratios(np.log([3.0, 3.5, 2.5, 4.0])), train=0.3)
    for net in ("sparse", "dense"):
        arrays[f"train_late_{net}"][:] = 0.3 / (1.0 - drop)
    result = _verdict(arrays)
    assert result.outcome == outcome, result.reason
    if outcome == "inconclusive":
        assert "still falling" in result.reason


def test_unconverged_at_the_largest_steps_names_lr():
    arrays = _arrays(*_ratios(np.log([3.0, 3.5, 2.5, 4.0])), train=0.3)
    result = _verdict(arrays, steps=cs.STEPS_HIGH)
    assert result.outcome == "inconclusive" and "raise lr" in result.reason


def test_every_reason_names_a_criterion_and_no_traceback_on_nan():
    arrays = _arrays(*_ratios(np.log([3.0, 3.5, 2.5, 4.0])))
    arrays["test_sparse"][0, :] = np.nan
    result = _verdict(arrays)
    assert result.outcome == "inconclusive" and result.reason
