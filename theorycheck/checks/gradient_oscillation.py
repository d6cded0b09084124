"""Gradient oscillation: at a large step size consecutive GD gradients become anti-correlated.

**Statement.** For gradient descent on L(w) = ½wᵀAw (A symmetric positive definite, eigenpairs
(λᵢ, qᵢ)) the gradient obeys g_{t+1} = (I − ηA)g_t, so

    cos(g_t, g_{t+1}) = g_tᵀ(I − ηA)g_t / (‖g_t‖·‖(I − ηA)g_t‖)

exactly, and the direction of g_t is asymptotically that of the mode i* maximising |1 − ηλᵢ|
among those present in g_0: cos(g_t, g_{t+1}) → sign(1 − ηλ_{i*}). Consecutive gradients are
therefore *persistently anti-correlated* (the limit is −1) iff |1 − ηλ_max| > |1 − ηλ_min|,
i.e. iff η > 2/(λ_max + λ_min) (shared/THEORY.md §13, tagged [D, V-num]; derived here again in
one line: gᵢ(t) = λᵢ cᵢ (1 − ηλᵢ)^t with cᵢ = qᵢᵀw_0, so the weights of the modes in
cos(g_t, g_{t+1}) are ∝ (λᵢcᵢ)²|1 − ηλᵢ|^{2t} and concentrate on i*). No paper statement is
relied on: the claim is elementary linear algebra, which is why no source was searched.

**The claim checked** is the limit, on both sides of the threshold, not only the identity: at
the configured (η, A) the consecutive-gradient cosine of the simulated run settles on the
predicted sign(1 − ηλ_{i*}) = ±1: below −0.99 over the last ``TAIL`` = 25% of the steps when
η > 2/(λ_max + λ_min) (oscillation), above +0.99 when η is below it (the gradients align; the
check's own prediction says there is no oscillation there, so that is what it tests, rather than
failing a setting where the effect is predicted absent). The exact formula above is checked at
every step too.

**Setup.** A = Q diag(``eigenvalues``) Qᵀ with a random rotation Q (key) (the default spectrum is
the issue's A = diag(1, 10), up to the rotation, which the claim is invariant to), w* = 0,
w_0 ~ N(0, I), float64. :func:`dynamics.gradient_descent` with :func:`dynamics.plain_sgd` (η is
data: a sweep over ``lr`` is one ``vmap``), the cosine recorded by
:func:`dynamics.gradient_cosine` with ``every = 1``. The closed form is evaluated independently in
numpy in the eigenbasis with the mode weights normalised in log space (no overflow or underflow).

**Side run (details only).** The same observer on the edge-of-stability problem (Cohen et al.'s
tanh net on Chebyshev data, :mod:`.edge_of_stability`) at η = 0.4 for ``eos_steps`` steps: once
the sharpness has reached 2/η the consecutive cosine sits near −1 (THEORY.md §13 "Neural nets").
It reports the median cosine over the first 10% and the last half of the run and the final
sharpness·η/2 (one Lanczos estimate), and does not enter the verdict. ``eos_steps = 0`` skips it.

**Tolerances.** Limit: every tail record must satisfy ±cos > 0.99 (``error`` = max over the
tail of 1 ∓ cos, the sign the predicted limit's, ``tolerance`` = 0.01: the issue's operational
threshold for a limit of −1, fixed before any run, used symmetrically for +1). The
verdict is only taken once the closed form shows the run is long enough: the exact cosine must
have settled within 1e-3 of its limit ±1 before the tail starts, otherwise the run is
``inconclusive`` with the number of steps needed. Formula: each step rounds the matvec and the
update, perturbing w_t by about d·ε·‖A‖‖w_t‖; relative to ‖g_t‖ ≥ λ_min‖w_t‖ that is κ·d·ε per
step in the gradient's direction (κ = λ_max/λ_min), a further factor κ enters when the
perturbation is mapped through A, and t steps add up linearly; the cosine of two unit vectors,
each off by δ, moves by at most 2δ each: tolerance 4·κ²·d·T·ε (3.5e-11 at the defaults, below the
issue's 1e-10). Both criteria use only records where ‖g‖² of both gradients lies in
[tiny/ε, max/(2d)], by the closed form and by the recorded loss (2λ_min·L ≤ ‖g‖² ≤ 2λ_max·L):
η > 2/λ_max diverges, which is still an oscillation (the top mode grows with alternating sign),
but once ‖g‖² overflows the observer's norm is inf and its cosine a meaningless −0.0; a run
decaying for thousands of steps underflows. The tail is the last 25% of the records kept.

**Negative control.** ``momentum=0.5`` (heavy ball) violates "plain GD": the gradient recursion
is of second order, g_{t+1} ≠ (I − ηA)g_t, and at the default η = 0.19 > 0.1818 the simulated
cosine turns positive instead of settling at −1: both the formula and the limit criterion fail,
decided by the simulation. (The former control ``lr=0.15`` < 2/(λ_max + λ_min) failed by
definition of the one-sided claim; it now passes, the cosine tending to the predicted +1.)
"""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from theorycheck import dynamics
from theorycheck import models
from theorycheck._check import Check, Result, config_field, decide, register

