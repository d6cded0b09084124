"""Kernel vs rich regime: gradient flow on a diagonal linear network minimises Q_α^D.

**Statement.** For the depth-D diagonal linear network β = w₊^D − w₋^D with the unbiased
initialisation w₊(0) = w₋(0) = α·1, gradient flow on the squared loss of an underdetermined
regression Xβ = y (d > n) converges to β_α^∞ = argmin Q_α^D(β) subject to Xβ = y, with
Q_α^D(β) = α^D Σᵢ q_D(βᵢ/α^D) and q_D' = h_D^{-1}, h₂(z) = 2 sinh z,
h_D(z) = (1−z)^{−D/(D−2)} − (1+z)^{−D/(D−2)}. Q_α^D → ‖·‖₂² as α → ∞ (kernel regime) and → ‖·‖₁
as α → 0 (rich regime). Woodworth, Gunasekar, Lee, Moroshko, Savarese, Golan, Soudry, Srebro,
"Kernel and Rich Regimes in Overparametrized Models", COLT 2020, arXiv:2002.09277
(shared/THEORY.md §2; the formula is re-derived in :mod:`bounds` from the flow's conservation
laws, since THEORY.md tags the paper's statement as recalled).

**Setup.** Sparse noiseless regression: X ∈ ℝ^{n×d} Gaussian, β* with ``sparsity`` entries
1/√s (THEORY.md §2, the paper's data at a quick size). Loss ‖Xβ − y‖²/(2n), float64. Gradient
flow by diffrax with an L-stable implicit solver (Kvaerno5, rtol 1e-10), stopped by an event
once ‖Xβ − y‖ ≤ 1e-9. (An explicit solver stalls at a residual near 1e-8: its step-size
controller keeps the stiff modes at the level of its error tolerance instead of damping them.)
The prediction argmin Q_α^D is an independent Newton solve of the dual in numpy.

**Tolerance.** ``error`` = ‖β_∞ − argmin Q‖/‖argmin Q‖. For the flow: 1e-6. At the stop the
remaining motion of β is the residual pulled back through the flow's metric,
‖M Xᵀ(X M Xᵀ)^{-1} r‖ with M = D²·diag(w₊^{2D−2} + w₋^{2D−2}), which is reported as
``remaining_motion_bound`` and must itself be below the tolerance for the verdict to be
meaningful; the ODE's local errors (rtol 1e-10) and the dual solve (KKT residual ~1e-14) are far
below it. The verdict is decided exactly when that bound is below the tolerance, whether the
residual event fired or the horizon ran out; otherwise it is ``inconclusive``, with the remedy.

**Horizon.** The off-support coordinates stay near α and move at rate ∝ α^{2D−2}, so the time the
flow needs grows like α^{−(2D−2)} (t ≈ 1e11 at D = 5, α = 0.03). The default ``t1`` is 1.5× the
proven time t* to reach the 1e-9 residual (:func:`bounds.woodworth20_residual_time`: Grönwall
on ‖r‖ with the flow's smallest metric, which the conservation laws bound below); the horizon is
data, so deriving it per seed does not recompile. For ``solver=gd`` the discretisation adds an O(η) bias: THEORY.md §2 measured
≤ 9e-4 at ``lr_scale`` = 0.2 over D ∈ {2,3}, α ∈ [0.1, 3], so the tolerance is
0.025·``lr_scale`` (5× that constant).

**Negative controls.** ``alpha_minus`` ≠ ``alpha`` (β(0) ≠ 0 violates the unbiased
initialisation) and ``regularizer_depth`` ≠ ``depth`` (the wrong depth's Q): both must fail.
"""

import dataclasses

import diffrax
import jax
import jax.numpy as jnp
import numpy as np

from theorycheck import bounds
from theorycheck import dynamics
from theorycheck import models
from theorycheck._check import Check, Result, config_field, decide, register

from ._common import figure

RESIDUAL_STOP = 1e-9
# α from 0.02 (the off-support coordinates move at rate α^{2D−2}: smaller α costs long solves)
# to 3 (the kernel regime)
FIGURE_ALPHAS = tuple(np.geomspace(0.02, 3.0, 8))
FIGURE_DEPTHS = (2, 3)


