"""Natural gradient invariance: two parameterisations of one net, trained by natural-gradient
descent, trace the same functions up to O(η); under plain GD they do not.

**Statement.** Let ``w = φ(v)`` be a smooth invertible reparameterisation with Jacobian ``Dφ``.
Then ``J_v = J_w Dφ``, ``F_v = DφᵀF_wDφ`` and ``∇_vL = Dφᵀ∇_wL``, so the natural-gradient flow
``θ̇ = −F(θ)⁻¹∇L(θ)`` run in ``v`` and mapped through ``φ`` *is* the flow in ``w``: the flow is
invariant (Amari 1998). The discrete method ``θ ← θ − ηF⁻¹∇L`` is Euler's method on that flow in
each coordinate system; Euler's method in ``v`` mapped through ``φ`` differs from Euler's method in
``w`` by ``½η²D²φ[v̇, v̇]`` per step, so over a fixed time ``T = η·steps`` the two trajectories
drift apart by ``O(η)`` (global error of a first-order method); only for affine ``φ`` is each
step exactly invariant. Gradient descent's flow ``ẇ = −DφDφᵀ∇_wL`` depends on ``φ``: its
distance stays ``O(1)`` as ``η → 0``. Sources (verified with the ``search`` tool): Martens,
"New insights and perspectives on the natural gradient method", JMLR 21(146), 2020,
arXiv:1412.1193 — the abstract calls the property "(approximate) parameterization invariance"
and analyses it; Song, Ermon et al., "Accelerating natural gradient with higher-order invariance",
ICML 2018 — "natural gradient update loses its invariance due to the finite step size"; van
Oostrum, Müller & Ay, "Invariance properties of the natural gradient in overparametrised
systems", Information Geometry 2022 — the over-parameterised case used here (pushforward of the
natural *parameter* gradient). The O(η) order itself is the elementary Euler argument above,
derived here, not taken from a paper. shared/THEORY.md: natural gradient (issue 18).

**Why the over-parameterised regime.** Small tanh nets with ``P < n`` have Fishers of condition
number 1e7–1e9 (measured on 2→4→1 nets at n = 32: the near-linear tanh units make ``aᵢwᵢ``
almost a symmetry), so ``F⁻¹∇L`` is a step of norm 10²–10³ and NG descent blows up at any
usable η. With ``P > n`` (default 2 → 16 → 1, P = 65, n = 8) the output Jacobian has full row
rank, the NTK Gram ``K = JJᵀ`` has condition number ~2e3, and the pseudo-inverse direction
``F⁺∇L = J⁺r`` moves the outputs by ``ḟ = −r`` in *every* parameterisation
(:func:`bounds.natural_gradient_flow_outputs`, ``f(t) = y + e^{−t}(f₀ − y)``): the function-space
flow is invariant, which is the claim tested here (in function space; the parameter trajectories
of the min-norm directions differ, so the affine exactness — which needs an invertible ``F`` — is
tested on an under-parameterised linear model in ``theory_tests/test_natural_gradient.py``).

**Setup.** ``n`` inputs ``x ~ N(0, I₂)``, targets ``y = sin(x·a)``, ``a ~ N(0, I₂)``; a tanh MLP
2 → ``width`` → 1 (:func:`models.mlp`, biases ~ N(0, 0.5²)), flat weights ``w``; the second
parameterisation ``w = c ⊙ sinh(v)``, ``c_j = κ^{u_j}``, ``u_j ~ U[−½, ½]`` (log-uniform in
``[κ^{−1/2}, κ^{1/2}]``): sinh is smooth, odd, invertible and strongly nonlinear for ``|v| ≳ 1``,
the diagonal ``c`` makes the map ill-conditioned (condition ``κ``) so that GD's flow is far from
invariant. ``v₀ = arcsinh(w₀/c)``: both start at the same function. Loss ½·mean(f − y)² (unit
Gaussian output). :func:`dynamics.gradient_descent` with ``optax.chain(``
:func:`dynamics.natural_gradient` ``(damping = λ, CG to relative residual 1e-13), plain_sgd(η))``
at ``η_k = lr/2^k``, ``k = 0 .. ladder−1``, for ``steps·2^k`` steps (the same time ``T = lr·steps``;
the rungs are one ``vmap``), outputs on the data recorded at the times ``j·lr``, ``j = 0..steps``.
``D(η) = max_t rms_i |f_w(t, x_i) − f_v(t, x_i)|``. float64.

**Criteria.** (1) *Invariance (the order).* Pair slopes ``s_k = log₂(D(η_k)/D(η_{k+1}))``. With
``D(η) = Cη(1 + rη + O(η²))`` the pair slope tends to 1 and its deviation halves with each
halving of η, so ``c = |s_{last−1} − s_last|`` estimates ``|s_last − s_∞|``; the verdict takes
``[s_last − c, s_last + c]`` as the range of the limit slope. Band ``1 ± 0.25``: the alternatives
are slope 0 (a non-invariant flow: ``D → D₀ > 0``, gradient descent) and slope 2 (an ``O(η)``
term that cancels, as for affine maps); 0.25 is half the half-distance to either, leaving the
other half to ``c`` and the damping floor's shift. Pass: the range inside the band; fail: the range
outside it (the reason gives the Richardson limit ``D₀ = 2D(η_min) − D(2η_min)``, ≈ D(η_min) for
a non-invariant flow, ≈ 0 for an invariant one); straddling: inconclusive, remedy lower ``lr`` 4×
(the correction shrinks ~4×) or a longer ladder. ``error = |s_last − 1| + c``, ``tolerance`` 0.25.
(2) *Damping floor.* With damping λ the output velocity is ``−K(K + nλ)⁻¹r`` instead of ``−r``,
so the two runs' velocities differ by at most ``nλ(1/σ_min(K_w) + 1/σ_min(K_v))‖r‖``; with
``‖r(t)‖ <= ‖r₀‖`` the distance floor is ``D_λ = T·nλ·max(1/σ_min(K_w) + 1/σ_min(K_v))·rms(r₀)``
(σ_min at the start and at the end of the finest run). A constant floor ``δ`` shifts the last
pair slope by at most ``log₂(1 + δ/D(η_min))``; ``δ <= 0.05·D(η_min)`` keeps that below 0.07,
small against the band: otherwise inconclusive, remedy ``damping <= 0.05·D(η_min)·λ/D_λ``.
(3) *Resolution.* ``D(η_min) > 1e3·ε·max(1, rms y)`` (above round-off), no non-finite record
(a diverged rung: inconclusive, lower lr), ``σ_min(K) > 0`` (full row rank).

**Control.** ``optimizer=gd``: plain GD in the two parameterisations. Its flow differs by
``DφDφᵀ``, so ``D(η)`` tends to a positive limit, the slope range lies near 0, and the check fails
on the invariance criterion (the damping floor does not apply to GD). Measured at the defaults
(last pair slope, seeds 0, 1, 2, 101, 202, 303): NG 1.013, 1.019, 1.026, 1.002, 1.056, 1.018
(pass); GD 0.023, 0.089, 0.092, 0.022, 0.019, 0.017 (fail, Richardson limit ≈ 0.98·D(η_min)).
Seed 0 in full: D_NG = 2.1e-3, 1.0e-3, 5.0e-4, 2.5e-4 and D_GD = 0.068, 0.059, 0.056, 0.055 at
η = 0.1 .. 0.0125.

**Ranges.** ``n <= 12`` and ``width >= 8``: ``P = 4·width + 1`` must exceed ``n`` by far for ``K`` to
be well conditioned (κ(K) ~ 1e4 at n = 12, width 16); ``damping <= 1e-8``: the derived floor is a
worst case (1/σ_min(K) with σ_min(K) ≈ 0.03 at the defaults), ≈ 270·λ at the defaults against
``0.05·D(η_min)`` ≈ 1e-5, so λ ≳ 4e-8 cannot be told apart from the O(η) effect (a falsify search
over [0, 1e-3] left 4 of 10 draws inconclusive on the floor, with remedies 6e-9 .. 6e-7); ``lr <= 0.4`` (larger steps are Gauss–Newton steps far from the flow).
``compare`` (a figure key) also runs the other optimizer for the figure and the details.
"""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.flatten_util import ravel_pytree

