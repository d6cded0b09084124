"""At a weight-decay stationary point of a bias-free homogeneous net all layer norms are equal.

**Statement.** Let f_W be 1-homogeneous in each weight matrix W_k (a bias-free ReLU or linear MLP),
and L(W) = (1/n)Σ‖f_W(x_i) − y_i‖². Euler's identity gives ⟨∇_{W_k}L, W_k⟩ = (2/n)Σ⟨f_i − y_i, f_i⟩,
the same number for every layer k. At a stationary point of L + λΣ_k‖W_k‖²_F (the paper's λ; in
:func:`dynamics.plain_sgd` that is ``weight_decay = 2λ``), ∇_{W_k}L = −2λW_k, so
−2λ‖W_k‖² is the same for every k: all ‖W_k‖_F are equal and ρ = Π_k‖W_k‖_F = ‖W_1‖^depth.
Along the gradient flow of L + λΣ‖W_k‖² the same identity gives, for the balancedness
D_k = ‖W_{k+1}‖² − ‖W_k‖², exactly dD_k/dt = −4λD_k, i.e. D_k(t) = D_k(0)e^{−4λt}: conserved
without weight decay (Du, Hu, Lee 2018), decaying with it. Xu, Rangamani, Liao, Galanti, Poggio,
"Dynamics in Deep Classifiers Trained with the Square Loss", Research 2023 (shared/THEORY.md §4,
"exact, cheaply checkable corollary", tagged [D, V-num]); the derivation above is complete and is
what this check relies on (nothing is taken from the paper's constants).

**Setup.** 128 training digits (:func:`models.load_digits`, standardised, one-hot), a bias-free MLP
64 → 16 → … → 10 with ``depth`` weight matrices and the standard init (norms ≈ √fan_out·0.9:
unequal), float64. (i) Full-batch GD, ``dynamics.gradient_descent`` with
``plain_sgd(lr, weight_decay=2λ)``, for ``steps`` steps: at a GD fixed point W = (1 − 2μλ)W − μ∇L,
i.e. exactly a stationary point of L + λ‖W‖². (ii) The balancedness law under
``dynamics.gradient_flow`` (diffrax Tsit5, rtol 1e-10) of L + λΣ‖W_k‖² for ``flow_time``, on the
bias-free *linear* net of the same shape: the law holds for ReLU too, but the ReLU flow is
non-smooth at every activation switch and the adaptive solver needs millions of steps for t = 0.5.

**Horizon (derived).** GD inherits the flow's balancing up to O(μ²): D_k shrinks by ≈(1 − 2μλ)²
per step, so the spread falls below a tenth of the tolerance after
T* = ln(10·max|D_k(0)|/(tol·min_k‖W_k(T)‖²)) / (−2 ln(1 − 2μλ)) steps; with λ > 0 and fewer steps
the run is inconclusive with that remedy. (The ReLU net never reaches an exact stationary point by
GD: samples sitting on an activation kink keep the gradient residual near 1e-3 relative. Only the
radial part of stationarity, along W_k ↦ cW_k, enters the proof, and rescaling a layer does not move
any kink, so that part converges at the rate above; the residual is reported, not gated.)

**Tolerance.** Main: the relative spread (max_k‖W_k‖ − min_k‖W_k‖)/mean_k‖W_k‖ ≤ 1e-3 (THEORY.md §4:
5e-4 measured after 1e5 steps; past T* the balancing term is below 1e-4 and GD's discrete O(μ²) term
vanishes at a fixed point, where ‖∇_{W_k}L‖ = 2λ‖W_k‖ is the same for every k). Flow:
max_{k,t}|D_k(t) − D_k(0)e^{−4λt}| / max_k|D_k(0)| ≤ 1e-6; the ODE's relative error is
rtol = 1e-10 per unit time, so 1e-6 leaves 1e4 for the error's growth over ``flow_time`` ≤ 5 and
for rounding in the norms.

**Collapse.** Weight decay also makes W = 0 a stationary point (a local minimum for depth ≥ 3), where
all norms are equal trivially. A run whose final norms are all below 1e-3 × the smallest initial
norm fell into it (depth 5 at λ = 0.1 on seed 21, λ = 0.079 on seed 204): inconclusive, "lower
weight_decay to <= 0.05 or lower depth" (λ = 0.05 at depth 5 passed on seeds 21 and 22, μ up to 0.15),
never 0/0.

**Negative control.** ``weight_decay=0``: nothing pulls the norms together (the flow conserves D_k
exactly, and GD up to O(μ²)), so the initial spread (≈ 0.15) survives and the comparison fails;
the flow's conservation law is still checked, and holds.
"""

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np

from theorycheck import dynamics
from theorycheck import models
from theorycheck._check import Check, Result, config_field, decide, register

from ._common import figure

