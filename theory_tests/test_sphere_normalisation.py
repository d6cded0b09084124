"""Lagrange-multiplier (sphere) normalisation, W_k = ρ_k V_k with ‖V_k‖_F = 1 (shared/THEORY.md §4).

**Statement.** The projected update of the normalised dynamics (Xu, Rangamani, Liao, Galanti,
Poggio, Research 2023; Poggio & Liao, arXiv:2101.00072), V̇_k = −(I − V_k V_kᵀ)∇_{V_k}L, keeps
‖V_k‖ = 1; discretised as a tangent step followed by a retraction, every iterate of a real
``dynamics.sgd`` / ``gradient_descent`` run lies on the sphere to round-off, the projected step is
tangent, and the loss decreases. Negative control: without the retraction the norm drifts at
second order (‖V + U_T‖² = 1 + ‖U_T‖²), and the unprojected step leaves the sphere at first order.
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from theorycheck import dynamics
from theorycheck import models

# library numerics and module-level verdict functions at float64 tolerances: float64 scoped to
# each test by the x64 fixture (checks run through Check.run scope it themselves)
pytestmark = pytest.mark.usefixtures("x64")

WIDTHS = (8, 12, 12, 3)
SPHERE_MASK = [{"rho": False, "v": True}] * (len(WIDTHS) - 1)
WEIGHT_MASK = [True] * (len(WIDTHS) - 1)


def _problem(seed=0, n=40):
    key_x, key_teacher, key_init = jax.random.split(jax.random.key(seed), 3)
    x = jax.random.normal(key_x, (n, WIDTHS[0]))
    teacher = models.mlp(WIDTHS, bias=False)
    y = teacher.apply(teacher.init(key_teacher), x)
    net = models.mlp(WIDTHS, bias=False)
    weights = [layer["w"] for layer in net.init(key_init)]
    params0 = dynamics.sphere_params(weights, WEIGHT_MASK)

    def apply(params, xb):
        return net.apply([{"w": w} for w in dynamics.sphere_weights(params, WEIGHT_MASK)], xb)

    def loss(params, batch):
        return jnp.mean(jnp.sum((apply(params, batch[0]) - batch[1]) ** 2, axis=1))

    return x, y, params0, apply, loss


def _sphere_norms(params, key):
    return jnp.stack([jnp.sqrt(jnp.sum(layer["v"] ** 2)) for layer in params])


def test_sphere_params_round_trip_and_factorise_the_network():
    x, y, params0, apply, loss = _problem()
    for layer in params0:
        assert float(jnp.sum(layer["v"] ** 2)) == pytest.approx(1.0, abs=1e-14)
    # positive homogeneity: f_W(x) = (Π ρ_k)·f_V(x)
    rho = np.prod([float(layer["rho"]) for layer in params0])
    unit = [{"rho": jnp.ones(()), "v": layer["v"]} for layer in params0]
    np.testing.assert_allclose(apply(params0, x), rho * apply(unit, x), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("seed, batch_size", [(0, 4), (3, 1)])
def test_sgd_with_sphere_normalisation_stays_on_the_sphere_and_learns(seed, batch_size):
    x, y, params0, _, loss = _problem(seed)
    optimizer = optax.chain(dynamics.plain_sgd(0.05, weight_decay=0.02), dynamics.sphere_normalisation(SPHERE_MASK))
    run = dynamics.sgd(loss, optimizer, (x, y), batch_size=batch_size, num_steps=200, every=1,
                       observers={"norms": dynamics.stateless(_sphere_norms),
                               "loss": dynamics.loss_observer(lambda p: loss(p, (x, y)))})
    traj = jax.jit(run)(params0, jax.random.key(seed + 10))
    assert not bool(traj.diverged)
    norms = np.asarray(traj.observations["norms"])  # (201, layers): after every step
    assert norms.shape == (201, len(WIDTHS) - 1)
    assert np.max(np.abs(norms - 1.0)) < 1e-12
    full = np.asarray(traj.observations["loss"])
    assert full[-1] < 0.5 * full[0]
    # the scales moved (ρ_k is trained by the chained SGD step)
    assert any(abs(float(a["rho"]) - float(b["rho"])) > 1e-3 for a, b in zip(traj.final_params, params0))


def test_projected_step_is_tangent_and_the_actual_steps_obey_the_sphere_identity():
    x, y, params0, _, loss = _problem(1)
    lr = 0.05
    full_loss = lambda p: loss(p, (x, y))  # noqa: E731
    optimizer = optax.chain(optax.sgd(lr), dynamics.sphere_normalisation(SPHERE_MASK))
    run = dynamics.gradient_descent(full_loss, optimizer, num_steps=60, every=1,
                                    observers={"params": dynamics.parameters()})
    traj = jax.jit(run)(params0, jax.random.key(0))
    recorded = traj.observations["params"]
    tangent_only = dynamics.sphere_normalisation(SPHERE_MASK, retract=False)
    worst_inner, worst_identity = 0.0, 0.0
    for t in (0, 10, 59):
        p_t = jax.tree.map(lambda a: a[t], recorded)
        p_next = jax.tree.map(lambda a: a[t + 1], recorded)
        step = jax.tree.map(lambda g: -lr * g, jax.grad(full_loss)(p_t))
        projected, _ = tangent_only.update(step, tangent_only.init(p_t), p_t)
        for layer, u_t, g_layer, nxt in zip(p_t, projected, step, p_next):
            v = np.asarray(layer["v"])
            # the projected step is tangent to the sphere at V (the raw step is not)
            worst_inner = max(worst_inner, abs(float(np.sum(v * np.asarray(u_t["v"])))))
            assert abs(float(np.sum(v * np.asarray(g_layer["v"])))) > 1e-10
            # the step the simulator took: V' = (V + U_T)/‖V + U_T‖
            retracted = (v + np.asarray(u_t["v"])) / np.linalg.norm(v + np.asarray(u_t["v"]))
            np.testing.assert_allclose(np.asarray(nxt["v"]), retracted, rtol=0, atol=1e-13)
            # on the unit sphere ‖V + Δ‖ = ‖V‖ = 1 means 2⟨V, Δ⟩ = −‖Δ‖²: tangent to first order
            delta = np.asarray(nxt["v"]) - v
            worst_identity = max(worst_identity, abs(2 * float(np.sum(v * delta)) + float(np.sum(delta**2))))
            # ρ took the plain gradient step
            assert float(nxt["rho"]) == pytest.approx(float(layer["rho"] + g_layer["rho"]), abs=1e-13)
    assert worst_inner < 1e-14
    assert worst_identity < 1e-14
    losses = np.asarray(traj.losses)
    assert losses[-1] < losses[0]


def test_without_retraction_or_projection_the_norm_drifts():
    """Negative controls: the tangent step alone drifts at second order, the raw step at first."""
    x, y, params0, _, loss = _problem(2)
    full_loss = lambda p: loss(p, (x, y))  # noqa: E731
    observers = {"norms": dynamics.stateless(_sphere_norms)}
    drift = {}
    for name, optimizer in (
        ("tangent", optax.chain(optax.sgd(0.05), dynamics.sphere_normalisation(SPHERE_MASK, retract=False))),
        ("raw", optax.sgd(0.05)),
        ("sphere", optax.chain(optax.sgd(0.05), dynamics.sphere_normalisation(SPHERE_MASK))),
    ):
        traj = jax.jit(dynamics.gradient_descent(full_loss, optimizer, num_steps=50, every=1,
                                                 observers=observers))(params0, jax.random.key(0))
        drift[name] = float(np.max(np.abs(np.asarray(traj.observations["norms"]) - 1.0)))
    assert drift["sphere"] < 1e-12
    assert drift["tangent"] > 1e-6  # the norm grows: ‖V + U_T‖² = 1 + ‖U_T‖² every step
    assert drift["raw"] > 1e-3  # the unprojected step leaves the sphere at first order


def test_sphere_normalisation_needs_params():
    transform = dynamics.sphere_normalisation(SPHERE_MASK)
    _, _, params0, _, _ = _problem()
    with pytest.raises(ValueError, match="params"):
        transform.update(params0, transform.init(params0))
