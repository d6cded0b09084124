"""low_rank_bound's verdict on doctored SGD + WD sequences (no simulation): every criterion on both sides.

**Statement.** The verdict passes iff the unrolled identity and the Eckart–Young bound hold to 1e-10‖W_T‖
for every layer and k, and the bound bites (< ½‖W_T‖) on every hidden-to-hidden layer; a bound that does
not bite fails with a steady norm and is inconclusive (raise steps) with a falling one; a collapsed net
(the weights only decay), a diverged run are inconclusive; the batch tape must read back size B.
"""

import math

import numpy as np
import pytest

from theorycheck import bounds, get_check, make_config
from theorycheck.checks import low_rank_bound as lrb

CHECK = get_check("low_rank_bound")
CONFIG = make_config(CHECK, {"width": 96, "lr": 0.12, "weight_decay": 0.06})  # K = 96, 1 − 2μλ = 0.9856
DATA = {"lr": 0.12, "weight_decay": 0.06}
K = CONFIG.tail()
SHAPES = [(64, 96), (96, 96), (96, 10)]


def _sequence(shape, rng, lam=0.06, start=0.7, grad=1.0, grads=None):
    """W_{T−K}..W_T from the exact recursion W ← (1 − 2μλ)W − μg with rank-1 (B = 1) gradients."""
    decay = 1 - 2 * 0.12 * lam
    w = [start * rng.standard_normal(shape) / math.sqrt(shape[0] * shape[1])]
    if grads is None:
        u, v = rng.standard_normal((K, shape[0])), rng.standard_normal((K, shape[1]))
        grads = grad * np.einsum("ki,kj->kij", u / np.linalg.norm(u, axis=1, keepdims=True),
                                 v / np.linalg.norm(v, axis=1, keepdims=True))
    for g in grads:
        w.append(decay * w[-1] - 0.12 * g)
    return np.stack(w), np.asarray(grads, float)


def _arrays(lam=0.06, layers=None, seed=0, **changes):
    rng = np.random.default_rng(seed)
    arrays = {"batch_sizes_read": np.ones(K), "loss_head": np.array([1.0, 0.8]), "loss_tail": np.full(K + 1, 0.8),
              "diverged": np.asarray(False), "train_accuracy": np.asarray(0.4)}
    for i, shape in enumerate(SHAPES):
        w, g = (layers or {}).get(i) or _sequence(shape, rng, lam=lam)
        arrays[f"w{i}"], arrays[f"g{i}"], arrays[f"rank_head{i}"] = w, g, np.array([min(shape)])
    arrays.update(changes)
    return arrays


def _verdict(arrays, data=DATA, config=CONFIG):
    return lrb.verdict(config, data, arrays)


@pytest.fixture(scope="module")
def steady():
    return _arrays()


def test_a_steady_sgd_wd_sequence_passes_and_bites(steady):
    result = _verdict(steady)
    assert result.outcome == "pass", result.reason
    assert result.details["identity_residual"] < 1e-13 and result.details["layer1_min_bound_ratio"] < lrb.BITE


@pytest.mark.parametrize("factor, outcome", [(0.9, "pass"), (1.1, "fail")])
def test_identity_band_at_the_longest_horizon_only(steady, factor, outcome):
    """A gradient error at the earliest recorded step enters only the k = K unrolling."""
    arrays = dict(steady)
    g = arrays["g1"].copy()
    coefficient = 0.12 * (1 - 2 * 0.12 * 0.06) ** (K - 1)  # μ(1 − 2μλ)^{K−1}
    e = np.zeros_like(g[0])
    e[0, 0] = factor * lrb.TOLERANCE * np.linalg.norm(arrays["w1"][-1]) / coefficient
    g[0] += e
    arrays["g1"] = g
    result = _verdict(arrays)
    assert result.outcome == outcome, result.reason
    assert result.details["identity_residual"] == pytest.approx(factor * 1e-10, rel=1e-3)
    if outcome == "fail":
        assert "identity residual" in result.reason


@pytest.mark.parametrize("factor, outcome", [(0.9, "pass"), (1.1, "fail")])
def test_eckart_young_band_at_one_horizon(steady, factor, outcome):
    """Layer 1 is zero until a last gradient of rank 2 (B = 1): W_T's distance to rank 1 is μσ₂ while
    the bound (1 − 2μλ)‖W_T−1‖ is 0, so the excess is σ₂/‖(σ₁, σ₂)‖, at k = 1 only."""
    excess = factor * lrb.TOLERANCE
    g = np.zeros((K, 96, 96))
    g[-1, 0, 0], g[-1, 1, 1] = -1.0, -excess / math.sqrt(1 - excess**2)
    w, _ = _sequence((96, 96), np.random.default_rng(0), start=0.0, grads=g)
    arrays = dict(steady, w1=w, g1=g)
    result = _verdict(arrays)
    assert result.outcome == outcome, result.reason
    assert result.details["bound_violation"] == pytest.approx(excess, rel=1e-4)
    if outcome == "fail":
        assert "Eckart–Young bound excess" in result.reason