TOLERANCE = 1e-3
COLLAPSE = 1e-3  # every final ‖W_k‖ below this × the smallest initial one: the zero stationary point
COLLAPSE_REMEDY = 0.05  # a weight_decay that did not collapse at any depth <= 5 (seeds 21, ...)
FLOW_TOLERANCE = 1e-6
WIDTH, SAMPLES = 16, 128


@dataclasses.dataclass(frozen=True)
class EqualLayerNormsConfig:
    weight_decay: float = config_field(0.05, low=0.0, high=0.1,
                                       help="the paper's λ in L + λΣ‖W_k‖² (plain_sgd weight_decay = 2λ)")
    depth: int = config_field(3, low=2, high=5, help="number of weight matrices")
    steps: int = config_field(10_000, low=100, high=200_000, help="full-batch GD steps")
    lr: float = config_field(0.1, low=0.01, high=0.15, help="GD step size μ")
    activation: str = config_field("relu", choices=("relu", "linear"), help="a 1-homogeneous activation (GD part; the linear net diverges above lr ≈ 0.05)")
    flow_time: float = config_field(2.0, low=0.1, high=5.0, help="horizon of the balancedness flow (linear net)")


def _net(depth, activation):
    with jax.ensure_compile_time_eval():  # models.mlp validates init_scale with jnp (a tracer under jit)
        return models.mlp([64] + [WIDTH] * (depth - 1) + [10], activation, bias=False)


def simulate(config: EqualLayerNormsConfig, data, key):
    key_data, key_init, key_gd, key_flow = jax.random.split(key, 4)
    x, y, _, _ = models.load_digits(key_data, train_size=SAMPLES)
    lam = data["weight_decay"]
    net = _net(config.depth, config.activation)
    linear = _net(config.depth, "linear")

    def loss(params):
        return jnp.mean(jnp.sum((net.apply(params, x) - y) ** 2, axis=1))

    def regularised_linear(params):
        fit = jnp.mean(jnp.sum((linear.apply(params, x) - y) ** 2, axis=1))
        return fit + lam * sum(jnp.sum(layer["w"] ** 2) for layer in params)

    def residual(params, key):  # ‖∇_{W_k}L + 2λW_k‖ / (2λ‖W_k‖ + tiny): distance from stationarity
        grads = jax.grad(loss)(params)
        return jnp.stack([jnp.linalg.norm(g["w"] + 2 * lam * p["w"]) for g, p in zip(grads, params)])

    params0 = net.init(key_init)
    every = config.steps // 10 if config.steps % 10 == 0 else config.steps
    gd = dynamics.gradient_descent(loss, dynamics.plain_sgd(data["lr"], weight_decay=2 * lam),
                                   num_steps=config.steps, every=every,
                                   observers={"norms": dynamics.parameter_norms(),
                                              "residual": dynamics.stateless(residual)})
    run = gd(params0, key_gd)
    flow = dynamics.gradient_flow(regularised_linear, t1=config.flow_time, num_records=11, rtol=1e-10, atol=1e-12,
                                  observers={"norms": dynamics.parameter_norms()})
    traj = flow(params0, key_flow)
    return {
        "gd_times": run.times,
        "gd_norms": jnp.stack([n["w"] for n in run.observations["norms"]], axis=-1),  # (R, depth)
        "gd_residual": run.observations["residual"],
        "gd_losses": run.losses,
        "gd_diverged": run.diverged,
        "flow_times": traj.times,
        "flow_norms": jnp.stack([n["w"] for n in traj.observations["norms"]], axis=-1),
        "flow_status": traj.status,
    }


def horizon(d0_max, final_min_sq, lr, lam) -> float:
    """T*: GD steps after which the balancing (1 − 2μλ)^{2T} has shrunk the spread below tol/10."""
    if lam <= 0:
        return math.inf
    return math.log(max(10 * d0_max / (TOLERANCE * final_min_sq), 1.0)) / (-2 * math.log1p(-2 * lr * lam))


def _collapsed(norms) -> bool:
    """The run fell into the zero stationary point: every final norm below COLLAPSE × the smallest initial one."""
    return bool(np.max(norms[-1]) <= COLLAPSE * np.min(norms[0]))


