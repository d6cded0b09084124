"""Wide networks and gradient geometry (issue 10): gradient oscillation, SynFlow conservation and
pruning, global convergence of wide two-layer nets. Each default passes on several seeds, each
negative control fails (in Python and through the CLI), and the library pieces have their own
closed-form tests."""


import jax
import jax.numpy as jnp
import numpy as np
import pytest

from theorycheck import get_check, make_config
from theorycheck._check import FAIL, INCONCLUSIVE, PASS
from theorycheck.cli import main
from _support import run_check

# library numerics and module-level verdict functions at float64 tolerances: float64 scoped to
# each test by the x64 fixture (checks run through Check.run scope it themselves)
pytestmark = pytest.mark.usefixtures("x64")


_run = run_check


def _cli(tmp_path, name, *sets):
    args = ["run", name, "--out", str(tmp_path), "--no-plots"]
    for item in sets:
        args += ["--set", item]
    return main(args)


# gradient_oscillation -------------------------------------------------------------------------


def test_gradient_oscillation_default_and_eos_side_run():
    result = _run("gradient_oscillation")
    assert result.outcome == PASS, result.reason
    assert result.details["formula_error"] <= result.details["formula_tolerance"] <= 1e-10
    # the edge-of-stability side run: +1 before the crossing, ≈ −1 once the sharpness sits at 2/η
    assert result.details["eos_median_cosine_first_10pct"] > 0.99
    assert result.details["eos_median_cosine_last_half"] < -0.99
    assert result.details["eos_sharpness_ratio_final"] > 0.85  # within the EoS band (±15%)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_gradient_oscillation_other_seeds(seed):
    result = _run("gradient_oscillation", seed=seed, eos_steps=0)
    assert result.outcome == PASS, result.reason


def test_gradient_oscillation_control_fails_on_the_oscillation_not_the_formula(tmp_path):
    """Heavy ball (momentum 0.5) breaks "plain GD": the simulated cosines leave the predicted limit."""
    result = _run("gradient_oscillation", momentum=0.5, eos_steps=0)
    assert result.outcome == FAIL, result.reason
    assert _cli(tmp_path, "gradient_oscillation", "momentum=0.5", "eos_steps=0") == 1
    assert _cli(tmp_path, "gradient_oscillation", "eos_steps=0") == 0


@pytest.mark.parametrize("fraction", [0.9, 1.1, 1.5])
def test_gradient_oscillation_threshold(fraction):
    """Each side of η = 2/(λ_max+λ_min) (the fraction), on a 3-mode spectrum: the limit is +1
    below it and −1 above it (1.5× diverges, |1 − ηλ_max| > 1, and still oscillates): each passes."""
    eigenvalues = (0.5, 2.0, 4.0)
    lr = fraction * 2 / (4.0 + 0.5)
    result = _run("gradient_oscillation", lr=lr, eigenvalues=eigenvalues, steps=400, eos_steps=0)
    assert result.outcome == PASS, result.reason


def test_gradient_oscillation_short_run_is_inconclusive_with_remedy():
    result = _run("gradient_oscillation", lr=0.17, steps=10, eos_steps=0)
    assert result.outcome == INCONCLUSIVE and "raise steps to >=" in result.reason


def test_gradient_oscillation_needs_two_eigenvalues():
    with pytest.raises(ValueError, match="eigenvalues"):
        make_config(get_check("gradient_oscillation"), {"eigenvalues": (2.0, 2.0)})


def test_gradient_oscillation_lr_is_data_one_vmap():
    check = get_check("gradient_oscillation")
    config = make_config(check, {"eos_steps": 0})
    traces = []

    def counted(data, key):
        traces.append(1)
        return check.simulate(config, data, key)

    sweep = jax.jit(jax.vmap(counted, in_axes=({"lr": 0, "momentum": None}, None)))
    lrs = jnp.array([0.15, 0.19, 0.25])
    out = sweep({"lr": lrs, "momentum": jnp.array(0.0)}, jax.random.key(0))
    sweep({"lr": lrs + 0.01, "momentum": jnp.array(0.0)}, jax.random.key(0))
    assert len(traces) == 1
    outcomes = [check.verdict(config, {"lr": float(lr), "momentum": 0.0},
                              jax.tree.map(lambda a: np.asarray(a[i]), out)).outcome for i, lr in enumerate(lrs)]
    assert outcomes == [PASS, PASS, PASS]  # +1 below 2/(λ_max+λ_min) = 0.18, −1 above


# synflow_conservation -------------------------------------------------------------------------


