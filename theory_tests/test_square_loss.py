"""Deep classifiers under the square loss (issue 8; shared/THEORY.md §3, §4): the library pieces
(digits, spectra, the batch tape, the low-rank bounds) and the checks, each able to fail."""

import subprocess
import sys

import jax
import jax.flatten_util
import jax.numpy as jnp
import numpy as np
import pytest

from theorycheck import bounds
from theorycheck import dynamics
from theorycheck import models
from theorycheck import get_check, make_config
from _support import run_check, run_cli

# library numerics and module-level verdict functions at float64 tolerances: float64 scoped to
# each test by the x64 fixture (checks run through Check.run scope it themselves)
pytestmark = pytest.mark.usefixtures("x64")


_run = run_check


_cli = run_cli


# data -----------------------------------------------------------------------------------------


_DIGITS_AFTER_A_FLOAT32_CAPTURE = """
import jax
from theorycheck import models
def body(total, _):  # a scan body captures the cached numpy array as a float32 constant
    return total + models.load_digits(jax.random.key(0))[0].sum(), None
jax.jit(lambda: jax.lax.scan(body, 0.0, None, length=2))()
with jax.enable_x64(True):
    x, y, _, _ = models.load_digits(jax.random.key(0))
    print(x.dtype, y.dtype, float(abs(x.std(axis=0) - 1.0).max(initial=0.0, where=x.std(axis=0) > 0)))
"""


def test_digits_are_float64_in_a_float64_scope_after_a_float32_jit_captured_them():
    """jax caches a numpy constant captured by jit by identity; the float32 copy must not leak into
    a check's float64 scope (population_search then fast_adversarial_bilevel in one process did).
    A fresh process: which captures hit that cache depends on what the process did before."""
    out = subprocess.run([sys.executable, "-c", _DIGITS_AFTER_A_FLOAT32_CAPTURE], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out[:2] == ["float64", "float64"], out
    assert float(out[2]) < 1e-12  # standardised in float64, not float32's rounding


def test_digits_split_is_fixed_by_the_key_and_standardised():
    x, y, xt, yt = models.load_digits(jax.random.key(3))
    x2, _, _, _ = models.load_digits(jax.random.key(3))
    x3, _, _, _ = models.load_digits(jax.random.key(4))
    assert x.shape == (1348, 64) and y.shape == (1348, 10) and xt.shape == (449, 64) and yt.shape == (449, 10)
    np.testing.assert_array_equal(x, x2)
    assert not np.array_equal(x, x3)
    np.testing.assert_allclose(x.mean(axis=0), 0.0, atol=1e-12)
    std = np.asarray(x.std(axis=0))
    assert np.all((np.abs(std - 1) < 1e-12) | (std < 1e-12))  # constant pixels are only centred
    np.testing.assert_array_equal(y.sum(axis=1), 1.0)
    assert set(np.unique(np.argmax(np.concatenate([y, yt]), 1))) == set(range(10))
    assert models.load_digits(jax.random.key(0), train_size=100)[0].shape == (100, 64)
    with pytest.raises(ValueError, match="train_size"):
        models.load_digits(jax.random.key(0), train_size=2000)


# observers ------------------------------------------------------------------------------------


def test_spectrum_observer_counts_rank_like_the_reference_code():
    key_a, key_b = jax.random.split(jax.random.key(0))
    low = jax.random.normal(key_a, (20, 3)) @ jax.random.normal(key_b, (3, 15))
    params = [{"w": low, "b": jnp.ones(15)}, {"w": jnp.eye(6)}]
    record, _ = dynamics.weight_spectra().observe(params, (), jax.random.key(1))
    assert int(record[0]["w"]["rank"]) == 3 and record[0]["b"] is None and not jax.tree.leaves(record[0]["b"])
    assert int(record[1]["w"]["rank"]) == 6
    np.testing.assert_allclose(record[1]["w"]["effective_rank"], 6.0, rtol=1e-12)
    # a singular value just above / below 1e-3 of the Frobenius norm
    s = jnp.array([1.0, 2e-3, 5e-4])
    assert int(dynamics.numerical_rank(s)) == 2
    assert float(dynamics.effective_rank(jnp.array([1.0, 0.0]))) == pytest.approx(1.0)


# the batch tape -------------------------------------------------------------------------------


def _regression():
    x = jax.random.normal(jax.random.key(0), (30, 5))
    y = jax.random.normal(jax.random.key(1), (30, 2))
    net = models.mlp([5, 8, 2], bias=False)

    def loss(params, batch):
        return jnp.mean(jnp.sum((net.apply(params, batch[0]) - batch[1]) ** 2, axis=1))

    return x, y, net, loss


def test_batch_tape_leaves_the_trajectory_unchanged_and_reads_the_batches_back():
    x, y, net, loss = _regression()
    params0 = net.init(jax.random.key(2))
    tape = dynamics.batch_tape(loss, (x, y))
    opt = dynamics.plain_sgd(0.05, weight_decay=0.2)
    plain = dynamics.sgd(loss, opt, (x, y), batch_size=4, num_steps=12, every=1)(params0, jax.random.key(3))
    run = dynamics.sgd(tape.loss_fn, opt, tape.data, batch_size=4, num_steps=12, every=1,
                       observers={"p": dynamics.parameters()})
    taped = run(tape.init(params0), jax.random.key(3))
    jax.tree.map(np.testing.assert_array_equal, taped.final_params["params"], plain.final_params)
    np.testing.assert_array_equal(taped.losses, plain.losses)
    masks = np.asarray(dynamics.tape_batches(taped.observations["p"]["tape"], 0.05, 0.2))
    assert masks.shape == (12, 30) and np.all(masks.sum(axis=1) == 4)
    # the read-back batch reproduces each step exactly: W' = (1 − μ·wd)W − μ∇L_S(W)
    ps = taped.observations["p"]["params"]
    for t in (0, 7):
        p_t = jax.tree.map(lambda a: a[t], ps)
        g = jax.grad(loss)(p_t, (x[masks[t]], y[masks[t]]))
        predicted = jax.tree.map(lambda w, gw: (1 - 0.05 * 0.2) * w - 0.05 * gw, p_t, g)
        jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14),
                     predicted, jax.tree.map(lambda a: a[t + 1], ps))