def test_control_without_weight_decay_fails_because_the_bound_does_not_bite():
    """λ = 0: the bound is ‖W_T−k‖/‖W_T‖; with steady norms it stays above ½ (decided by the sequence)."""
    arrays = _arrays(lam=0.0, seed=3)
    result = _verdict(arrays, data={"lr": 0.12, "weight_decay": 0.0},
                      config=make_config(CHECK, {"width": 96, "lr": 0.12, "weight_decay": 0.0}))
    assert result.outcome == "fail", result.reason
    assert "layer 1: the bound does not bite" in result.reason and "steady norm" in result.reason
    assert result.details["layer1_min_bound_ratio"] >= lrb.BITE


def test_a_falling_norm_that_holds_the_bound_up_is_not_yet_decided(steady):
    rng = np.random.default_rng(5)
    arrays = dict(steady)
    arrays["w1"], arrays["g1"] = _sequence((96, 96), rng, start=30.0)  # far above the steady norm ≈ 0.7
    result = _verdict(arrays)
    assert result.outcome == "inconclusive", result.reason
    assert "layer 1" in result.reason and "still falls" in result.reason
    assert f"raise steps to >= {2 * CONFIG.steps}" in result.reason
    at_max = lrb.verdict(make_config(CHECK, {"width": 96, "lr": 0.12, "weight_decay": 0.06, "steps": 20_000}), DATA, arrays)
    assert at_max.outcome == "inconclusive" and "lower weight_decay" in at_max.reason  # the remedy stays in range


@pytest.mark.parametrize("share, collapsed", [(0.5e-6, True), (2e-6, False)])
def test_collapse_is_decided_from_the_tail_on_both_sides(share, collapsed):
    """Every layer only decays (a dead ReLU net: seed 113, depth 5, λ = 0.06) except a share in layer 1."""
    layers = {}
    for i, shape in enumerate(SHAPES):
        g = np.zeros((K, *shape))
        if i == 1:
            w, _ = _sequence(shape, np.random.default_rng(i), grads=g)
            g[-1, 0, 0] = share * np.linalg.norm(w[-1]) / 0.12
        layers[i] = _sequence(shape, np.random.default_rng(i), grads=g)
    result = _verdict(_arrays(layers=layers))
    assert result.outcome == "inconclusive", result.reason
    if collapsed:
        assert "collapsed to zero" in result.reason and "lower depth to 3" in result.reason
        assert "raise steps" not in result.reason
    else:
        assert "collapsed" not in result.reason and "still falls" in result.reason


def test_an_all_zero_layer_is_a_collapse_not_a_0_over_0_failure(steady):
    zero = (np.zeros((K + 1, 96, 96)), np.zeros((K, 96, 96)))
    one = _verdict(dict(steady, w1=zero[0], g1=zero[1]))  # W_1 = 0: the net's output is 0 whatever the others do
    assert one.outcome == "inconclusive" and "collapsed to zero" in one.reason
    layers = {i: (np.zeros((K + 1, *shape)), np.zeros((K, *shape))) for i, shape in enumerate(SHAPES)}
    dead = _verdict(_arrays(layers=layers))
    assert dead.outcome == "inconclusive" and "collapsed to zero" in dead.reason


@pytest.mark.parametrize("changes", [{"diverged": np.asarray(True)}, "nan"])
def test_a_diverged_run_is_inconclusive(steady, changes):
    arrays = dict(steady)
    if changes == "nan":
        arrays["w2"] = arrays["w2"].copy()
        arrays["w2"][-1, 0, 0] = np.nan
    else:
        arrays.update(changes)
    result = _verdict(arrays)
    assert result.outcome == "inconclusive" and "diverged" in result.reason and "lower lr" in result.reason


def test_batches_of_the_wrong_size_fail(steady):
    arrays = dict(steady, batch_sizes_read=np.r_[np.ones(K - 1), 2.0])
    result = _verdict(arrays)
    assert result.outcome == "fail" and "batch tape" in result.reason


def test_closed_forms_by_hand():
    assert float(bounds.galanti23_decay(0.12, 0.06)) == pytest.approx(0.9856, rel=1e-15)
    assert float(bounds.galanti23_low_rank_distance(2.0, 2, 0.12, 0.06)) == pytest.approx(2.0 * 0.9856**2, rel=1e-15)
    assert K == 96  # ⌈max_l min(shape W_l)/B⌉ = ⌈96/1⌉


def test_batch_size_four_is_outside_the_range_and_validate_names_remedies_inside_it():
    fields = CHECK.config_type.__dataclass_fields__
    assert fields["batch_size"].metadata["high"] == 3
    # B = 4 could never pass validate: (1 − 2·0.12·0.06)^⌈256/4 − 1⌉ = 0.9856^63 ≥ 0.4
    assert 0.9856 ** math.ceil(256 / 4 - 1) >= 0.4
    make_config(CHECK, {"batch_size": 3, "width": 256, "lr": 0.12, "weight_decay": 0.06})  # B = 3 is reachable
    with pytest.raises(ValueError, match="lower 'batch_size' or raise 'width'"):
        make_config(CHECK, {"batch_size": 3, "width": 160})
    with pytest.raises(ValueError, match=r"raise lr·weight_decay to > 0\.00") as error:
        make_config(CHECK, {"batch_size": 2, "width": 160, "lr": 0.1, "weight_decay": 0.04})
    need = float(str(error.value).rsplit("> ", 1)[1])
    assert need < 0.12 * 0.06
    make_config(CHECK, {"batch_size": 2, "width": 160, "lr": 0.12, "weight_decay": need / 0.12 * 1.001})