def test_synflow_default_paper_scale_passes():
    """The reference fc (depth 6, width 100), 10^3 compression, 100 rounds: conservation to float64
    rounding; SynFlow keeps every layer, magnitude and SNIP each empty one."""
    result = _run("synflow_conservation")
    assert result.outcome == PASS, result.reason
    assert result.error < 1e-14 < result.tolerance <= 1e-12
    assert min(result.details["kept_per_layer_synflow"]) >= 1
    assert result.details["collapsed_magnitude"] and result.details["collapsed_snip"]
    assert result.details["rounds_within_cut"]


@pytest.mark.parametrize("seed", [1, 2])
def test_synflow_other_seeds(seed):
    result = _run("synflow_conservation", seed=seed)  # the default config: compiled once
    assert result.outcome == PASS, result.reason


@pytest.mark.parametrize("control, law", [({"activation": "tanh"}, "layer_sum_error"),
                                          ({"bias": True}, "layer_sum_error")])
def test_synflow_controls_fail_far_outside_the_tolerance(control, law):
    result = _run("synflow_conservation", rounds=10, **control)
    assert result.outcome == FAIL, result.reason
    assert result.details[law] > 1e6 * result.tolerance
    if control.get("bias"):  # the neuron-wise law counts the bias as incoming: it still holds
        assert result.details["neuron_error"] <= result.tolerance


def test_synflow_control_through_the_cli(tmp_path):
    assert _cli(tmp_path, "synflow_conservation", "activation=tanh", "rounds=10") == 1
    assert _cli(tmp_path, "synflow_conservation", "bias=true", "rounds=10") == 1


def test_synflow_single_shot_collapse_is_outside_the_hypothesis():
    """rounds=1 (single-shot SynFlow) prunes more than a layer's total in one step: it collapses
    the network, which the theorem does not forbid: inconclusive with a remedy, never a fail."""
    result = _run("synflow_conservation", rounds=1)
    assert result.outcome == INCONCLUSIVE and "raise rounds" in result.reason
    assert result.details["collapsed_synflow"] and not result.details["rounds_within_cut"]


def test_synflow_low_compression_has_no_contrast():
    result = _run("synflow_conservation", compression=1.0, rounds=10)
    assert result.outcome == INCONCLUSIVE and "raise compression" in result.reason


def test_synflow_too_much_compression_is_bad_input():
    with pytest.raises(ValueError, match="compression"):
        make_config(get_check("synflow_conservation"), {"compression": 4.0})


def test_synflow_score_is_the_closed_form_on_a_tiny_net():
    """R = 1ᵀ|W1||W2||W3|1 and its exact derivative, on a 3-2-2-1 linear net, by hand."""
    from theorycheck import dynamics
    from theorycheck import models

    net = models.mlp((3, 2, 2, 1), "linear", bias=False)
    params = net.init(jax.random.key(3))
    w = [np.abs(np.asarray(layer["w"])) for layer in params]
    scores = dynamics.synflow_scores(net.apply, params, 3)
    ones = [np.ones((1, 3)), np.ones((1, 2)), np.ones((1, 2))]
    forward = [np.ones((1, 3)), np.ones((1, 3)) @ w[0], np.ones((1, 3)) @ w[0] @ w[1]]
    backward = [w[1] @ w[2], w[2], np.ones((1, 1))]
    del ones
    for layer, f, b, wl in zip(scores, forward, backward, w):
        expected = wl * (f.T @ b.reshape(1, -1))
        np.testing.assert_allclose(np.asarray(layer["w"]), expected, rtol=1e-13)


def test_global_mask_and_exponential_schedule():
    from theorycheck import dynamics

    params = [{"w": jnp.arange(1.0, 13.0).reshape(3, 4), "b": jnp.ones(4)}, {"w": -jnp.arange(1.0, 5.0).reshape(4, 1)}]
    template = dynamics.full_mask(params)
    assert template[0]["b"] is None
    mask = dynamics.global_mask(dynamics.magnitude_scores(params), 0.25, template)
    # 16 weights, k = floor(0.75·16) = 12 pruned: the 4 largest magnitudes (9..12 of layer 0) stay
    np.testing.assert_array_equal(np.asarray(mask[0]["w"]).ravel(), [0] * 8 + [1] * 4)
    np.testing.assert_array_equal(np.asarray(mask[1]["w"]).ravel(), [0] * 4)
    trajectory = dynamics.iterative_pruning(dynamics.magnitude_scores, params, 0.25, rounds=4)
    np.testing.assert_allclose(np.asarray(trajectory.densities), 0.25 ** (np.arange(1, 5) / 4))
    assert int(np.asarray(trajectory.kept).sum(axis=1)[-1]) == 4
    # kept counts never increase: a pruned weight scores 0 and never comes back
    assert np.all(np.diff(np.asarray(trajectory.kept).sum(axis=1)) <= 0)