def verdict(config: EqualLayerNormsConfig, data, arrays) -> Result:
    lr, lam = data["lr"], data["weight_decay"]
    norms = arrays["gd_norms"]
    final = norms[-1]
    diverged = bool(arrays["gd_diverged"]) or not np.all(np.isfinite(final))
    collapsed = not diverged and _collapsed(norms)
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = float((final.max() - final.min()) / final.mean())
    d0 = np.diff(norms[0] ** 2)
    decidable = not diverged and not collapsed
    t_star = horizon(float(np.abs(d0).max()), float(np.min(final**2)), lr, lam) if decidable else math.nan
    flow_sq = arrays["flow_norms"] ** 2
    flow_d = np.diff(flow_sq, axis=1)
    predicted_d = flow_d[0][None, :] * np.exp(-4 * lam * arrays["flow_times"])[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        flow_error = float(np.max(np.abs(flow_d - predicted_d)) / np.max(np.abs(flow_d[0])))
    inconclusive, fail_reasons = [], []
    if bool(arrays["gd_diverged"]) or not np.all(np.isfinite(final)):
        inconclusive.append(f"GD diverged at lr={lr:g}; the claim is about a stationary point: lower lr")
    elif collapsed:
        inconclusive.append(f"the net collapsed to the zero stationary point (final ‖W_k‖_F <= {COLLAPSE:g}·initial, "
                            f"where equal norms hold trivially): lower weight_decay to <= {COLLAPSE_REMEDY:g} "
                            f"or lower depth")
    elif math.isfinite(t_star) and config.steps < t_star:
        inconclusive.append(f"the balancing (1−2μλ)^(2T) has not yet shrunk the initial spread below "
                            f"tol/10: raise steps to >= {math.ceil(t_star)}")
    if int(arrays["flow_status"]) != dynamics.STATUS_COMPLETED or not np.isfinite(flow_error):
        inconclusive.append("the balancedness flow did not complete (diffrax); lower flow_time")
    elif flow_error > FLOW_TOLERANCE:
        fail_reasons.append(f"the flow's balancedness D_k(t) deviates from D_k(0)e^(−4λt) by {flow_error:.3g} "
                            f"> {FLOW_TOLERANCE:g} (relative to max|D_k(0)|)")
    outcome, reason = decide(spread, TOLERANCE, fail_reasons=fail_reasons, inconclusive_reasons=inconclusive,
                             what="relative spread of the layer norms ‖W_k‖_F")
    with np.errstate(divide="ignore", invalid="ignore"):
        residual = arrays["gd_residual"][-1] / (2 * max(lam, 1e-300) * final)
    details = {
        "final_norms": [float(v) for v in final],
        "initial_norms": [float(v) for v in norms[0]],
        "rho": float(np.prod(final)),
        "horizon_T_star": t_star if math.isfinite(t_star) else None,
        "collapsed": collapsed,
        "flow_balancedness_error": flow_error,
        "stationarity_residual_relative": float(residual.max()) if lam > 0 and decidable else None,
        "final_loss": float(arrays["gd_losses"][-1]),
    }
    return Result(predicted=0.0, measured=spread, error=spread, tolerance=TOLERANCE, outcome=outcome,
                  reason=reason, arrays=dict(arrays, flow_predicted_balancedness=predicted_d), details=details)


def plot(config: EqualLayerNormsConfig, result: Result, path) -> None:
    a = result.arrays
    fig, axes = figure(1, 2)
    ax = axes[0, 0]
    for k in range(a["gd_norms"].shape[1]):
        ax.plot(a["gd_times"], a["gd_norms"][:, k], marker=".", label=f"‖W_{k + 1}‖_F")
    ax.set_xlabel("GD step")
    ax.set_ylabel("layer norm")
    ax.set_title(f"GD + weight decay ({config.activation}): {result.outcome.upper()}", fontsize=9)
    ax.legend(fontsize=7)
    ax = axes[0, 1]
    d = np.diff(a["flow_norms"] ** 2, axis=1)
    for k in range(d.shape[1]):
        line, = ax.plot(a["flow_times"], d[:, k], marker="o", ls="", label=f"D_{k + 1} (flow)")
        ax.plot(a["flow_times"], a["flow_predicted_balancedness"][:, k], color=line.get_color(), lw=1)
    ax.set_xlabel("flow time t (linear net)")
    ax.set_ylabel("‖W_{k+1}‖² − ‖W_k‖²  (line: D(0)e^{−4λt})")
    ax.legend(fontsize=7)
    fig.savefig(path, dpi=110)


CHECK = register(
    Check(
        name="equal_layer_norms",
        statement="At a weight-decay stationary point of a bias-free homogeneous net all ‖W_k‖_F are equal; "
                  "the flow's balancedness obeys D(t) = D(0)e^(−4λt).",
        source="Xu, Rangamani, Liao, Galanti, Poggio, Research 2023 (CBMM Memo 117); Du, Hu, Lee 2018 "
               "(shared/THEORY.md §4)",
        config_type=EqualLayerNormsConfig,
        run=None,
        plot=plot,
        negative_controls=({"weight_decay": 0.0},),
        needs_x64=True,
        quick={"steps": 4000},
        slow_corners=("steps=high", "flow_time=low", "flow_time=high"),
        data_keys=("lr", "weight_decay"),
        simulate=simulate,
        verdict=verdict,
    )
)
