"""Soft-set confusion matrix (issue 10, Tsoi et al. 2022): the library pieces against their closed
forms, and the ``soft_confusion`` check (pass at its default and other seeds, the sigmoid control
fails on the exactness, in Python and through the CLI)."""

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from theorycheck import bounds
from theorycheck import models
from theorycheck import get_check, make_config
from theorycheck._check import FAIL, PASS
from theorycheck.cli import main

# library numerics and module-level verdict functions at float64 tolerances: float64 scoped to
# each test by the x64 fixture (checks run through Check.run scope it themselves)
pytestmark = pytest.mark.usefixtures("x64")

TAUS = tuple(k / 10 for k in range(1, 10))


# library ---------------------------------------------------------------------------------------


_GRID = np.linspace(0.0, 1.0, 1001)


@jax.jit
def _heaviside_and_slopes(p, tau, delta):
    # one compile for every (τ, δ): both are traced
    h = models.tsoi22_heaviside(p, tau, delta)
    slopes = jax.vmap(jax.grad(models.tsoi22_heaviside), in_axes=(0, None, None))(p, tau, delta)
    return h, slopes


@given(tau=st.floats(0.02, 0.98), delta=st.floats(0.01, 0.49))
def test_heaviside_matches_the_interpolant_of_its_knots(tau, delta):
    knots, values = bounds.tsoi22_heaviside_knots(tau, delta)
    points = np.concatenate([_GRID, knots, [tau]])
    h, slopes = map(np.asarray, _heaviside_and_slopes(jnp.asarray(points), jnp.asarray(tau), jnp.asarray(delta)))
    np.testing.assert_allclose(h, bounds.tsoi22_heaviside_reference(points, tau, delta), rtol=0, atol=1e-12)
    assert h[0] == 0.0 and h[-1] == 0.5 and abs(h[_GRID.size - 1] - 1.0) <= 1e-12  # H(0), H(τ), H(1)
    np.testing.assert_allclose(h[_GRID.size:-1], values, atol=1e-12)
    assert np.all(np.diff(h[: _GRID.size]) > 0)
    # the derivative never vanishes (the paper's point against a saturating sigmoid)
    assert slopes.min() >= bounds.tsoi22_heaviside_slopes(tau, delta).min() * (1 - 1e-9) > 0


def test_delta_zero_gives_flat_tails_and_the_sigmoid_saturates():
    grad = jax.grad(lambda q: models.tsoi22_heaviside(q, 0.5, 0.0))
    assert float(grad(0.1)) == 0.0  # δ = 0: no gradient outside the band
    assert float(jax.grad(lambda q: models.sigmoid_heaviside(q, 0.1))(1.0)) < 2e-3
    assert float(models.sigmoid_heaviside(0.0, 0.1)) > 0.26  # σ(−1): H(0) ≠ 0


def test_soft_confusion_partitions_and_is_the_hard_matrix_at_01_predictions():
    key_p, key_y = jax.random.split(jax.random.key(3))
    p = jax.random.uniform(key_p, (200,))
    y = (jax.random.uniform(key_y, (200,)) < 0.2).astype(p.dtype)
    soft = np.asarray(models.soft_confusion_matrix(p, y, delta=0.2))
    assert soft.shape == (9, 4)
    np.testing.assert_allclose(soft[:, 0] + soft[:, 1], float(y.sum()), rtol=1e-13)
    np.testing.assert_allclose(soft[:, 2] + soft[:, 3], float((1 - y).sum()), rtol=1e-13)
    hard_p = (p >= 0.5).astype(p.dtype)
    hard = bounds.hard_confusion_matrix(np.asarray(hard_p), np.asarray(y))
    np.testing.assert_allclose(np.asarray(models.soft_confusion_matrix(hard_p, y, delta=0.2)),
                               np.broadcast_to(hard, (9, 4)), rtol=0, atol=1e-12)
    sigmoid = np.asarray(models.soft_confusion_matrix(hard_p, y, surrogate="sigmoid"))
    assert np.max(np.abs(sigmoid - hard)) > 1.0  # the control's violation
    f1 = float(models.f1_from_confusion(jnp.asarray(hard)))
    assert f1 == pytest.approx(bounds.hard_f1(np.asarray(hard_p), np.asarray(y)), abs=1e-15)