from theorycheck import bounds, dynamics, models
from theorycheck._check import Check, Result, config_field, decide, register

from ._common import figure

BAND = 0.25  # the slope band around 1 (half of the half-distance to the alternatives 0 and 2)
FLOOR_SHARE = 0.05  # the damping floor may be at most this share of D(η_min)
ROUNDOFF = 1e3  # D(η_min) must exceed ROUNDOFF·ε·max(1, rms y)
CG_TOL = 1e-13
LR_LOW, LADDER_HIGH = 0.02, 6  # the ends of the lr and ladder ranges (remedies stay inside)
OPTIMIZERS = ("ng", "gd")


@dataclasses.dataclass(frozen=True)
class NaturalGradientInvarianceConfig:
    lr: float = config_field(0.1, low=0.02, high=0.4, help="the largest step size η of the ladder")
    steps: int = config_field(10, low=5, high=40, help="steps at the largest η (T = lr·steps)")
    ladder: int = config_field(4, low=3, high=6, help="step sizes lr, lr/2, ..., lr/2^(ladder−1)")
    n: int = config_field(8, low=4, high=12, help="training points (n < P: over-parameterised)")
    width: int = config_field(16, low=8, high=32, help="hidden width of the 2 → width → 1 tanh net")
    kappa: float = config_field(10.0, low=1.0, high=100.0, help="condition number of the diagonal c in w = c ⊙ sinh(v)")
    damping: float = config_field(0.0, low=0.0, high=1e-8, help="Tikhonov damping λ of the natural gradient")
    optimizer: str = config_field("ng", choices=OPTIMIZERS, help="ng (the claim) or gd (the negative control)")
    compare: bool = config_field(True, help="also run the other optimizer (figure and details only)")