# gd_global_convergence ------------------------------------------------------------------------


def test_gd_global_convergence_default_passes():
    result = _run("gd_global_convergence")
    assert result.outcome == PASS, result.reason
    assert result.error < 0  # the loss stays strictly below the rate bound after step 0
    for name in ("gram_concentration", "gram_drift", "weight_movement"):
        assert -0.65 <= result.details[f"slope_{name}"] <= -0.35
    assert result.details["final_loss_ratio_per_width"][-1] <= 1e-6


@pytest.mark.parametrize("seed", [1, 2])
def test_gd_global_convergence_other_seeds(seed):
    result = _run("gd_global_convergence", seed=seed)
    assert result.outcome == PASS, result.reason


def test_gd_global_convergence_duplicate_inputs_plateau(tmp_path):
    result = _run("gd_global_convergence", duplicate_inputs=True)
    assert result.outcome == FAIL and "plateaus" in result.reason, result.reason
    assert abs(result.details["lambda0"]) < 1e-12
    # the plateau is (y₁ − y_n)²/4 = 1/4 (the duplicated pair's labels differ by 1)
    losses = result.arrays["losses"][-1]
    np.testing.assert_allclose(losses[:, -1], 0.25, rtol=1e-2)
    assert _cli(tmp_path, "gd_global_convergence", "duplicate_inputs=true") == 1


def test_gd_global_convergence_step_above_two_over_lambda_max_fails(tmp_path):
    result = _run("gd_global_convergence", lr=4.5)
    assert result.outcome == FAIL and "diverged" in result.reason, result.reason
    assert 4.5 > result.details["stable_lr_limit"]
    assert _cli(tmp_path, "gd_global_convergence", "lr=4.5") == 1


def test_gd_global_convergence_small_lr_is_inconclusive():
    result = _run("gd_global_convergence", lr=0.001)
    assert result.outcome == INCONCLUSIVE and "raise steps" in result.reason, result.reason


def test_gram_infinite_matches_monte_carlo_and_empirical_ntk():
    """H∞ against a Monte-Carlo average of the indicator formula, and the empirical NTK of a very
    wide net (Jacobian contraction) against both."""
    from theorycheck import bounds
    from theorycheck import dynamics
    from theorycheck import models

    key_x, key_w, key_a = jax.random.split(jax.random.key(7), 3)
    x = jax.random.normal(key_x, (6, 4))
    x = np.asarray(x / jnp.linalg.norm(x, axis=1, keepdims=True))
    closed = bounds.du19_gram_infinite(x)
    m = 200_000
    w = np.asarray(jax.random.normal(key_w, (4, m)))
    active = (x @ w >= 0).astype(float)
    monte_carlo = (x @ x.T) * (active @ active.T) / m
    np.testing.assert_allclose(monte_carlo, closed, atol=5 / np.sqrt(m))
    net = models.two_layer(4, m, parameterization="ntk")
    a = jax.random.rademacher(key_a, (m,), dtype=jnp.float64)
    ntk = dynamics.empirical_ntk(lambda ww, xx: net.apply({"w": ww, "a": a}, xx), jnp.asarray(w), jnp.asarray(x),
                                 chunk_size=4)
    np.testing.assert_allclose(np.asarray(ntk), monte_carlo, atol=1e-10)  # the same sample of w: exact
    with pytest.raises(ValueError, match="unit-norm"):
        bounds.du19_gram_infinite(2 * x)


def test_linearized_residuals_are_exact_for_a_linear_model():
    """GD on ½‖Xθ − y‖² (Gram XXᵀ) follows (I − ηXXᵀ)^k r(0) to rounding."""
    from theorycheck import bounds
    from theorycheck import dynamics

    key_x, key_y = jax.random.split(jax.random.key(3))
    x = jax.random.normal(key_x, (5, 8)) / 3
    y = jax.random.normal(key_y, (5,))
    loss = lambda theta: 0.5 * jnp.sum((x @ theta - y) ** 2)  # noqa: E731
    run = dynamics.gradient_descent(loss, dynamics.plain_sgd(0.3), num_steps=50, every=1,
                                    observers={"r": dynamics.stateless(lambda th, k: x @ th - y)})
    trajectory = run(jnp.zeros(8), jax.random.key(0))
    predicted = bounds.linearized_gd_residuals(np.asarray(x @ x.T), -np.asarray(y), 0.3, 50)
    np.testing.assert_allclose(np.asarray(trajectory.observations["r"]), predicted, atol=1e-12)