def test_classifier_loss_values_and_bad_input():
    net = models.Model(init=lambda key: jnp.zeros(()), apply=lambda w, x: w * x[:, 0])
    x = jnp.array([[-50.0], [-50.0], [50.0], [50.0]])
    y = jnp.array([0.0, 0.0, 1.0, 1.0])
    for loss in ("f1", "accuracy", "mse"):
        assert float(models.classifier_loss(net, loss)(jnp.array(1.0), (x, y))) == pytest.approx(0.0, abs=1e-12)
    # all p = ½: soft F1 at each τ from H(½); the loss is 1 − its mean over τ
    h = np.array([bounds.tsoi22_heaviside_reference(0.5, t, 0.2) for t in TAUS])
    expected = 1 - np.mean(2 * 2 * h / (2 * 2 * h + 2 * h + 2 * (1 - h)))
    assert float(models.classifier_loss(net, "f1")(jnp.array(0.0), (x, y))) == pytest.approx(expected, abs=1e-12)
    with pytest.raises(ValueError, match="loss"):
        models.classifier_loss(net, "hinge")
    with pytest.raises(ValueError, match="surrogate"):
        models.classifier_loss(net, "f1", surrogate="tanh")
    with pytest.raises(ValueError, match="tau"):
        bounds.tsoi22_heaviside_knots(1.0, 0.2)


def test_digits_one_vs_rest_counts_and_bad_input():
    x_train, y_train, x_test, y_test = models.digits_one_vs_rest(jax.random.key(0), jnp.array(7), positives=33)
    assert x_train.shape == (817, 64) and x_test.shape == (816, 64)
    assert float(y_train.sum()) == 17 and float(y_test.sum()) == 16
    np.testing.assert_allclose(np.asarray(x_train.mean(axis=0)), 0.0, atol=1e-12)
    with pytest.raises(ValueError, match="positives"):
        models.digits_one_vs_rest(jax.random.key(0), 3, positives=175)


# the check -------------------------------------------------------------------------------------


def _cli_record(tmp_path, *sets, seed=0):
    args = ["run", "soft_confusion", "--out", str(tmp_path), "--no-plots", "--seed", str(seed)]
    for item in sets:
        args += ["--set", item]
    code = main(args)
    with open(tmp_path / "results.json") as f:
        return code, json.load(f)["checks"][0]


def test_default_passes_through_the_cli_with_a_gain_beyond_the_seed_margin(tmp_path):
    code, record = _cli_record(tmp_path)
    assert code == 0 and record["outcome"] == PASS, record["reason"]
    d = record["details"]
    assert d["f1_claim"] == "established" and d["mean_gain"] > d["margin_95"] > 0
    assert d["mean_test_f1_soft"] > d["mean_test_f1_mse"] + 0.1  # measured: 0.72 vs 0.54
    assert d["strictly_increasing"] and record["error"] <= 1e-12


def test_step_control_fails_on_the_f1_comparison_not_on_exactness(tmp_path):
    code, record = _cli_record(tmp_path, "surrogate=step", seed=1)
    assert code == 1 and record["outcome"] == FAIL, record["reason"]
    d = record["details"]
    assert d["f1_claim"] == "worse" and d["mean_gain"] < -d["margin_95"] < 0
    assert d["hard_matrix_error"] <= 1e-12 and d["partition_error"] <= 1e-12 and d["endpoint_error"] <= 1e-12
    assert "lower test F1" in record["reason"] and "hard one" not in record["reason"]


@pytest.mark.slow
def test_quick_config_other_seed_passes():
    check = get_check("soft_confusion")
    result = check.run(make_config(check, {"replicates": 5, "steps": 150, "imbalance": 0.01}), jax.random.key(7))
    assert result.outcome == PASS, result.reason


def test_steps_must_divide_the_record_interval():
    with pytest.raises(ValueError, match="steps"):
        make_config(get_check("soft_confusion"), {"steps": 155})


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_default_other_seeds(seed):
    check = get_check("soft_confusion")
    result = check.run(make_config(check, {}), jax.random.key(seed))
    assert result.outcome == PASS, result.reason


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sigmoid_fails_on_the_hard_matrix_at_default_sizes(seed):
    check = get_check("soft_confusion")
    result = check.run(make_config(check, {"surrogate": "sigmoid"}), jax.random.key(seed))
    assert result.outcome == FAIL, result.reason
    assert "hard one" in result.reason and result.details["endpoint_error"] <= 1e-12