def _problem(config, kappa, key):
    kx, ka, kinit, kc = jax.random.split(key, 4)
    x = jax.random.normal(kx, (config.n, 2))
    y = jnp.sin(x @ jax.random.normal(ka, (2,)))[:, None]
    net = models.mlp([2, config.width, 1], "tanh", bias_std=0.5)
    w0, unravel = ravel_pytree(net.init(kinit))
    c = kappa ** jax.random.uniform(kc, w0.shape, minval=-0.5, maxval=0.5)
    return x, y, net, w0, unravel, c


def simulate(config: NaturalGradientInvarianceConfig, data, key):
    """Both parameterisations at every rung of the ladder, as one vmap per optimizer.

    ``φ_α(v) = (1 − α)·v + α·c ⊙ sinh(v)`` with α = 0 (``w`` itself: exactly the identity in
    floating point) and α = 1 (the reparameterisation), so both runs share one compiled scan."""
    key_problem, key_run = jax.random.split(key)
    x, y, net, w0, unravel, c = _problem(config, data["kappa"], key_problem)
    alphas = jnp.array([0.0, 1.0])
    starts = jnp.stack([w0, jnp.arcsinh(w0 / c)])
    ladder = config.ladder
    total = config.steps * 2 ** (ladder - 1)
    etas = data["lr"] / 2.0 ** jnp.arange(ladder)
    index = jnp.arange(config.steps + 1)[None, :] * 2 ** jnp.arange(ladder)[:, None]  # (ladder, steps+1)
    others = tuple(o for o in OPTIMIZERS if o != config.optimizer) if config.compare else ()
    out = {"x": x, "y": y[:, 0], "w0": w0, "c": c}

    def model(alpha):
        def apply(v, inputs):
            return net.apply(unravel((1.0 - alpha) * v + alpha * c * jnp.sinh(v)), inputs)
        return apply

    for optimizer in (config.optimizer, *others):
        def one(alpha, start, eta, optimizer=optimizer):
            apply = model(alpha)

            def loss(v):
                return 0.5 * jnp.mean((apply(v, x) - y) ** 2)

            if optimizer == "ng":
                opt = optax.chain(dynamics.natural_gradient(apply, data=x, damping=data["damping"], tol=CG_TOL),
                                  dynamics.plain_sgd(eta))
            else:
                opt = dynamics.plain_sgd(eta)
            trajectory = dynamics.gradient_descent(
                loss, opt, num_steps=total,
                observers={"f": dynamics.stateless(lambda p, k: apply(p, x)[:, 0])})(start, key_run)
            return trajectory.observations["f"], trajectory.final_params

        grid = jax.vmap(jax.vmap(one, in_axes=(None, None, 0)), in_axes=(0, 0, None))
        outputs, finals = grid(alphas, starts, etas)  # (2, ladder, total+1, n), (2, ladder, P)
        picked = jnp.take_along_axis(outputs, index[None, :, :, None], axis=2)
        out[f"{optimizer}_w"], out[f"{optimizer}_v"] = picked[0], picked[1]
        if optimizer == config.optimizer:
            # σ_min of K = JJᵀ at the start and at the end of the finest rung (it runs all `total`
            # steps, so finals[:, -1] is at time T)
            def sigma_min(alpha, point):
                jac = jax.jacfwd(lambda v: model(alpha)(v, x)[:, 0])(point)
                return jnp.linalg.eigvalsh(jac @ jac.T)[0]

            points = jnp.stack([starts, finals[:, -1]], axis=1)  # (2 params, 2 times, P)
            sigma = jax.vmap(jax.vmap(sigma_min, in_axes=(None, 0)))(alphas, points)
            out["sigma_min_w"], out["sigma_min_v"] = sigma[0], sigma[1]
    return out


