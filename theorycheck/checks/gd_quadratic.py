"""Warm-up: GD on a quadratic follows its exact loss curve and is stable iff η < 2/λ_max.

**Statement.** Plain gradient descent θ ← θ − η∇L on L(θ) = ½(θ−θ*)ᵀA(θ−θ*), A symmetric positive
definite with eigenpairs (λᵢ, qᵢ), has the exact loss curve L_t = ½ Σᵢ λᵢ cᵢ² (1 − ηλᵢ)^{2t}
with cᵢ = qᵢᵀ(θ₀ − θ*), so it converges iff max |1 − ηλᵢ| < 1, i.e. iff λ_max < 2/η ("if and only
if" for convex quadratics: Cohen et al., ICLR 2021, arXiv:2103.00065, footnote; shared/THEORY.md
§1). Derived here in one line: the error e_t = θ_t − θ* obeys e_{t+1} = (I − ηA)e_t.

**Setup.** d = ``dim`` eigenvalues log-spaced in [λ_max/``condition``, λ_max], a random rotation,
random θ*, θ₀ (key), float64. One ``vmap``-ed simulator runs every step size of the sweep
η = f·2/λ_max, f ∈ {0.5, 0.9, 1.1, 2} ∪ {``lr_fraction``}: the step sizes are data, one compile.

**Tolerance (derived).** Each step rounds the matvec and update, perturbing eₜ by at most about
d·ε·‖A‖‖eₜ‖; in the slowest mode that is κ = ``condition`` times its own size, and t steps add
up linearly, so the relative deviation of L_t from the closed form is at most
``tolerance`` = κ·d·T·ε (ε = float64 machine epsilon, T = ``steps``) ≈ 4e-11 at the defaults.
Diverging runs overflow float64 (2x at T ≈ 320): the curves are compared only at steps where
no float64 evaluation can have overflowed yet, and the step at which the simulation overflows must
lie in the window the closed form predicts (:func:`overflow_window`, derived there): an overflow is
a prediction of the theorem, not a failure. Converging runs underflow instead: a loss below
tiny/ε ≈ 1e-292 has no relative precision left in float64 (subnormals, then 0 on both sides, where
0/0 would enter the max), so the curves are compared only while the closed form is above it (at
κ = 2 that is after ~250 steps at 0.5x). A derived tolerance >= 1e-2 (κ·d·T >= 4.5e13, reachable
at κ = 1e8) is too wide to confirm the curve: such a run is ``inconclusive`` (lower ``condition``,
``dim`` or ``steps``) unless a criterion already failed. The threshold part is exact on the fixed sweep
f ∈ {0.5, 0.9, 1.1, 2} (well away from the
marginal f = 1, where neither convergence nor divergence is claimed): the loss grows
(L_T > L_0) iff f > 1.

**Negative control.** ``momentum=0.5`` (heavy ball) violates "plain GD": its loss curve is not
the closed form and its stability limit moves to 2(1+β)/η (:func:`bounds.eos_threshold`), so
the 1.1× run stays stable and the comparison fails.
"""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from theorycheck import bounds
from theorycheck import dynamics
from theorycheck._check import Check, Result, config_field, decide, register

from ._common import figure

SWEEP_FRACTIONS = (0.5, 0.9, 1.1, 2.0)
# log of the smallest loss compared with the closed form: tiny/ε ≈ 1e-292 (below it float64
# values are subnormal or 0, with no relative precision left)
UNDERFLOW_LOG = float(np.log(np.finfo(np.float64).tiny) - np.log(np.finfo(np.float64).eps))
# a derived tolerance at or above this is too wide to tell the closed form from another curve
MAX_TOLERANCE = 1e-2


@dataclasses.dataclass(frozen=True)
class GdQuadraticConfig:
    dim: int = config_field(20, low=2, high=10_000, help="dimension d of the quadratic")
    top_eigenvalue: float = config_field(10.0, low=1e-6, high=1e6, help="λ_max of A")
    condition: float = config_field(100.0, low=2.0, high=1e8, help="κ = λ_max/λ_min")
    steps: int = config_field(100, low=1, high=2000, help="GD steps T (diverging runs overflow float64: compared up to the overflow)")
    lr_fraction: float = config_field(0.9, low=1e-3, high=2.5, help="headline step size, as a fraction of 2/λ_max")
    momentum: float = config_field(0.0, low=0.0, high=0.99, help="heavy-ball momentum (0 = the theorem's plain GD)")


def _quadratic(config: GdQuadraticConfig, top_eigenvalue, condition, key):
    key_q, key_star, key_0 = jax.random.split(key, 3)
    eigenvalues = top_eigenvalue * jnp.logspace(-jnp.log10(condition), 0.0, config.dim)
    rotation, _ = jnp.linalg.qr(jax.random.normal(key_q, (config.dim, config.dim)))
    matrix = (rotation * eigenvalues[None, :]) @ rotation.T
    # θ* = 0 without loss of generality: a shift would add an absolute rounding floor ε‖θ*‖ to
    # θ_t − θ* that the relative tolerance below does not model (the loss would stall near
    # λ(ε‖θ*‖)² while the closed form keeps falling).
    del key_star
    theta_star = jnp.zeros((config.dim,))
    theta0 = jax.random.normal(key_0, (config.dim,))
    return eigenvalues, rotation, matrix, theta_star, theta0