@dataclasses.dataclass(frozen=True)
class KernelRichConfig:
    depth: int = config_field(2, low=2, high=8, help="depth D of the diagonal network")
    alpha: float = config_field(0.3, low=0.01, high=10.0, help="init scale α of w₊ (and w₋)")
    alpha_minus: float = config_field(None, low=0.01, high=10.0, help="init scale of w₋ (None: = alpha)")
    regularizer_depth: int = config_field(None, low=2, high=8, help="depth of the Q compared with (None: = depth)")
    n: int = config_field(20, low=1, high=1999, help="number of samples (< d)")
    d: int = config_field(60, low=2, high=2000, help="dimension (d > n; at most 2000: the implicit solver "
                          "factorises a dense d×d Jacobian, minutes at d = 1000)")
    sparsity: int = config_field(3, low=1, high=2000, help="non-zeros of β* (<= d)")
    solver: str = config_field("flow", choices=("flow", "gd"), help="gradient flow (diffrax) or GD")
    lr_scale: float = config_field(0.2, low=1e-3, high=1.0, help="GD: η = lr_scale/(D²·max(α,1)^{2D−2}·‖X‖²/n)")
    gd_steps: int = config_field(200_000, low=1, high=10_000_000, help="GD: number of steps")
    t1: float = config_field(None, low=1.0, high=1e40, help="flow: end time if the residual event never fires "
                             "(None: the proven time to fit the data, bounds.woodworth20_residual_time)")
    figure_sweep: bool = config_field(True, help="also run the α sweep for D = 2, 3 that the figure shows")

    def validate(self):
        if self.d <= self.n:
            raise ValueError(f"config key 'd' ({self.d}) must exceed 'n' ({self.n}): the theorem needs d > n")
        if self.sparsity > self.d:
            raise ValueError(f"config key 'sparsity' ({self.sparsity}) must be <= 'd' ({self.d})")


def _limit(x, y, depth: int, solver: str, gd_steps: int, alpha_plus, alpha_minus, t1, lr_scale, key):
    """One run from the unbiased (or ``alpha_minus``-shifted) init: ``(β_∞, params, status,
    final_time, metric)``. Everything after ``gd_steps`` is data (traced)."""
    n = x.shape[0]

    def predictor(params):
        return models.diagonal_linear_predictor(params, depth)

    def loss(params):
        return 0.5 * jnp.mean((x @ predictor(params) - y) ** 2)

    params0 = models.diagonal_linear_params(alpha_plus, x.shape[1], alpha_minus)
    if solver == "flow":
        run = dynamics.gradient_flow(
            loss, t1=1.0, num_records=2, solver=diffrax.Kvaerno5(), rtol=1e-10, atol=1e-12,
            stop_when=lambda p: jnp.linalg.norm(x @ predictor(p) - y) <= RESIDUAL_STOP,
        )
        trajectory = run(params0, key, t1=t1)
    else:
        scale = jnp.maximum(jnp.maximum(alpha_plus, alpha_minus), 1.0) ** (2 * depth - 2)
        lr = lr_scale / (depth**2 * scale * jnp.linalg.norm(x, 2) ** 2 / n)
        run = dynamics.gradient_descent(loss, dynamics.plain_sgd(lr), num_steps=gd_steps, every=gd_steps)
        trajectory = run(params0, key)
    params = trajectory.final_params
    metric = depth**2 * (params["w_plus"] ** (2 * depth - 2) + params["w_minus"] ** (2 * depth - 2))
    return predictor(params), params, trajectory.status, trajectory.final_time, metric