def distances(f_w, f_v) -> np.ndarray:
    """``D(η_k) = max_t rms_i |f_w − f_v|`` per rung (NaN where a record is not finite)."""
    rms = np.sqrt(np.mean((np.asarray(f_w) - np.asarray(f_v)) ** 2, axis=-1))
    return np.where(np.all(np.isfinite(rms), axis=1), np.max(rms, axis=1), np.nan)


def slope_range(d: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Pair slopes ``log₂(D_k/D_(k+1))``, the last one and its estimated correction ``c``."""
    with np.errstate(all="ignore"):
        slopes = np.log2(d[:-1] / d[1:])
    return slopes, float(slopes[-1]), float(abs(slopes[-2] - slopes[-1]))


def damping_floor(config, data, arrays) -> float:
    """``T·nλ·max(1/σ_min(K_w) + 1/σ_min(K_v))·rms(r₀)`` (0 for GD or λ = 0)."""
    if config.optimizer != "ng" or data["damping"] == 0:
        return 0.0
    inverse = 1.0 / np.asarray(arrays["sigma_min_w"]) + 1.0 / np.asarray(arrays["sigma_min_v"])
    f0 = np.asarray(arrays[f"{config.optimizer}_w"])[0, 0]
    r0 = float(np.sqrt(np.mean((f0 - np.asarray(arrays["y"])) ** 2)))
    time = data["lr"] * config.steps
    return float(time * config.n * data["damping"] * np.max(inverse) * r0)


def verdict(config: NaturalGradientInvarianceConfig, data, arrays) -> Result:
    lr = float(data["lr"])
    claim = config.optimizer
    d = distances(arrays[f"{claim}_w"], arrays[f"{claim}_v"])
    etas = lr / 2.0 ** np.arange(config.ladder)
    y = np.asarray(arrays["y"])
    times = lr * np.arange(config.steps + 1)
    inconclusive, failed = [], []
    details = {"distances": [float(v) for v in d], "step_sizes": [float(e) for e in etas],
               "time": lr * config.steps}
    slopes, last, correction = slope_range(d)
    details.update(pair_slopes=[float(s) for s in slopes], slope_last=last, slope_correction=correction)
    sigma = np.concatenate([np.ravel(arrays["sigma_min_w"]), np.ravel(arrays["sigma_min_v"])])
    floor = damping_floor(config, data, arrays) if np.all(sigma > 0) else np.inf
    details.update(sigma_min_gram=float(np.min(sigma)), damping_floor=floor)
    roundoff = ROUNDOFF * np.finfo(np.float64).eps * max(1.0, float(np.sqrt(np.mean(y**2))))
    if not np.all(np.isfinite(d)):
        bad = int(np.argmin(np.isfinite(d)))
        inconclusive.append(f"the run at η = {etas[bad]:.3g} left the finite range (diverged); "
                            f"lower lr to <= {max(lr / 4, 0.02):.3g}")
    elif not np.all(sigma > 0):
        inconclusive.append("the output Jacobian lost full row rank (σ_min(JJᵀ) <= 0): the natural-gradient flow "
                            "is not defined there; raise width to >= 16 or lower n to <= 8")
    elif d[-1] <= roundoff:
        inconclusive.append(f"D(η_min) = {d[-1]:.3g} is at round-off (<= {roundoff:.3g}); raise steps to >= "
                            f"{min(2 * config.steps, 40)} or kappa to >= {min(10 * float(data.get('kappa', config.kappa)), 100):g}")
    elif floor > FLOOR_SHARE * d[-1]:
        target = FLOOR_SHARE * d[-1] * float(data["damping"]) / floor
        inconclusive.append(f"the damping floor D_λ = {floor:.3g} exceeds {FLOOR_SHARE:g}·D(η_min) = "
                            f"{FLOOR_SHARE * d[-1]:.3g}; lower damping to <= {target:.2g}")
    low, high = last - correction, last + correction
    limit = float(2.0 * d[-1] - d[-2])
    details.update(richardson_limit=limit, richardson_limit_relative=limit / float(d[-1]))
    if not inconclusive:
        if high < 1.0 - BAND or low > 1.0 + BAND:
            failed.append(
                f"not invariant: the log-log slope of the function-space distance D(η) is {last:.3f} "
                f"(limit in [{low:.3f}, {high:.3f}]), outside 1 ± {BAND}; the η → 0 limit "
                f"2D(η_min) − D(2η_min) = {limit:.3g} ({limit / d[-1]:.2f}·D(η_min)) under {claim}")
        elif low < 1.0 - BAND or high > 1.0 + BAND:
            remedy = (f"lower lr to <= {lr / 4:.3g}" if lr / 4 >= LR_LOW else
                      f"raise ladder to >= {min(config.ladder + 2, LADDER_HIGH)}" if config.ladder < LADDER_HIGH else
                      f"lower lr to {LR_LOW:g}" if lr > LR_LOW else
                      "no remedy inside the ranges: at every admissible step size the run is outside the "
                      "asymptotic regime (raise n or lower kappa)")
            inconclusive.append(
                f"the ladder is not yet asymptotic: the last slope {last:.3f} ± {correction:.3f} straddles the band "
                f"1 ± {BAND}; {remedy}")
    error = abs(last - 1.0) + correction
    outcome, reason = decide(error, BAND, fail_reasons=failed, inconclusive_reasons=inconclusive,
                             what="slope deviation |s − 1| + c")
    if outcome == "fail" and not failed:
        reason = f"not invariant: {reason}"
    oracle = bounds.natural_gradient_flow_outputs(np.asarray(arrays[f"{claim}_w"])[0, 0], y, times)
    details["oracle_distance_finest"] = {
        name: float(np.max(np.sqrt(np.mean((np.asarray(arrays[f"{claim}_{name}"])[-1] - oracle) ** 2, axis=-1))))
        for name in ("w", "v")}
    out = {"distances": d, "step_sizes": etas, "oracle": oracle, **{k: np.asarray(v) for k, v in arrays.items()}}
    for other in OPTIMIZERS:
        if other != claim and f"{other}_w" in arrays:
            other_d = distances(arrays[f"{other}_w"], arrays[f"{other}_v"])
            out[f"distances_{other}"] = other_d
            details[f"distances_{other}"] = [float(v) for v in other_d]
            details[f"pair_slopes_{other}"] = [float(s) for s in slope_range(other_d)[0]]
    return Result(predicted=1.0, measured=last, error=error, tolerance=BAND, outcome=outcome, reason=reason,
                  arrays=out, details=details)


def plot(config: NaturalGradientInvarianceConfig, result: Result, path) -> None:
    a = result.arrays
    fig, axes = figure(1, 1, figsize=(6.4, 4.2))
    ax = axes[0, 0]
    etas = np.asarray(a["step_sizes"])
    for name in OPTIMIZERS:
        series = a["distances"] if name == config.optimizer else a.get(f"distances_{name}")
        if series is not None:
            ax.loglog(etas, series, "o-", label=f"{name.upper()}: D(η)")
    d = np.asarray(a["distances"])
    if np.all(np.isfinite(d)) and d[-1] > 0:
        for s, style in ((1 - BAND, ":"), (1.0, "--"), (1 + BAND, ":")):
            ax.loglog(etas, d[-1] * (etas / etas[-1]) ** s, "k" + style, lw=0.8,
                      label=f"slope {s:g}" if s == 1.0 else None)
    ax.set_xlabel("step size η (same time T)")
    ax.set_ylabel("max_t rms |f_w − f_v|")
    ax.set_title(f"w vs c⊙sinh(v), κ = {config.kappa:g}: {result.outcome.upper()}")
    ax.legend(fontsize=8)
    fig.savefig(path, dpi=110)


def plot_sweep(rows, path) -> None:
    """The last pair slope of each record against its largest step size, per optimizer, with the band."""
    fig, axes = figure(1, 1, figsize=(6.4, 4.2))
    ax = axes[0, 0]
    for name in OPTIMIZERS:
        mine = [r for r in rows if r["config"].get("optimizer") == name and r.get("details")]
        if mine:
            ax.semilogx([r["config"]["lr"] for r in mine], [r["details"].get("slope_last", np.nan) for r in mine],
                        "o", label=name.upper())
    ax.axhspan(1 - BAND, 1 + BAND, color="g", alpha=0.15, label=f"1 ± {BAND}")
    ax.axhline(0.0, color="k", lw=0.6)
    ax.set_xlabel("largest step size lr")
    ax.set_ylabel("last pair slope of D(η)")
    ax.legend(fontsize=8)
    fig.savefig(path, dpi=110)


CHECK = register(
    Check(
        name="natural_gradient_invariance",
        statement="Natural-gradient descent in w and in w = c⊙sinh(v) traces the same functions up to O(η) over a "
                  "fixed time (log-log slope of the distance 1 ± 0.25): the flow is invariant; GD's is not.",
        source="Amari 1998; Martens, JMLR 2020 (arXiv:1412.1193); van Oostrum, Müller & Ay 2022; issue 18",
        config_type=NaturalGradientInvarianceConfig,
        run=None,
        plot=plot,
        negative_controls=({"optimizer": "gd"},),
        needs_x64=True,
        figure_keys=("compare",),
        quick={"compare": False, "ladder": 3, "steps": 5, "lr": 0.05},
        data_keys=("lr", "damping", "kappa"),
        slow_corners=("steps=high", "ladder=high", "width=high", "n=high", "compare=true", "width=low", "n=low"),
        simulate=simulate,
        verdict=verdict,
        plot_sweep=plot_sweep,
    )
)