def simulate(config: GdQuadraticConfig, data, key):
    """GD (or heavy ball) at every step size of the sweep, one ``vmap`` (the protocol's simulate).

    Every swept quantity is data: the step size, momentum, λ_max and κ."""
    eigenvalues, rotation, matrix, theta_star, theta0 = _quadratic(
        config, data["top_eigenvalue"], data["condition"], key
    )

    def loss(theta):
        error = theta - theta_star
        return 0.5 * error @ (matrix @ error)

    fractions = jnp.concatenate([jnp.array(SWEEP_FRACTIONS), data["lr_fraction"][None]])
    lrs = fractions * 2.0 / data["top_eigenvalue"]
    run = dynamics.gradient_descent(
        loss, dynamics.plain_sgd(lrs[0], momentum=data["momentum"]), num_steps=config.steps
    )
    trajectories = jax.vmap(run, in_axes=(None, None, {"learning_rate": 0}))(theta0, key, {"learning_rate": lrs})
    simulated = jnp.concatenate([trajectories.losses, jax.vmap(loss)(trajectories.final_params)[:, None]], axis=1)
    return {
        "A": matrix, "eigenvalues": eigenvalues, "rotation": rotation, "theta_star": theta_star,
        "theta0": theta0, "lr_fractions": fractions, "learning_rates": lrs,
        "loss_simulated": simulated,  # (len(lrs), steps + 1): L_0 .. L_T
    }


def verdict(config: GdQuadraticConfig, data, arrays) -> Result:
    """The closed-form curves (float64 numpy) against the simulated ones; the threshold."""
    rotation, theta0, theta_star = arrays["rotation"], arrays["theta0"], arrays["theta_star"]
    eigenvalues, fractions, lrs = arrays["eigenvalues"], arrays["lr_fractions"], arrays["learning_rates"]
    simulated, matrix = arrays["loss_simulated"], arrays["A"]
    condition = float(data["condition"])
    coefficients = np.asarray(rotation.T @ (theta0 - theta_star))
    lam = np.asarray(eigenvalues)
    log_exact = np.stack([
        bounds.gd_quadratic_loss_curve(lam, coefficients, lr, config.steps, log=True) for lr in lrs
    ])
    with np.errstate(over="ignore"):
        exact = np.exp(log_exact)
    tolerance = condition * config.dim * config.steps * np.finfo(np.float64).eps
    window = overflow_window(log_exact, condition, tolerance)
    simulated_overflow = np.array([_first_nonfinite(row) for row in simulated])
    # Underflow: below L = tiny/ε the closed form's and the simulation's float64 values have
    # lost their relative precision (subnormals) and both end at 0, where 0/0 would enter the max;
    # the curves are compared only while the closed form is above that floor.
    represented = log_exact >= UNDERFLOW_LOG
    comparable = (np.arange(config.steps + 1)[None, :] < np.minimum(window[:, :1], simulated_overflow[:, None])) & represented
    with np.errstate(invalid="ignore", over="ignore"):
        deviation = np.where(comparable, np.abs(simulated - exact) / exact, 0.0)
    sweep = slice(0, len(SWEEP_FRACTIONS))  # the threshold is judged on the fixed sweep only
    predicted_stable = np.array([bounds.gd_quadratic_contraction(lam, lr) < 1 for lr in lrs[sweep]])
    measured_stable = simulated[sweep, -1] < simulated[sweep, 0]  # an overflow (inf) is unstable
    error = float(np.max(deviation))
    fail_reasons = [
        f"the {f:g}x run overflowed at step {s} but the closed form puts the overflow in "
        f"steps [{lo}, {hi}]" if s <= config.steps else
        f"the {f:g}x run stayed finite but the closed form overflows by step {hi}"
        for f, s, (lo, hi) in zip(fractions, simulated_overflow, window)
        if not _overflow_agrees(s, lo, hi, config.steps)
    ]
    # The threshold is asymptotic: at a short horizon an unstable run may still be below L_0
    # (its other modes decay first). It is decidable at T only where the closed form already
    # shows it; otherwise the run is too short to decide, and says how long it must be.
    shows = (log_exact[sweep, -1] < log_exact[sweep, 0]) == predicted_stable
    fail_reasons += [
        f"at {f:g}x GD was {'stable' if m else 'unstable'}, the threshold predicts {'stable' if p else 'unstable'}"
        for f, p, m, decidable in zip(fractions, predicted_stable, measured_stable, shows) if decidable and p != m
    ]
    undecided = [
        f"at {f:g}x the unstable mode has not yet outgrown L_0 after {config.steps} steps; "
        f"raise steps to >= {_growth_step(lam, coefficients, lr)}"
        for f, lr, decidable in zip(fractions, lrs, shows) if not decidable
    ]
    if tolerance >= MAX_TOLERANCE and error <= tolerance and not any(fail_reasons):  # cannot confirm; can refute
        undecided.insert(0, f"the derived tolerance κ·d·T·ε = {tolerance:.3g} is too wide (>= {MAX_TOLERANCE:g}) to "
                            f"tell the closed-form curve from another; lower condition, dim or steps so that "
                            f"κ·d·T <= {MAX_TOLERANCE / np.finfo(np.float64).eps:.3g}")
    outcome, reason = decide(error, tolerance, fail_reasons=fail_reasons, inconclusive_reasons=undecided,
                             what="max relative deviation of L_t from the closed form")
    details = {
        f"stable@{f:g}x": f"predicted {p}, measured {m}"
        for f, p, m in zip(fractions, predicted_stable, measured_stable)
    }
    details["threshold_lr"] = float(bounds.eos_threshold(1.0) / data["top_eigenvalue"])
    details["overflow_steps"] = [int(s) if s <= config.steps else None for s in simulated_overflow]
    details["compared_until_underflow"] = [int(r.sum()) < r.size for r in represented]
    return Result(
        predicted=float(exact[-1, -1]),
        measured=float(simulated[-1, -1]),
        error=error,
        tolerance=float(tolerance),
        outcome=outcome,
        reason=reason,
        arrays={
            "A": np.asarray(matrix), "theta_star": np.asarray(theta_star), "theta0": np.asarray(theta0),
            "lr_fractions": fractions, "learning_rates": lrs, "loss_simulated": simulated,
            "loss_exact": exact, "log_loss_exact": log_exact, "overflow_window": window,
            "overflow_simulated": simulated_overflow,
        },
        details=details,
    )