def horizon(config: KernelRichConfig, x, y, alpha_plus, alpha_minus, depth):
    """The flow's end time: ``config.t1``, or 1.5·t* with t* the proven time by which
    ‖Xβ − y‖ ≤ 1e-9 (works inside ``jit``).

    t* = n·log(‖r(0)‖/1e-9)/(m·λ_min(XXᵀ)) with m ∝ α^{2D−2} the smallest metric along the flow
    (:func:`bounds.woodworth20_residual_time`, proved there). The event fires at the first
    accepted step past the residual, so any horizon ≥ t* suffices; the margin absorbs the
    solver's error control.
    """
    if config.t1 is not None:
        return jnp.asarray(config.t1, dtype=x.dtype)
    t_star = bounds.woodworth20_residual_time(x, y, alpha_plus, alpha_minus, depth, RESIDUAL_STOP)
    return jnp.clip(1.5 * t_star, 1.0, 1e300)


def simulate(config: KernelRichConfig, data, key):
    """The check's flow (or GD) at ``data["alpha"]``, plus the figure's α sweep when asked for.

    The figure sweep runs its α grid with ``lax.map``, one solve after the other: each solve
    stops at its own residual event, while a ``vmap`` would step every run until the slowest one
    stops (the small-α runs need ~10⁶ times longer horizons), so ``map`` is faster here. For the
    same reason sweeps batch this check with ``lax.map`` (``batching="map"``).
    """
    key_data, key_run = jax.random.split(key)
    x, y, beta_star = models.sparse_regression(key_data, config.n, config.d, config.sparsity)
    alpha = data["alpha"]
    alpha_minus = alpha if config.alpha_minus is None else jnp.asarray(config.alpha_minus, x.dtype)
    t1 = horizon(config, x, y, alpha, alpha_minus, config.depth)
    beta, params, status, final_time, metric = _limit(
        x, y, config.depth, config.solver, config.gd_steps, alpha, alpha_minus, t1, data["lr_scale"], key_run
    )
    arrays = {
        "X": x, "y": y, "beta_star": beta_star, "beta_inf": beta, "t1": t1,
        "proven_fit_time": bounds.woodworth20_residual_time(x, y, alpha, alpha_minus, config.depth, RESIDUAL_STOP),
        "status": status, "final_time": final_time, "metric": metric,
        "w_plus_final": params["w_plus"], "w_minus_final": params["w_minus"],
    }
    if config.figure_sweep:
        alphas = jnp.asarray(FIGURE_ALPHAS, x.dtype)
        arrays["sweep_alphas"] = alphas
        for depth in FIGURE_DEPTHS:
            def one(a, depth=depth):
                t1_a = horizon(config, x, y, a, a, depth)
                beta_a, _, status_a, _, _ = _limit(x, y, depth, "flow", 1, a, a, t1_a, data["lr_scale"], key_run)
                return beta_a, status_a

            arrays[f"sweep_D{depth}_beta_inf"], arrays[f"sweep_D{depth}_status"] = jax.lax.map(one, alphas)
    return arrays


def _remaining_motion(x, y, beta, metric):
    """‖M Xᵀ (X M Xᵀ)^{-1} r‖: how far the flow's metric still moves β to remove the residual r."""
    r = x @ beta - y
    return float(np.linalg.norm(metric * (x.T @ np.linalg.solve((x * metric) @ x.T, r))))