from ._common import figure

TAIL = 0.25  # the last quarter of the (finite) records decides the oscillation claim
THRESHOLD = -0.99  # the claim: cos(g_t, g_{t+1}) below this over the tail
SETTLED = 1e-3  # the closed form within this of its limit ±1 before the tail starts
HORIZON = 200_000  # steps searched for the settling step of the closed form
EOS_LR = 0.4  # the side run: crosses 2/η after ~1500 steps (sharpness 2.9 at init, 2/η = 5)
# Built outside any trace: the models' argument checks are Python branches on concrete values.
_EOS_NET = models.cohen21_regression_net(100)


@dataclasses.dataclass(frozen=True)
class GradientOscillationConfig:
    lr: float = config_field(0.19, low=1e-3, high=2.0, help="GD step size η (oscillation iff η > 2/(λ_max+λ_min))")
    eigenvalues: tuple = config_field(
        (1.0, 10.0), low=0.1, high=10.0,
        help="spectrum of A (>= 2 distinct values); records where ‖g_t‖² leaves float64's normal range "
             "(divergence or decay past 1e-300) are dropped")
    steps: int = config_field(200, low=10, high=5000, help="GD steps T on the quadratic")
    eos_steps: int = config_field(5000, low=0, high=100_000,
                                  help="steps of the edge-of-stability side run at η = 0.4 (details only; 0 skips)")
    momentum: float = config_field(0.0, low=0.0, high=0.99,
                                   help="heavy-ball momentum (0 = the claim's plain GD; 0.5 is the negative control)")

    def validate(self):
        if len(set(self.eigenvalues)) < 2:
            raise ValueError(
                f"config key 'eigenvalues' needs at least two distinct values (got {self.eigenvalues}): "
                "with one eigenvalue the gradient never changes direction; e.g. --set eigenvalues=1,10"
            )


def simulate(config: GradientOscillationConfig, data, key):
    """GD on the quadratic (and the EoS side run) with the consecutive-gradient cosine, every step."""
    key_q, key_w, key_run, key_eos, key_eos_run, key_lanczos = jax.random.split(key, 6)
    lam = jnp.asarray(config.eigenvalues, dtype=float)
    d = lam.shape[0]
    rotation, _ = jnp.linalg.qr(jax.random.normal(key_q, (d, d)))
    matrix = (rotation * lam[None, :]) @ rotation.T
    w0 = jax.random.normal(key_w, (d,))

    def loss(w):
        return 0.5 * w @ (matrix @ w)

    run = dynamics.gradient_descent(
        loss, dynamics.plain_sgd(data["lr"], momentum=data["momentum"]), num_steps=config.steps, every=1,
        observers={"cosine": dynamics.gradient_cosine(loss)},
    )
    trajectory = run(w0, key_run)
    out = {
        "rotation": rotation, "w0": w0, "cosine": trajectory.observations["cosine"],
        "losses": trajectory.losses, "diverged_at": trajectory.diverged_at,
    }
    if config.eos_steps:
        x, y = models.chebyshev_regression(5, 20)
        net = _EOS_NET

        def eos_loss(params):
            return 0.5 * jnp.mean((net.apply(params, x) - y) ** 2)

        params0 = net.init(key_eos)
        eos = dynamics.gradient_descent(
            eos_loss, dynamics.plain_sgd(EOS_LR), num_steps=config.eos_steps, every=1,
            observers={"cosine": dynamics.gradient_cosine(eos_loss)},
        )(params0, key_eos_run)
        start = jnp.ones_like(ravel_pytree(params0)[0])
        pairs = [
            dynamics.lanczos_top_eigenpairs(dynamics.hessian_vector_product(eos_loss, p), start, k, num_iterations=30)
            for p, k in zip((params0, eos.final_params), jax.random.split(key_lanczos))
        ]
        out.update(
            eos_cosine=eos.observations["cosine"], eos_losses=eos.losses,
            eos_sharpness=jnp.stack([p.eigenvalues[0] for p in pairs]),
            eos_residuals=jnp.stack([p.residuals[0] for p in pairs]),
        )
    return out