def overflow_window(log_exact: np.ndarray, condition: float, tolerance: float) -> np.ndarray:
    """``(runs, 2)``: the first and the last step at which a float64 simulation may first overflow.

    The simulator evaluates ½·eᵀ(Ae) with e = θ − θ*. Every partial sum of that dot product is at
    most ‖e‖·‖Ae‖ ≤ λ_max‖e‖² ≤ 2κ·L, so nothing overflows while 2κ·L_t < max float64 (the low
    end). The result equals L_t to the relative ``tolerance`` of the curve comparison (XLA may
    fold the ½ into an operand, so the value that overflows is L_t itself), so the simulation must
    have overflowed by the first step with L_t·(1 − tolerance) > max float64 (the high end). A
    step past the horizon means "not within the run".
    """
    log_max = np.log(np.finfo(np.float64).max)
    steps = log_exact.shape[1] - 1

    def first(mask):
        return np.where(mask.any(axis=1), mask.argmax(axis=1), steps + 1)

    low = first(log_exact + np.log(2.0 * condition) >= log_max)
    high = first(log_exact + np.log1p(-tolerance) > log_max)
    return np.stack([low, high], axis=1)


def _growth_step(eigenvalues, coefficients, lr) -> int:
    """The first step at which the closed-form loss exceeds L_0 (an unstable run's top mode has
    outgrown the decay of the others), searched up to 10⁵ steps."""
    log_curve = bounds.gd_quadratic_loss_curve(eigenvalues, coefficients, lr, 10**5, log=True)
    above = log_curve > log_curve[0]
    return int(above.argmax()) if above.any() else 10**5


def _first_nonfinite(row: np.ndarray) -> int:
    bad = ~np.isfinite(row)
    return int(bad.argmax()) if bad.any() else row.size


def _overflow_agrees(step: int, low: int, high: int, steps: int) -> bool:
    if step > steps:  # the run stayed finite: the closed form must not force an overflow
        return high > steps
    return low <= step <= high


def plot(config: GdQuadraticConfig, result: Result, path) -> None:
    a = result.arrays
    fig, axes = figure(1, 1)
    ax = axes[0, 0]
    steps = np.arange(a["loss_exact"].shape[1])
    for i, f in enumerate(a["lr_fractions"][: len(SWEEP_FRACTIONS)]):
        line, = ax.semilogy(steps, a["loss_simulated"][i], lw=2, alpha=0.6, label=f"GD, η = {f:g}·2/λ_max")
        ax.semilogy(steps, a["loss_exact"][i], "k:", lw=1)
    ax.plot([], [], "k:", label="closed form")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title(f"GD on a quadratic (momentum {config.momentum}): {result.outcome.upper()}")
    ax.legend(fontsize=8)
    fig.savefig(path, dpi=110)


CHECK = register(
    Check(
        name="gd_quadratic",
        statement="GD on a quadratic follows L_t = ½Σλᵢcᵢ²(1−ηλᵢ)^{2t} and is stable iff η < 2/λ_max.",
        source="Cohen et al., ICLR 2021, arXiv:2103.00065, footnote on quadratics (shared/THEORY.md §1)",
        config_type=GdQuadraticConfig,
        run=None,
        plot=plot,
        negative_controls=({"momentum": 0.5},),
        needs_x64=True,
        slow_corners=("dim=high",),
        data_keys=("lr_fraction", "momentum", "top_eigenvalue", "condition"),
        simulate=simulate,
        verdict=verdict,
    )
)