def _relative(a, b):
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def verdict(config: KernelRichConfig, data, arrays) -> Result:
    """β_∞ against the independent dual solve of argmin Q (float64 numpy), decided only when β has
    settled (remaining-motion bound below the tolerance)."""
    alpha = float(data["alpha"])
    x_np, y_np, beta_star_np, beta_inf = arrays["X"], arrays["y"], arrays["beta_star"], arrays["beta_inf"]
    alpha_minus = alpha if config.alpha_minus is None else config.alpha_minus
    q_depth = config.depth if config.regularizer_depth is None else config.regularizer_depth
    minimizer = bounds.woodworth20_implicit_regularizer_minimizer(x_np, y_np, alpha, q_depth)
    error = _relative(beta_inf, minimizer.beta)
    tolerance = 1e-6 if config.solver == "flow" else 0.025 * float(data["lr_scale"])
    residual = float(np.linalg.norm(x_np @ beta_inf - y_np))
    motion = _remaining_motion(x_np, y_np, beta_inf, arrays["metric"])
    status, final_time, t1 = int(arrays["status"]), float(arrays["final_time"]), float(arrays["t1"])
    t_star = float(arrays["proven_fit_time"])
    l1, l2 = bounds.min_l1_interpolant(x_np, y_np), bounds.min_l2_interpolant(x_np, y_np)
    outcome, reason = decide(
        error, tolerance,
        inconclusive_reasons=[_undecided(config, status, final_time, residual, motion, tolerance, t1, t_star)],
        what="‖β∞ − argmin Q‖/‖argmin Q‖",
    )
    out = {
        "X": x_np, "y": y_np, "beta_star": beta_star_np, "beta_inf": beta_inf,
        "argmin_Q": np.asarray(minimizer.beta), "dual_nu": np.asarray(minimizer.nu),
        "min_l1": np.asarray(l1), "min_l2": np.asarray(l2),
        "w_plus_initial": np.full(config.d, alpha), "w_minus_initial": np.full(config.d, alpha_minus),
        "w_plus_final": arrays["w_plus_final"], "w_minus_final": arrays["w_minus_final"],
    }
    if config.figure_sweep:
        out.update(_figure_sweep(arrays, x_np, y_np, beta_star_np))
    return Result(
        predicted=float(np.linalg.norm(minimizer.beta)),
        measured=float(np.linalg.norm(beta_inf)),
        error=error,
        tolerance=tolerance,
        outcome=outcome,
        reason=reason,
        arrays=out,
        details={
            "residual": residual, "status": status, "final_time": final_time, "t1": t1,
            "proven_fit_time": t_star, "remaining_motion_bound": motion,
            "dual_kkt_residual": float(minimizer.kkt_residual),
            "dist_to_min_l1": _relative(beta_inf, l1), "dist_to_min_l2": _relative(beta_inf, l2),
            "regularizer_depth": q_depth,
        },
    )


def _undecided(config, status, final_time, residual, motion, tolerance, t1, t_star) -> str:
    """Why the run cannot decide ("" if it can): β has not settled to within the tolerance.

    The comparison is meaningful only when the remaining-motion bound is below the tolerance
    (module docstring), whether the residual event fired or the horizon ran out.
    """
    if motion <= tolerance and np.isfinite(residual):
        return ""
    if status == dynamics.STATUS_DIVERGED:
        return (f"{config.solver} diverged at {'t' if config.solver == 'flow' else 'step'} {final_time:.3g}; "
                + ("lower lr_scale" if config.solver == "gd" else "the flow cannot diverge here: report this"))
    where = (f"the residual is {residual:.2g} and β may still move by {motion:.2g} "
             f"(> tolerance {tolerance:.2g})")
    if config.solver == "gd":
        return f"after {config.gd_steps} GD steps {where}; raise gd_steps"
    if status == dynamics.STATUS_SOLVER_FAILED:
        return f"the ODE solver stopped (max_steps) at t = {final_time:.3g}: {where}"
    return f"at t1 = {t1:.3g} {where}; raise t1 to >= {t_star:.2g} (the proven time to fit to 1e-9)"


def _figure_sweep(arrays, x_np, y_np, beta_star_np):
    """argmin Q over the figure's α grid for D = 2, 3, beside the simulated limits."""
    alphas = np.asarray(arrays["sweep_alphas"])
    out = {"sweep_alphas": alphas}
    for depth in FIGURE_DEPTHS:
        betas = np.asarray(arrays[f"sweep_D{depth}_beta_inf"])
        predicted = np.stack([
            bounds.woodworth20_implicit_regularizer_minimizer(x_np, y_np, a, depth).beta for a in alphas
        ])
        out[f"sweep_D{depth}_beta_inf"] = betas
        out[f"sweep_D{depth}_argmin_Q"] = predicted
        out[f"sweep_D{depth}_status"] = np.asarray(arrays[f"sweep_D{depth}_status"])
        out[f"sweep_D{depth}_error_vs_argmin_Q"] = np.linalg.norm(betas - predicted, axis=1) / np.linalg.norm(predicted, axis=1)
        out[f"sweep_D{depth}_dist_to_beta_star"] = np.linalg.norm(betas - beta_star_np, axis=1)
    return out