def exact_cosines(eigenvalues, coefficients, lr, steps) -> np.ndarray:
    """cos(g_t, g_{t+1}) for t = 0 .. steps−1 on the quadratic, in closed form (float64 numpy).

    gᵢ(t) = λᵢcᵢmᵢ^t with mᵢ = 1 − ηλᵢ; the weights (λᵢcᵢ)²|mᵢ|^{2t} are normalised in log space.
    """
    lam = np.asarray(eigenvalues, dtype=float)
    m = 1.0 - lr * lam
    t = np.arange(steps, dtype=float)[:, None]
    with np.errstate(divide="ignore"):
        log_w = 2.0 * np.log(np.abs(lam * coefficients)) + 2.0 * t * np.log(np.abs(m))[None, :]
    log_w = log_w - np.max(log_w, axis=1, keepdims=True)
    w = np.exp(log_w)
    return np.sum(w * m, axis=1) / np.sqrt(np.sum(w, axis=1) * np.sum(w * m**2, axis=1))


def exact_log_gradient_norms(eigenvalues, coefficients, lr, steps) -> np.ndarray:
    """log‖g_t‖ for t = 0 .. steps in closed form (log-sum-exp over the modes)."""
    lam = np.asarray(eigenvalues, dtype=float)
    t = np.arange(steps + 1, dtype=float)[:, None]
    with np.errstate(divide="ignore"):
        log_sq = 2.0 * np.log(np.abs(lam * coefficients)) + 2.0 * t * np.log(np.abs(1.0 - lr * lam))[None, :]
    top = np.max(log_sq, axis=1)
    return 0.5 * (top + np.log(np.sum(np.exp(log_sq - top[:, None]), axis=1)))


def limit_sign(eigenvalues, coefficients, lr) -> float:
    """sign(1 − ηλ_{i*}), i* maximising |1 − ηλᵢ| among the modes present in g_0 (0 on a tie of signs)."""
    lam = np.asarray(eigenvalues, dtype=float)
    m = (1.0 - lr * lam)[np.abs(coefficients) > 0]
    top = np.abs(m).max()
    signs = np.unique(np.sign(m[np.abs(m) == top]))
    return float(signs[0]) if signs.size == 1 else 0.0


def settling_step(eigenvalues, coefficients, lr, limit) -> int | None:
    """The first step after which the exact cosine stays within ``SETTLED`` of ``limit`` (searched
    up to ``HORIZON``); None if it does not settle there (a tie between modes, or slower)."""
    if limit == 0.0:
        return None
    exact = exact_cosines(eigenvalues, coefficients, lr, HORIZON)
    off = np.abs(exact - limit) > SETTLED
    if off[-1]:
        return None
    return int(np.nonzero(off)[0][-1] + 1) if off.any() else 0


