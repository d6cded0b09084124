"""synflow_conservation's verdict on doctored arrays (no simulation): SynFlow scores computed here in
numpy (an independent forward/backward pass), then one thing changed — each conservation law just
inside and outside the rounding tolerance on both sides, collapse with and without the step-size
hypothesis, a missing contrast (with a remedy inside validate's range), and each control failing on
the law its broken hypothesis breaks."""

import math

import numpy as np
import pytest

from theorycheck._check import FAIL, INCONCLUSIVE, PASS
from theorycheck.checks import synflow_conservation as sc

DEPTH, WIDTH = 3, 8


def _config(**kw):
    return sc.SynflowConservationConfig(**{"depth": DEPTH, "width": WIDTH, "compression": 1.0, "rounds": 10, **kw})


def _synflow_numpy(weights, biases, activation):
    """∂R/∂|θ| ⊙ |θ| of R = 1ᵀ f_|θ|(1), by a hand-written backward pass."""
    phi = {"relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0) * 1.0),
           "linear": (lambda z: z, lambda z: np.ones_like(z)),
           "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2)}[activation]
    hs, zs = [np.ones((1, weights[0].shape[0]))], []
    for i, w in enumerate(weights):
        z = hs[-1] @ np.abs(w) + (np.abs(biases[i])[None] if biases else 0.0)
        zs.append(z)
        hs.append(phi[0](z) if i < len(weights) - 1 else z)
    delta = np.ones_like(hs[-1])
    sw, sb = [None] * len(weights), [None] * len(weights)
    for i in reversed(range(len(weights))):
        sw[i] = (hs[i].T @ delta) * np.abs(weights[i])
        sb[i] = (delta[0] * np.abs(biases[i])) if biases else None
        if i:
            delta = (delta @ np.abs(weights[i]).T) * phi[1](zs[i - 1])
    return sw, (sb if biases else [])


def _arrays(activation="relu", bias=False, seed=0):
    rng = np.random.default_rng(seed)
    widths = _config().widths()
    weights = [rng.normal(size=(a, b)) / np.sqrt(a) for a, b in zip(widths[:-1], widths[1:])]
    biases = [rng.uniform(-1, 1, size=b) / np.sqrt(a) for a, b in zip(widths[:-1], widths[1:])] if bias else []
    sw, sb = _synflow_numpy(weights, biases, activation)
    output_term = 0.7
    signed = []
    for w in weights:  # any signed saliency whose layer sums are ⟨∂L/∂y, y⟩
        s = rng.normal(size=w.shape)
        signed.append(s - s.mean() + output_term / s.size)
    ones = [np.ones_like(w) for w in weights]
    emptied = lambda l: [np.zeros_like(w) if i == l else np.ones_like(w) for i, w in enumerate(weights)]
    return {"weights": weights, "biases": biases, "synflow_w": sw, "synflow_b": sb, "signed_w": signed,
            "output_term": np.asarray(output_term), "mask_synflow": ones, "mask_magnitude": emptied(0),
            "mask_snip": emptied(1), "synflow_kept_per_round": np.arange(10.0),
            "synflow_pruned_score": np.full(10, 0.5), "synflow_min_layer_score": np.ones(10)}


def _verdict(arrays, compression=1.0, **kw):
    return sc.verdict(_config(compression=compression, **kw), {"compression": compression}, arrays)


def _tolerance():
    p = 64 * WIDTH + WIDTH * WIDTH + WIDTH * 10
    return 2 * (DEPTH * max(WIDTH, 64) + math.log2(p)) * np.finfo(float).eps


def test_the_synthetic_scores_pass_and_the_tolerance_is_the_derived_formula():
    result = _verdict(_arrays())
    assert result.outcome == PASS, result.reason
    assert result.tolerance == pytest.approx(_tolerance(), rel=1e-12)  # 2(3·64 + log₂ 656)ε ≈ 8.99e-14
    assert result.error < 1e-15


@pytest.mark.parametrize("factor, outcome", [(0.5, PASS), (2.0, FAIL), (-2.0, FAIL)])
def test_layer_sums_band_both_sides(factor, outcome):
    arrays = _arrays()
    arrays["synflow_w"][-1] = arrays["synflow_w"][-1] * (1 + factor * _tolerance())
    result = _verdict(arrays)
    assert result.outcome == outcome, result.reason
    if outcome == FAIL:
        assert "SynFlow layer sums differ from R" in result.reason
    assert result.error == result.details["layer_sum_error"]  # the record's error is the worst law


@pytest.mark.parametrize("factor, outcome", [(0.5, PASS), (2.0, FAIL)])
def test_neuron_law_alone_just_inside_and_outside(factor, outcome):
    arrays = _arrays()
    s = arrays["synflow_w"][0]
    incoming = s.sum(axis=0)[0]
    outgoing = arrays["synflow_w"][1].sum(axis=1)[0]
    shift = factor * _tolerance() * (incoming + outgoing)
    s[0, 0] += shift  # neuron 0 gains, neuron 1 loses: the layer sum is unchanged
    s[0, 1] -= shift
    result = _verdict(arrays)
    assert result.outcome == outcome, result.reason
    if outcome == FAIL:
        assert "neuron-wise conservation" in result.reason and "layer sums differ" not in result.reason
    assert result.error == result.details["neuron_error"]  # the record's error is the worst law


@pytest.mark.parametrize("factor, outcome", [(0.5, PASS), (2.0, FAIL), (-2.0, FAIL)])
def test_signed_saliency_band_both_sides(factor, outcome):
    arrays = _arrays()
    s = arrays["signed_w"][1]
    s[0, 0] += factor * _tolerance() * np.abs(s).sum()
    result = _verdict(arrays)
    assert result.outcome == outcome, result.reason
    if outcome == FAIL:
        assert "cross-entropy saliency" in result.reason
    assert result.error == result.details["signed_saliency_error"]  # the record's error is the worst law


def test_collapse_within_the_hypothesis_fails():
    arrays = _arrays()
    arrays["mask_synflow"] = arrays["mask_magnitude"]
    result = _verdict(arrays)
    assert result.outcome == FAIL and "collapsed" in result.reason and "layers [0] emptied" in result.reason


def test_collapse_outside_the_hypothesis_is_inconclusive_with_the_rounds_needed():
    arrays = _arrays()
    arrays["mask_synflow"] = arrays["mask_magnitude"]
    arrays["synflow_pruned_score"] = np.array([0.5] * 9 + [2.5])  # one round pruned 2.5× the cut
    result = _verdict(arrays)
    assert result.outcome == INCONCLUSIVE and "raise rounds to >= 26" in result.reason, result.reason  # ⌈10·2.5⌉ + 1


def test_a_disconnected_mask_without_an_empty_layer_is_a_collapse():
    arrays = _arrays()
    masks = [np.ones_like(w) for w in arrays["weights"]]
    masks[0][:] = 0
    masks[0][:, 0] = 1  # only hidden unit 0 of layer 1 is fed
    masks[1][0, :] = 0  # and it feeds nothing
    arrays["mask_synflow"] = masks
    result = _verdict(arrays)
    assert result.outcome == FAIL and "no input–output path" in result.reason, result.reason


@pytest.mark.parametrize("intact", ["magnitude", "snip"])
def test_an_intact_baseline_leaves_no_contrast(intact):
    arrays = _arrays()
    arrays[f"mask_{intact}"] = [np.ones_like(w) for w in arrays["weights"]]
    result = _verdict(arrays)
    limit = math.log10((64 * WIDTH + WIDTH * WIDTH + WIDTH * 10) / (2 * DEPTH))
    assert result.outcome == INCONCLUSIVE and f"single-shot {intact} pruning" in result.reason, result.reason
    assert f"raise compression (at most {limit:.2f}" in result.reason
    at_limit = _verdict(arrays, compression=limit)  # the remedy must lie inside validate's range
    assert at_limit.outcome == INCONCLUSIVE and "raise width" in at_limit.reason, at_limit.reason


def test_tanh_control_fails_on_the_layer_sums_and_the_neuron_law():
    result = _verdict(_arrays(activation="tanh"), activation="tanh")
    assert result.outcome == FAIL, result.reason
    assert "SynFlow layer sums differ from R" in result.reason and "neuron-wise conservation" in result.reason


def test_relu_and_linear_scores_conserve():
    for activation in ("relu", "linear"):
        assert _verdict(_arrays(activation=activation), activation=activation).outcome == PASS


def test_bias_control_fails_on_the_layer_sums_only():
    result = _verdict(_arrays(bias=True), bias=True)
    assert result.outcome == FAIL and "SynFlow layer sums differ from R" in result.reason, result.reason
    assert "neuron-wise" not in result.reason  # the bias counts as incoming: the neuron law holds
    assert result.details["neuron_error"] <= result.tolerance