def plot_sweep(rows, path) -> None:
    """The paper's figure from a sweep: ‖β∞ − argmin Q‖/‖argmin Q‖ against α, one line per depth."""
    fig, axes = figure(1, 1)
    ax = axes[0, 0]
    depths = sorted({r["config"]["depth"] for r in rows})
    for depth in depths:
        mine = sorted((r for r in rows if r["config"]["depth"] == depth), key=lambda r: r["config"]["alpha"])
        alphas = [r["config"]["alpha"] for r in mine]
        errors = [np.nan if r["error"] is None else max(r["error"], 1e-16) for r in mine]
        ax.loglog(alphas, errors, "o-", label=f"D = {depth}")
        for r in mine:
            if r["outcome"] != "pass":
                ax.annotate(r["outcome"][0].upper(), (r["config"]["alpha"], max(r["error"] or 1e-16, 1e-16)))
    ax.axhline(1e-6, color="k", ls="--", lw=1, label="tolerance (flow)")
    ax.set_xlabel("initialisation scale α")
    ax.set_ylabel("‖β∞ − argmin Q_α^D‖ / ‖argmin Q‖")
    ax.set_title("gradient flow lands on argmin Q_α^D at every α (F: fail, I: inconclusive)", fontsize=9)
    ax.legend(fontsize=8)
    fig.savefig(path, dpi=110)


def plot(config: KernelRichConfig, result: Result, path) -> None:
    a = result.arrays
    fig, axes = figure(1, 1)
    ax = axes[0, 0]
    if "sweep_alphas" in a:
        for depth, color in zip(FIGURE_DEPTHS, ("C0", "C1")):
            ax.loglog(a["sweep_alphas"], a[f"sweep_D{depth}_dist_to_beta_star"], "o-", color=color,
                      label=f"gradient flow, D = {depth}")
            unfinished = a[f"sweep_D{depth}_status"] != dynamics.STATUS_STOPPED
            if np.any(unfinished):
                ax.loglog(a["sweep_alphas"][unfinished], a[f"sweep_D{depth}_dist_to_beta_star"][unfinished], "s",
                          mfc="none", color="r", ms=10, label=f"D = {depth}: residual 1e-9 not reached")
            ax.loglog(a["sweep_alphas"], np.linalg.norm(a[f"sweep_D{depth}_argmin_Q"] - a["beta_star"], axis=1),
                      "x", color="k", ms=7)
        ax.plot([], [], "kx", label="argmin Q_α^D (dual Newton)")
    ax.axhline(np.linalg.norm(a["min_l2"] - a["beta_star"]), color="C2", ls="--", label="min-ℓ2 interpolant")
    l1_error = np.linalg.norm(a["min_l1"] - a["beta_star"])
    ax.axhline(max(l1_error, 1e-6), color="C3", ls=":",
               label="min-ℓ1 interpolant" + (f" (= β* to {l1_error:.0e})" if l1_error < 1e-6 else ""))
    ax.set_xlabel("initialisation scale α")
    ax.set_ylabel("‖β_∞ − β*‖")
    ax.set_title(f"kernel vs rich (n={config.n}, d={config.d}, s={config.sparsity}); check at D={config.depth}, "
                 f"α={config.alpha}: {result.outcome.upper()}", fontsize=9)
    ax.legend(fontsize=8)
    fig.savefig(path, dpi=110)


CHECK = register(
    Check(
        name="kernel_rich",
        statement="Gradient flow on a depth-D diagonal linear net from scale α converges to argmin Q_α^D among interpolants.",
        source="Woodworth et al., COLT 2020, arXiv:2002.09277 (shared/THEORY.md §2)",
        config_type=KernelRichConfig,
        run=None,
        plot=plot,
        negative_controls=({"alpha_minus": 0.6}, {"regularizer_depth": 3}),
        needs_x64=True,
        figure_keys=("figure_sweep",),
        quick={"figure_sweep": False},
        slow_corners=("n=high", "d=high", "gd_steps=high", "figure_sweep=true"),
        data_keys=("alpha", "lr_scale"),
        simulate=simulate,
        verdict=verdict,
        batching="map",
        plot_sweep=plot_sweep,
    )
)
