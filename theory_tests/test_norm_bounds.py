"""Norm-based bounds (shared/THEORY.md §4) and the near-stationarity identity of SGD + WD (§3):
the `bounds` pieces (dense and kernel-norm), the conv and locally connected models, and the
`norm_bounds` check with its two controls, each able to fail."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from theorycheck import bounds
from theorycheck import dynamics
from theorycheck import models
from theorycheck import get_check, make_config
from theorycheck.cli import main
from _support import run_check

# library numerics and module-level verdict functions at float64 tolerances: float64 scoped to
# each test by the x64 fixture (checks run through Check.run scope it themselves)
pytestmark = pytest.mark.usefixtures("x64")

EPS = np.finfo(np.float64).eps


def _run(seed=0, **overrides):
    return run_check("norm_bounds", seed, **overrides)


# the Golowich–Rakhlin–Shamir bound -------------------------------------------------------------


def test_golowich_bound_has_the_grs_constant_and_scaling():
    value = bounds.golowich18_rademacher_bound(2.0, 3.0, 4, 100)
    np.testing.assert_allclose(value, 2.0 * 3.0 * (math.sqrt(8 * math.log(2)) + 1) / 10.0, rtol=1e-15)
    np.testing.assert_allclose(bounds.golowich18_rademacher_bound(4.0, 3.0, 4, 400), value, rtol=1e-15)  # ρ/√N
    with pytest.raises(ValueError, match="depth"):
        bounds.golowich18_rademacher_bound(1.0, 1.0, 0, 10)


def test_golowich_bound_holds_and_is_within_its_constant_for_a_linear_class():
    """Depth 1: sup_{‖w‖ ≤ ρ} (1/N)Σσ_i⟨w, x_i⟩ = ρ‖Σσ_i x_i‖/N, averaged over σ exactly enough (4000
    draws, standard error < 1%) lies below the bound and above bound/(√(2 log 2) + 1)/√2 (Khintchine)."""
    key_x, key_s = jax.random.split(jax.random.key(0))
    x = np.asarray(jax.random.normal(key_x, (50, 7)))
    sigma = np.asarray(jax.random.rademacher(key_s, (4000, 50), dtype=jnp.float64))
    rho = 1.7
    empirical = rho * np.mean(np.linalg.norm(sigma @ x, axis=1)) / 50
    rms = np.sqrt(np.mean(np.sum(x**2, axis=1)))
    bound = bounds.golowich18_rademacher_bound(rho, rms, 1, 50)
    assert empirical <= bound
    assert empirical >= bound / (math.sqrt(2 * math.log(2)) + 1) / math.sqrt(2)


def test_square_loss_bound_parts_follow_the_derivation():
    part = bounds.square_loss_gap_bound(300.0, input_radius=20.0, input_rms=8.0, depth=3, n=1000, classes=10,
                                        delta=0.05)
    assert part.rho_grid == 512.0  # 2^⌈log₂ 300⌉
    a = 512.0 * 20.0
    assert part.loss_range == (a + 1) ** 2
    grs = bounds.golowich18_rademacher_bound(512.0, 8.0, 3, 1000)
    np.testing.assert_allclose(part.rademacher, 2 * 10 * 2 * (a + 1) * grs, rtol=1e-15)
    delta_j = 0.05 / (3 * 10**2)  # j = 9
    np.testing.assert_allclose(part.confidence, 3 * (a + 1) ** 2 * math.sqrt(math.log(2 / delta_j) / 2000), rtol=1e-15)
    assert part.bound == part.rademacher + part.confidence
    # within one dyadic cell the bound is constant; it grows with ρ across cells and shrinks with N
    same = bounds.square_loss_gap_bound(257.0, input_radius=20.0, input_rms=8.0, depth=3, n=1000, classes=10)
    assert same.bound == part.bound
    assert bounds.square_loss_gap_bound(600.0, input_radius=20.0, input_rms=8.0, depth=3, n=1000, classes=10).bound > part.bound
    assert bounds.square_loss_gap_bound(300.0, input_radius=20.0, input_rms=8.0, depth=3, n=4000, classes=10).bound < part.bound
    with pytest.raises(ValueError, match="rho"):
        bounds.square_loss_gap_bound(0.0, input_radius=1.0, input_rms=1.0, depth=1, n=10, classes=2)
    np.testing.assert_allclose(bounds.hoeffding_deviation(4.0, 200, 0.05), 4.0 * math.sqrt(math.log(20) / 400))


def test_sparse_bound_by_hand_and_its_dense_limit():
    """ρ·√(Πk)·B·(1 + √(2(L log 2 + Σ log k)))/√N: ρ = 2, B = 3, L = 3, k = (9, 64), N = 100:
    2·3·24·(1 + √(2(3 log 2 + log 576)))/10 = 14.4·(1 + √(2·8.4392…)) = 73.5472…"""
    value = bounds.galanti23_sparse_rademacher_bound(2.0, 3.0, 3, (9, 64), 100)
    assert value == pytest.approx(14.4 * (1 + math.sqrt(2 * (3 * math.log(2) + math.log(576)))), rel=1e-15)
    assert value == pytest.approx(73.54719744, rel=1e-9)
    assert bounds.galanti23_sparse_rademacher_bound(2.0, 3.0, 3, (), 100) == bounds.golowich18_rademacher_bound(2.0, 3.0, 3, 100)
    assert bounds.galanti23_sparse_rademacher_bound(2.0, 3.0, 3, (1, 1), 100) == pytest.approx(
        bounds.golowich18_rademacher_bound(2.0, 3.0, 3, 100), rel=1e-15)  # degree-1 neurons: a chain, GRS
    with pytest.raises(ValueError, match="degrees"):
        bounds.galanti23_sparse_rademacher_bound(1.0, 1.0, 3, (0, 4), 10)
    # the square-loss bound with degrees: a = r·√(Πk)·B_patch, R̂ the sparse bound; () is the dense bound unchanged
    part = bounds.square_loss_gap_bound(3.0, input_radius=5.0, input_rms=2.0, depth=3, n=100, classes=10, degrees=(9, 64))
    a = 4.0 * 24 * 5.0
    assert part.loss_range == (a + 1) ** 2
    np.testing.assert_allclose(part.rademacher, 2 * 10 * 2 * (a + 1) * bounds.galanti23_sparse_rademacher_bound(
        4.0, 2.0, 3, (9, 64), 100), rtol=1e-15)
    dense = bounds.square_loss_gap_bound(3.0, input_radius=5.0, input_rms=2.0, depth=3, n=100, classes=10)
    assert dense == bounds.square_loss_gap_bound(3.0, input_radius=5.0, input_rms=2.0, depth=3, n=100, classes=10,
                                                 degrees=())


# conv operators --------------------------------------------------------------------------------


@pytest.mark.parametrize("image, kernel", [((8, 8), (3, 3, 2, 3)), ((5, 7), (2, 3, 1, 2)), ((1, 16), (1, 3, 3, 2))])
@pytest.mark.parametrize("padding", ["circular", "zero"])
def test_conv_operator_is_the_layer_the_model_applies(image, kernel, padding):
    key_x, key_w = jax.random.split(jax.random.key(1))
    x = jax.random.normal(key_x, (4, *image, kernel[2]))
    w = jax.random.normal(key_w, kernel)
    z = np.asarray(models.conv2d(x, w, padding)).reshape(4, -1)
    op = bounds.circular_conv_operator if padding == "circular" else bounds.zero_padded_conv_operator
    T = op(np.asarray(w), image)
    m = kernel[0] * kernel[1] * kernel[2]
    tolerance = 2 * m * EPS * np.linalg.norm(T) * np.linalg.norm(x)  # m products per output, in both
    assert np.linalg.norm(z - np.asarray(x).reshape(4, -1) @ T.T) <= tolerance


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_circular_conv_operator_norm_is_sqrt_p_times_the_kernel_norm(seed):
    w = np.asarray(jax.random.normal(jax.random.key(seed), (3, 3, 4, 5)))
    T = bounds.circular_conv_operator(w, (8, 8))
    predicted = bounds.conv_operator_frobenius_norm(w, 64)
    np.testing.assert_allclose(predicted, 8.0 * np.linalg.norm(w), rtol=2 * EPS)
    assert abs(np.linalg.norm(T) - predicted) <= ((64 + 1) * w.size / 2 + 3) * EPS * predicted


def test_zero_padding_loses_exactly_the_boundary_taps():
    """‖T_zero‖² = Σ_{a,b} ‖w[a,b]‖²·(H − |da|)(W − |db|) < P‖w‖²: the exact relation fails."""
    w = np.asarray(jax.random.normal(jax.random.key(3), (3, 3, 2, 2)))
    T = bounds.zero_padded_conv_operator(w, (8, 8))
    counts = np.array([[(8 - abs(a - 1)) * (8 - abs(b - 1)) for b in range(3)] for a in range(3)])
    expected = np.sum(np.sum(w**2, axis=(2, 3)) * counts)
    np.testing.assert_allclose(np.linalg.norm(T) ** 2, expected, rtol=1e-13)
    assert np.linalg.norm(T) < 0.95 * bounds.conv_operator_frobenius_norm(w, 64)
    # a centre-only kernel loses nothing, a kernel wider than the image aliases (the relation fails too)
    centre = np.zeros_like(w)
    centre[1, 1] = w[1, 1]
    np.testing.assert_allclose(np.linalg.norm(bounds.zero_padded_conv_operator(centre, (8, 8))),
                               bounds.conv_operator_frobenius_norm(centre, 64), rtol=1e-14)
    wide = np.asarray(jax.random.normal(jax.random.key(4), (1, 3, 1, 1)))
    assert abs(np.linalg.norm(bounds.circular_conv_operator(wide, (1, 2)))
               - bounds.conv_operator_frobenius_norm(wide, 2)) > 1e-3


@pytest.mark.parametrize("padding", ["circular", "zero"])
def test_locally_connected_operator_is_the_layer_the_model_applies(padding):
    key_x, key_w, key_s = jax.random.split(jax.random.key(5), 3)
    x = jax.random.normal(key_x, (4, 8, 8, 2))
    w = jax.random.normal(key_w, (8, 8, 3, 3, 2, 3))
    T = bounds.locally_connected_operator(np.asarray(w), (8, 8), padding)
    z = np.asarray(models.local_conv2d(x, w, padding)).reshape(4, -1)
    assert np.linalg.norm(z - np.asarray(x).reshape(4, -1) @ T.T) <= 2 * 18 * EPS * np.linalg.norm(T) * np.linalg.norm(x)
    # one kernel at every position: the conv layer and its operator
    shared = jax.random.normal(key_s, (3, 3, 2, 3))
    tiled = jnp.broadcast_to(shared, (8, 8, 3, 3, 2, 3))
    np.testing.assert_allclose(models.local_conv2d(x, tiled, padding), models.conv2d(x, shared, padding), atol=1e-13)
    op = bounds.circular_conv_operator if padding == "circular" else bounds.zero_padded_conv_operator
    np.testing.assert_array_equal(bounds.locally_connected_operator(np.asarray(tiled), (8, 8), padding),
                                  op(np.asarray(shared), (8, 8)))
    if padding == "circular":  # each entry once: ‖T‖_F = ‖w‖_F; the row blocks are the P kernels
        np.testing.assert_allclose(np.linalg.norm(T), np.linalg.norm(w), rtol=1e-14)
        np.testing.assert_allclose(bounds.neuron_filter_norms(T, 64),
                                   np.sqrt(np.sum(np.asarray(w) ** 2, axis=(2, 3, 4, 5))).ravel(), rtol=1e-14)
    with pytest.raises(ValueError, match="kernels"):
        bounds.locally_connected_operator(np.ones((3, 3, 1, 1)), (8, 8))
    with pytest.raises(ValueError, match="padding"):
        bounds.locally_connected_operator(np.asarray(w), (8, 8), "reflect")


def test_neuron_filter_norms_by_hand():
    """A 3 × 3 all-ones kernel on 8 × 8: every circular neuron reads 9 ones (norm 3); zero padding leaves a
    corner neuron 4 taps (norm 2), an edge neuron 6 (√6), an interior one 9 (3)."""
    w = np.ones((3, 3, 1, 1))
    np.testing.assert_allclose(bounds.neuron_filter_norms(bounds.circular_conv_operator(w, (8, 8)), 64), 3.0)
    zero = bounds.neuron_filter_norms(bounds.zero_padded_conv_operator(w, (8, 8)), 64).reshape(8, 8)
    assert zero[0, 0] == pytest.approx(2.0) and zero[0, 3] == pytest.approx(math.sqrt(6)) and zero[4, 4] == pytest.approx(3.0)
    with pytest.raises(ValueError, match="positions"):
        bounds.neuron_filter_norms(np.ones((10, 5)), 64)


def test_conv_net_is_bias_free_and_homogeneous():
    net = models.conv_net((8, 8), (3, 2), 10)
    params = net.init(jax.random.key(0))
    assert [p["w"].shape for p in params] == [(3, 3, 1, 3), (3, 3, 3, 2), (128, 10)]
    x = jax.random.normal(jax.random.key(1), (5, 64))
    scaled = jax.tree.map(lambda w: 2.0 * w, params)
    np.testing.assert_allclose(net.apply(scaled, x), 8.0 * net.apply(params, x), rtol=1e-13)
    local = models.conv_net((8, 8), (3, 2), 10, weight_sharing=False)
    local_params = local.init(jax.random.key(0))
    assert [p["w"].shape for p in local_params] == [(8, 8, 3, 3, 1, 3), (8, 8, 3, 3, 3, 2), (128, 10)]
    apply = jax.jit(local.apply)
    np.testing.assert_allclose(apply(jax.tree.map(lambda w: 2.0 * w, local_params), x),
                               8.0 * apply(local_params, x), rtol=1e-13)
    tiled = [{"w": jnp.broadcast_to(p["w"], (8, 8, *p["w"].shape))} for p in params[:-1]] + [params[-1]]
    np.testing.assert_allclose(apply(tiled, x), net.apply(params, x), rtol=1e-12, atol=1e-13)
    # the deterministic half of the kernel-norm bound's peeling, the range it uses: ‖f(x)‖ <= ρ_k·√(9·64)·
    # max_q‖u_q(x)‖, ρ_k the product of the largest filter norms (shared: the kernel norms) and the readout norm
    patch_norms = np.sqrt(np.asarray(models.conv2d((x**2).reshape(5, 8, 8, 1), jnp.ones((3, 3, 1, 1)))).reshape(5, 64))
    for p, f in ((params, net.apply), (local_params, apply)):
        rho = np.prod([np.sqrt(np.max(np.sum(np.asarray(q["w"]) ** 2, axis=(-4, -3, -2, -1)))) for q in p[:-1]])
        rho *= np.linalg.norm(p[-1]["w"])
        assert np.all(np.linalg.norm(np.asarray(f(p, x)), axis=1) <= rho * 24 * patch_norms.max(axis=1))
    with pytest.raises(ValueError, match="padding"):
        models.conv_net(padding="reflect")
    with pytest.raises(ValueError, match="kernel_size"):
        models.conv_net((2, 2), kernel_size=3)


# near-stationarity identity of SGD + WD ----------------------------------------------------------


@pytest.mark.parametrize("seed, lr, lam, batch", [(0, 0.1, 0.01, 4), pytest.param(1, 0.05, 0.05, 1, marks=pytest.mark.slow)])
def test_near_stationarity_identity_on_a_real_sgd_run(seed, lr, lam, batch):
    """‖W_t + ∇L_{S_t}(W_t)/(2λ)‖ = ‖W_{t+1} − W_t‖/(2μλ) for every layer and step of a dynamics.sgd run
    with plain_sgd(μ, weight_decay=2λ), the batch gradients recomputed from the taped batches."""
    key_data, key_init, key_run = jax.random.split(jax.random.key(seed), 3)
    x, y, _, _ = models.load_digits(key_data, train_size=64)
    net = models.mlp([64, 16, 16, 10], bias=False, init_scale=0.5)

    def loss(params, batch):
        return jnp.mean(jnp.sum((net.apply(params, batch[0]) - batch[1]) ** 2, axis=1))

    tape = dynamics.batch_tape(loss, (x, y))
    steps = 10
    run = dynamics.sgd(tape.loss_fn, dynamics.plain_sgd(lr, weight_decay=2 * lam), tape.data, batch_size=batch,
                       num_steps=steps, every=1, observers={"params": dynamics.parameters()})
    recorded = jax.jit(run)(tape.init(net.init(key_init)), key_run).observations["params"]
    masks = np.asarray(dynamics.tape_batches(recorded["tape"], lr, 2 * lam))
    assert np.all(masks.sum(axis=1) == batch)

    def batch_grad(params, mask):
        return jax.grad(lambda p: jnp.sum(jnp.where(mask, jnp.sum((net.apply(p, x) - y) ** 2, axis=1), 0.0)) / batch)(params)

    grads = jax.jit(jax.vmap(batch_grad))(jax.tree.map(lambda a: a[:-1], recorded["params"]), masks)
    for t in range(steps):
        for i in range(3):
            w_t, w_next = np.asarray(recorded["params"][i]["w"][t]), np.asarray(recorded["params"][i]["w"][t + 1])
            distance = bounds.galanti23_stationarity_distance(w_t, np.asarray(grads[i]["w"][t]), lam)
            from_step = bounds.galanti23_stationarity_from_step(w_next - w_t, lr, lam)
            assert abs(distance - from_step) <= 1e-12 * distance, (t, i, distance, from_step)
    with pytest.raises(ValueError, match="2μλ"):
        bounds.galanti23_stationarity_from_step(np.ones(3), 0.1, 0.0)


# the norm_bounds check ---------------------------------------------------------------------------


QUICK = {"steps": 100, "samples": 128, "width": 32, "channels": 2}  # the check's quick sizes: one shared compile


@pytest.mark.parametrize("seed, overrides, worst_test_error", [(1, QUICK, 0.6), (0, {}, 0.2)])
def test_norm_bounds_passes(seed, overrides, worst_test_error):
    result = _run(seed=seed, **overrides)
    d = result.details
    assert result.passed, (result.reason, d)
    assert result.error <= 4 * EPS  # the relation holds to a few ulp, far inside the derived tolerance
    for name in ("mlp", "conv"):
        assert d[f"{name}_gap"] < d[f"{name}_bound"]
        assert d[f"{name}_test_error"] < worst_test_error  # the nets learned (chance: 0.9): trained classifiers' gaps
    np.testing.assert_allclose(d["conv_rho_dense"], d["conv_rho"], rtol=1e-12)  # kernel form = Toeplitz form
    np.testing.assert_allclose(d["conv_rho"] / d["conv_kernel_norm_product"], 64.0, rtol=1e-12)  # Π√P_l
    assert d["conv_factor_deviation"] <= 4 * EPS
    assert d["conv_gap"] < d["conv_kernel_bound"] < d["conv_bound"]  # valid, and below the dense bound
    np.testing.assert_allclose(d["conv_rademacher_ratio"], d["conv_rademacher_ratio_predicted"], rtol=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("seed, overrides", [
    (2, {}),
    (3, {"lr": 0.05, "init_scale": 0.5, "channels": 8}),
    (4, {"samples": 1348, "steps": 1000, "width": 128}),
    (6, {"lr": 0.2, "init_scale": 1.5, "channels": 1, "width": 16}),
])
def test_norm_bounds_passes_at_other_seeds_and_sizes(seed, overrides):
    result = _run(seed=seed, **overrides)
    assert result.passed, (result.reason, result.details)


def test_norm_bounds_zero_padding_control_fails_through_the_cli(tmp_path, capsys):
    try:
        code = main(["run", "norm_bounds", "--set", "padding=zero", "--no-plots", "--out", str(tmp_path)])
    except SystemExit as exit_:
        code = exit_.code
    out = capsys.readouterr().out
    assert code == 1, out
    assert "√P‖w‖_F" in out


def test_norm_bounds_zero_padding_breaks_the_relation_not_the_bound():
    result = _run(seed=5, padding="zero")  # the default sizes: one compile with the CLI test and test_checks
    d = result.details
    assert result.outcome == "fail" and result.error > 1e10 * result.tolerance
    assert d["layer0_norm_ratio"] < 0.97 and d["layer1_norm_ratio"] < 0.97
    assert d["layer0_operator_mismatch"] < 1e-14  # T is still the layer the net applies
    assert d["mlp_gap"] < d["mlp_bound"] and d["conv_gap"] < d["conv_bound"]  # the kernel-form bound still holds


@pytest.mark.parametrize("seed", [1, 2])
def test_norm_bounds_locally_connected_control_fails_on_the_factor(seed):
    """No weight sharing: the kernel-norm bound with the largest filter norms and the locally connected
    identity ‖T‖_F = ‖w‖_F hold, the factor Π√P_l does not (the P filter norms differ)."""
    result = _run(seed=seed, weight_sharing=False, **QUICK)
    d = result.details
    assert result.outcome == "fail" and result.reason.startswith("the factor ρ_dense/ρ_kernel"), result.reason
    assert "exceeds" not in result.reason and "does not reproduce" not in result.reason
    assert d["conv_factor"] < 0.9 * 64 and d["conv_factor_deviation"] > 1e9 * d["conv_factor_tolerance"]
    assert d["conv_gap"] < d["conv_kernel_bound"]
    assert d["layer0_filter_norm_min"] < d["layer0_filter_norm_max"]


def test_norm_bounds_rejects_steps_not_a_multiple_of_ten():
    with pytest.raises(ValueError, match="steps"):
        make_config(get_check("norm_bounds"), {"steps": 105})