def verdict(config: GradientOscillationConfig, data, arrays) -> Result:
    lr = float(data["lr"])
    lam = np.asarray(config.eigenvalues, dtype=float)
    coefficients = arrays["rotation"].T @ arrays["w0"]
    cosine = arrays["cosine"]  # record t: cos(g_{t−1}, g_t); record 0 is NaN
    measured_series = cosine[1:]
    # A record is usable while it is finite and ‖g‖² of both of its gradients stays in float64's
    # normal range with room for ε-relative rounding (‖g‖²·ε ≥ tiny): a run that decays for
    # thousands of steps underflows, one with |1 − ηλ_max| > 1 overflows; both are cut off.
    info = np.finfo(np.float64)
    log_norms = exact_log_gradient_norms(lam, coefficients, lr, config.steps)
    # the upper end: ‖g‖² itself (norm and dot product) must stay below max float64, with room for
    # d terms of the sum; past it the observer's norm is inf and the cosine a meaningless ±0 or NaN
    representable = ((2.0 * log_norms >= np.log(info.tiny) - np.log(info.eps))
                     & (2.0 * log_norms <= np.log(info.max) - np.log(2.0 * lam.size)))
    # the same cut on the simulated run (a run that is not plain GD need not follow log_norms):
    # 2λ_min·L <= ‖g‖² <= 2λ_max·L with L the recorded loss
    with np.errstate(all="ignore"):
        log_loss = np.log(2.0 * np.asarray(arrays["losses"], dtype=float))
    simulated_ok = (np.isfinite(log_loss) & (log_loss + np.log(lam.min()) >= np.log(info.tiny) - np.log(info.eps))
                    & (log_loss + np.log(lam.max()) <= np.log(info.max) - np.log(2.0 * lam.size)))
    simulated_ok = np.append(simulated_ok, simulated_ok[-1:])  # L_T is not recorded: as L_(T−1)
    ok = (np.isfinite(measured_series) & representable[:-1] & representable[1:]
          & simulated_ok[:-1] & simulated_ok[1:])
    usable = int(np.argmin(ok)) if not ok.all() else ok.size
    exact = exact_cosines(lam, coefficients, lr, config.steps)
    d, kappa = lam.size, lam.max() / lam.min()
    formula_tol = 4.0 * kappa**2 * d * config.steps * np.finfo(np.float64).eps
    formula_error = float(np.max(np.abs(measured_series[:usable] - exact[:usable]))) if usable else float("nan")
    limit = limit_sign(lam, coefficients, lr)
    settle = settling_step(lam, coefficients, lr, limit)
    tail_start = int(np.floor((1.0 - TAIL) * usable))
    tail = measured_series[tail_start:usable]
    critical = 2.0 / (lam.max() + lam.min())
    inconclusive, failed = [], []
    if tail.size < 2:
        inconclusive.append(
            f"only {usable} records before ‖g_t‖² left float64's normal range (overflow or underflow); "
            "move lr away from 2/λ_max (overflow) or 1/λ (fast decay) so that the tail holds records")
    elif settle is None:
        inconclusive.append(
            f"the exact cosine does not settle within {HORIZON} steps (η = {lr:g} is at or next to the marginal "
            f"2/(λ_max+λ_min) = {critical:.4g}, where two modes decay equally fast); move lr away from it")
    elif settle > tail_start:
        needed = int(np.ceil(settle / (1.0 - TAIL))) + 1
        inconclusive.append(
            f"the exact cosine settles to its limit {limit:+.0f} only at step {settle}, after the tail starts "
            f"(step {tail_start}); raise steps to >= {needed}")
    sign = limit if limit != 0.0 else -1.0
    error = float(np.max(1.0 - sign * tail)) if tail.size else float("nan")
    if not inconclusive and formula_error > formula_tol:
        failed.append(f"the simulated cosine left the exact formula: max deviation {formula_error:.3g} "
                      f"> {formula_tol:.3g}")
    settles = bool(tail.size and np.all(sign * tail > -THRESHOLD))
    if tail.size and not settles and sign < 0:
        where = "turned positive" if np.max(tail) > 0 else "stayed above −0.99"
        failed.append(
            f"consecutive gradients do not oscillate: cos(g_t, g_(t+1)) {where} over the last {TAIL:.0%} of "
            f"steps (max {np.max(tail):+.4f}; η = {lr:g} > 2/(λ_max+λ_min) = {critical:.4g} predicts −1)")
    elif tail.size and not settles:
        where = "turned negative" if np.min(tail) < 0 else "stayed below +0.99"
        failed.append(
            f"consecutive gradients are not aligned: cos(g_t, g_(t+1)) {where} over the last {TAIL:.0%} of "
            f"steps (min {np.min(tail):+.4f}; η = {lr:g} < 2/(λ_max+λ_min) = {critical:.4g} predicts +1)")
    outcome, reason = decide(error, 1.0 + THRESHOLD, fail_reasons=failed, inconclusive_reasons=inconclusive,
                             what=f"max over the tail of 1 {'+' if sign < 0 else '−'} cos(g_t, g_(t+1))")
    details = {
        "critical_lr": critical, "limit_predicted": limit, "settling_step": settle,
        "tail_max_cosine": float(np.max(tail)) if tail.size else None,
        "formula_error": formula_error, "formula_tolerance": formula_tol,
        "first_cosines": [float(c) for c in measured_series[:5]],
        "records_cut_from_step": None if usable == measured_series.size else usable + 1,
    }
    out = {"cosine": cosine, "cosine_exact": np.concatenate([[np.nan], exact]), "w0": arrays["w0"],
           "rotation": arrays["rotation"], "eigenvalues": lam, "losses": arrays["losses"]}
    if "eos_cosine" in arrays:
        eos = arrays["eos_cosine"][1:]
        n = eos.size
        details.update(
            eos_lr=EOS_LR, eos_steps=config.eos_steps,
            eos_sharpness_ratio_initial=float(arrays["eos_sharpness"][0] * EOS_LR / 2),
            eos_sharpness_ratio_final=float(arrays["eos_sharpness"][1] * EOS_LR / 2),
            eos_median_cosine_first_10pct=float(np.nanmedian(eos[: max(n // 10, 1)])),
            eos_median_cosine_last_half=float(np.nanmedian(eos[n // 2:])),
            eos_fraction_negative_last_half=float(np.mean(eos[n // 2:] < 0)),
        )
        out.update(eos_cosine=arrays["eos_cosine"], eos_losses=arrays["eos_losses"],
                   eos_sharpness=arrays["eos_sharpness"], eos_residuals=arrays["eos_residuals"])
    return Result(
        predicted=limit,
        measured=float(tail[-1]) if tail.size else float("nan"),
        error=error,
        tolerance=1.0 + THRESHOLD,
        outcome=outcome,
        reason=reason,
        arrays=out,
        details=details,
    )


def plot(config: GradientOscillationConfig, result: Result, path) -> None:
    a = result.arrays
    eos = "eos_cosine" in a
    fig, axes = figure(1, 2 if eos else 1)
    ax = axes[0, 0]
    steps = np.arange(a["cosine"].size)
    ax.plot(steps, a["cosine"], lw=2, alpha=0.6, label="GD (simulated)")
    ax.plot(steps, a["cosine_exact"], "k:", lw=1, label="exact formula")
    ax.axhline(THRESHOLD, color="r", lw=0.8, ls="--", label="−0.99")
    ax.set_xlabel("step t")
    ax.set_ylabel("cos(g_(t−1), g_t)")
    ax.set_title(f"quadratic, η = {config.lr}: {result.outcome.upper()}")
    ax.legend(fontsize=8)
    if eos:
        ax = axes[0, 1]
        ax.plot(np.arange(a["eos_cosine"].size), a["eos_cosine"], lw=0.5)
        ax.set_xlabel("step t")
        ax.set_ylabel("cos(g_(t−1), g_t)")
        ax.set_title(f"edge-of-stability net, η = {EOS_LR} (details only)")
    fig.savefig(path, dpi=110)


CHECK = register(
    Check(
        name="gradient_oscillation",
        statement="On a quadratic, cos(g_t, g_(t+1)) of GD follows its exact formula and tends to "
                  "sign(1 − ηλ_(i*)): −1 (anti-correlated gradients) iff η > 2/(λ_max+λ_min), else +1.",
        source="elementary (derived); shared/THEORY.md §13 (gradient oscillations), EoS side run §1",
        config_type=GradientOscillationConfig,
        run=None,
        plot=plot,
        negative_controls=({"momentum": 0.5},),
        needs_x64=True,
        quick={"eos_steps": 0},
        slow_corners=("eos_steps=high",),
        data_keys=("lr", "momentum"),
        simulate=simulate,
        verdict=verdict,
    )
)