# bounds ---------------------------------------------------------------------------------------


def test_unrolled_identity_and_eckart_young_on_a_synthetic_sequence():
    rng = np.random.default_rng(0)
    lr, lam, K = 0.1, 0.3, 6
    grads = rng.normal(size=(K, 7, 5))
    ws = [rng.normal(size=(7, 5))]
    for g in grads:
        ws.append((1 - 2 * lr * lam) * ws[-1] - lr * g)
    ws = np.stack(ws)
    unrolled = bounds.galanti23_unrolled_weights(ws, grads, lr, lam)
    np.testing.assert_allclose(unrolled, np.broadcast_to(ws[-1], unrolled.shape), rtol=1e-13, atol=1e-13)
    # a wrong convention (λ instead of 2λ) breaks it
    assert np.abs(bounds.galanti23_unrolled_weights(ws, grads, lr, lam / 2) - ws[-1]).max() > 1e-2
    w = rng.normal(size=(7, 5))
    u, s, vt = np.linalg.svd(w, full_matrices=False)
    for r in range(6):
        best = (u[:, :r] * s[:r]) @ vt[:r]
        assert bounds.eckart_young_distance(w, r) == pytest.approx(np.linalg.norm(w - best), rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(bounds.galanti23_low_rank_distance(2.0, 3, 0.1, 0.5), 2.0 * 0.9**3)


# low_rank_bound -------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, pytest.param(4, marks=pytest.mark.slow)])
def test_low_rank_bound_passes_and_bites(seed):
    result = _run("low_rank_bound", seed=seed)
    assert result.passed, (result.reason, result.details)
    assert result.details["identity_residual"] < 1e-13
    assert result.details["layer1_min_bound_ratio"] < 0.5
    assert result.details["layer1_rank_T"] < result.details["layer1_rank_init"] / 4  # the rank did fall


def test_low_rank_bound_control_fails_through_the_cli(tmp_path, capsys):
    code, out = _cli(capsys, "run", "low_rank_bound", "--set", "weight_decay=0", "--set", "steps=1000", "--no-plots", "--out", str(tmp_path))
    assert code == 1, out.out
    assert "the bound does not bite" in out.out  # decided by the simulated norms, not by λ = 0 alone


def test_low_rank_bound_rejects_hyperparameters_where_the_bound_cannot_bite():
    with pytest.raises(ValueError, match="weight_decay"):
        make_config(get_check("low_rank_bound"), {"weight_decay": 0.01})


# equal_layer_norms ----------------------------------------------------------------------------


@pytest.mark.parametrize("seed, overrides", [(0, {}), (5, {"activation": "linear", "lr": 0.05}),
                                            pytest.param(7, {"depth": 4}, marks=pytest.mark.slow)])
def test_equal_layer_norms_passes(seed, overrides):
    result = _run("equal_layer_norms", seed=seed, **overrides)
    assert result.passed, (result.reason, result.details)
    assert result.error < 1e-4  # well inside the 1e-3 tolerance, from an initial spread above 0.1
    spread0 = np.ptp(result.details["initial_norms"]) / np.mean(result.details["initial_norms"])
    assert spread0 > 0.1
    assert result.details["flow_balancedness_error"] < 1e-8


def test_equal_layer_norms_control_keeps_the_spread_and_conserves_balancedness(tmp_path, capsys):
    result = _run("equal_layer_norms", weight_decay=0.0)
    assert result.outcome == "fail" and result.error > 100 * result.tolerance
    assert result.details["flow_balancedness_error"] < 1e-8  # conserved by the flow: the law holds, the norms differ
    code, out = _cli(capsys, "run", "equal_layer_norms", "--set", "weight_decay=0", "--no-plots", "--out", str(tmp_path))
    assert code == 1, out.out


def test_equal_layer_norms_short_run_is_inconclusive_with_the_horizon():
    result = _run("equal_layer_norms", steps=100)
    assert result.outcome == "inconclusive" and "raise steps to >=" in result.reason


# sgd_noise ------------------------------------------------------------------------------------


def test_per_sample_variance_matches_the_minibatch_variance_by_enumeration():
    """E_S‖∇L_S − ∇L‖² = (n − B)/(B(n − 1))·V, by enumerating every batch of a tiny problem."""
    import itertools

    x, y, net, loss = _regression()
    x, y = x[:6], y[:6]
    params = net.init(jax.random.key(4))
    flat = lambda p: jax.flatten_util.ravel_pytree(p)[0]  # noqa: E731
    full = flat(jax.grad(loss)(params, (x, y)))
    V = dynamics.per_sample_gradient_variance(loss, (x, y))(params)
    for B in (1, 2, 4, 6):
        devs = [float(jnp.sum((flat(jax.grad(loss)(params, (x[np.array(s)], y[np.array(s)]))) - full) ** 2))
                for s in itertools.combinations(range(6), B)]
        floor = bounds.galanti23_sgd_noise_floor(V, 6, B, 1.0)
        assert np.mean(devs) == pytest.approx(floor**2, rel=1e-10, abs=1e-14)


@pytest.mark.parametrize("seed, overrides", [(0, {}), (3, {"batch_size": 2, "weight_decay": 0.004})])
def test_sgd_noise_plateaus_on_the_floor(seed, overrides):
    result = _run("sgd_noise", seed=seed, **overrides)
    assert result.passed, (result.reason, result.details)
    # the two-sided form: the RMS step matches μ·sqrt(‖∇L + 2λW‖² + c_B·V) at W_T (one iterate, not the window: 2–12% here)
    assert result.details["rms_step_late"] == pytest.approx(result.details["predicted_rms_at_T"], rel=0.2)


def test_sgd_noise_no_weight_decay_control_fails_through_the_cli(tmp_path, capsys):
    code, out = _cli(capsys, "run", "sgd_noise", "--set", "weight_decay=0", "--set", "steps=8000", "--no-plots",
                     "--out", str(tmp_path))
    assert code == 1 and "still falling" in out.out, out.out


# neural_collapse ------------------------------------------------------------------------------


def test_collapse_metrics_of_an_exact_simplex_etf_are_zero():
    C = 4
    etf = np.eye(C) - 1.0 / C  # centred one-hot: a simplex ETF in R^C
    features = jnp.asarray(np.repeat(etf, 3, axis=0) + 0.5)  # collapsed, shifted by a global mean
    labels = jnp.repeat(jnp.arange(C), 3)
    m = dynamics.neural_collapse_metrics(features, labels, jnp.asarray(2 * etf), jnp.zeros(C), C)
    for k in ("nc1", "nc3", "nc4", "equinorm_means", "equiangular_means", "equiangular_classifier"):
        assert abs(float(m[k])) < 1e-12, k
    assert bounds.simplex_etf_cosine(C) == pytest.approx(float(m["cos_means"][0, 1]))
    noisy = features + 0.1 * jax.random.normal(jax.random.key(0), features.shape)
    assert float(dynamics.neural_collapse_metrics(noisy, labels, jnp.asarray(etf), jnp.zeros(C), C)["nc1"]) > 1e-3


@pytest.mark.parametrize("seed, overrides", [(0, {}), (2, {"classes": 6})])
def test_neural_collapse_passes(seed, overrides):
    result = _run("neural_collapse", seed=seed, **overrides)
    assert result.passed, (result.reason, result.details)
    assert result.details["mean_cos_classifier"] == pytest.approx(bounds.simplex_etf_cosine(overrides.get("classes", 4)), abs=1e-8)


def test_neural_collapse_without_bias_gives_an_orthogonal_classifier(tmp_path, capsys):
    result = _run("neural_collapse", bias=False)
    assert result.outcome == "fail"
    assert abs(result.details["mean_cos_classifier"]) < 1e-6  # orthogonal rows, not −1/3
    assert result.details["nc3"] == pytest.approx(0.268, abs=2e-3)  # THEORY.md §4
    code, out = _cli(capsys, "run", "neural_collapse", "--set", "bias=false", "--no-plots", "--out", str(tmp_path))
    assert code == 1, out.out
