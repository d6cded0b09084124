"""Global convergence of GD on wide two-layer ReLU nets, and the stability of their NTK Gram matrix.

**Statement.** Du, Zhai, Póczos, Singh, "Gradient Descent Provably Optimizes Over-parameterized
Neural Networks", ICLR 2019, arXiv:1810.02054 (shared/THEORY.md §8). For
u(x) = (1/√m) Σ_r a_r ReLU(w_rᵀx) with a_r ∈ {±1} fixed and w_r(0) ~ N(0, I), unit inputs of
which no two are parallel, and the loss L = ½Σᵢ(uᵢ − yᵢ)² (a sum) minimised over W by GD with
step η: if m = Ω(n⁶/(λ₀⁴δ³)) and η = O(λ₀/n²), then with probability 1 − δ,
L(k) ≤ (1 − ηλ₀/2)^k L(0) for every k, where λ₀ = λ_min(H∞) > 0 and
H∞_ij = x_iᵀx_j(π − arccos x_iᵀx_j)/(2π) (:func:`bounds.du19_gram_infinite`, derived there).
The proof rests on three width scalings: ‖H(0) − H∞‖ = O(1/√m) (concentration), every w_r moves
O(1/√m) (R' = 4√n‖y − u(0)‖/(√m λ₀)) and so ‖H(k) − H(0)‖ = O(1/√m); the residual therefore
follows the discrete-time linear prediction r(k) = (I − ηH∞)^k r(0)
(:func:`bounds.linearized_gd_residuals`) ever more closely as m grows. The abstract (setting,
linear rate, "no two inputs are parallel") was checked against the paper's public text; the
theorem's constants are THEORY.md's recollection [M], which is why the check tests the rate bound
and the exponents, not the width requirement m = Ω(n⁶…) (far above any width run here, and
known to be loose).

**Setup** (THEORY.md §8's cheap check, at widths 1024–32768). n = 10 unit vectors in d = 5 and y ~ N(0, 1) (key), a
Rademacher, float64. For each width in ``widths``: :func:`dynamics.gradient_descent` with
:func:`dynamics.plain_sgd` (η = ``lr`` is data: a sweep is one ``vmap``) on W only, the residual
u(k) − y recorded every step, ``replicates`` independent initialisations per width (one ``vmap``);
the Gram matrices H(0), H(T) by :func:`dynamics.empirical_ntk`
(Jacobian contraction, independent of the closed form); the largest weight movement
max_r ‖w_r(T) − w_r(0)‖.

**Criteria and tolerances.** (1) The rate bound at every step and every width ≥ ``RATE_WIDTH``
= 1024 (THEORY.md §8's test (i); below that the theorem's width hypothesis is too far off to
claim it): ``error`` = max_k L(k)/((1 − ηλ₀/2)^k L(0)) − 1 ≤ 1e-9 (slack for float64 rounding of
L, ~1e-15 relative, plus margin). (2) Global convergence: at the largest width the loss reaches
≤ 1e-6·L(0) within ``steps``. A loss that stalls above that (less than 10% decrease over the last
20% of the steps) is a plateau: a ``fail`` when the rate bound itself (or λ₀ = 0) says it cannot
be a slow linear decay, else the run is ``inconclusive`` (raise steps). (3) Exponents: the
least-squares log-log slopes against m of ‖H(0) − H∞‖₂, ‖H(T) − H(0)‖₂ and max_r ‖w_r(T) − w_r(0)‖
(each averaged over the replicates: a single draw of ‖H(0) − H∞‖ is noisy enough to give a slope
of −0.28 on one seed of four) lie in [−0.65, −0.35]. A slope outside the band fails only when it
lies more than 3 standard errors from it; the standard error is the slope's own, propagated from
the replicates' spread at each width (:func:`_slope_se`, delta method). Nearer, the run is
``inconclusive`` and names the replicates that would decide it (``falsify`` found a concentration
slope of −0.31 at the quick widths 1024–8192, seed 907558447: 0.04 from the band, within its
3·SE). The widths start at 1024: from m = 256 the
Gram drift is still pre-asymptotic for some data (seed 27: 0.080 → 0.065 from m = 256 to 1024,
slope −0.33 over 256–16384 although −0.47 over 1024–65536); over 1024–32768 with 4 replicates,
15 seeds gave slopes in [−0.60, −0.41] (concentration), [−0.60, −0.47] (drift), [−0.53, −0.46]
(movement), [−0.58, −0.44] (linearisation deviation) (the theorem's −1/2; the band is THEORY.md §8's, fixed before these runs;
measured −0.49/−0.53/−0.53 there). (4) Linearisation: the deviation max_k ‖r(k) − r_lin(k)‖/‖r(0)‖
has a negative log-log slope against m.

**Asymptotic regime.** The exponents (3) and the trend (4) are fitted on the widths ≥ 1024 only;
with fewer than 3 distinct such widths they are reported but not judged, and the run is
``inconclusive`` ("widths too small for the asymptotic rate; raise widths ..."): a width of 16 in
the fit gave a weight-movement slope of −0.66 (widths 16/2048/4096, seed 314), a false fail.
Likewise a divergence or a plateau is judged only at widths ≥ 1024 (a width-16 net's own Gram
matrix can exceed 2/η where H∞'s does not). A decided violation of the rate bound fails even
where another criterion is undecided (before, "still falling" hid it). A remedy that would need
more than 20 000 steps names lr instead.

**Negative controls.** ``duplicate_inputs=true``: the last input repeats the first with label
y₁ + 1, so two inputs are parallel, λ₀ = 0 and the loss plateaus at (y₁ − y_n)²/4 = 1/4: GD does
not reach zero loss (criterion 2 fails). ``lr=4.5`` > 4 ≥ 2/λ_max(H∞) (λ_max ≥ the mean diagonal
1/2): the linearised dynamics is unstable, GD diverges, and the rate bound fails. The same
hypothesis (η = O(λ₀/n²)) is broken, without divergence, above η* = (2λ_max − λ₀/2)/λ_max²,
where the linear prediction's own top mode decays slower than (1 − ηλ₀/2)^{k/2}: there the rate
bound fails as under the lr control (e.g. η = 1.65 with 2/λ_max = 1.67, seed 292), a decided
failure of the claim outside its step-size hypothesis, not an undecided run.
"""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from theorycheck import bounds
from theorycheck import dynamics
from theorycheck import models
from theorycheck._check import Check, Result, config_field, decide, register

from ._common import figure

N, D = 10, 5
RATE_WIDTH = 1024  # the rate bound is claimed from this width on (THEORY.md §8 test (i))
SLOPE_WIDTH = 1024  # the m^(-1/2) exponents are fitted on widths from here on (below: pre-asymptotic)
STEPS_MAX = 20_000  # the top of the steps range: a remedy asks for no more
RATE_SLACK = 1e-9
ZERO_LOSS = 1e-6  # "zero loss": L(T) ≤ 1e-6·L(0)
SLOPE_BAND = (-0.65, -0.35)
REPLICATES_MAX = 64
STALL = (0.2, 0.9)  # a plateau: over the last 20% of steps the loss fell by less than 10%


@dataclasses.dataclass(frozen=True)
class GdGlobalConvergenceConfig:
    widths: tuple = config_field((1024, 2048, 4096, 8192, 16384, 32768), low=16, high=262_144,
                                 help="hidden widths m (>= 3 distinct >= 1024 for the log-log slopes and the rate bound; smaller ones are reported, not judged)")
    lr: float = config_field(0.4, low=1e-3, high=5.0, help="GD step size η (the loss is a sum over the 10 samples)")
    steps: int = config_field(400, low=10, high=STEPS_MAX, help="GD steps T")
    replicates: int = config_field(4, low=4, high=64,
                                   help="independent initialisations per width (the slopes fit the mean over them)")
    duplicate_inputs: bool = config_field(False, help="repeat the first input with another label (λ₀ = 0): negative control")

    def validate(self):
        if len(set(self.widths)) < 3:
            raise ValueError(f"config key 'widths' needs >= 3 distinct widths for the log-log slopes, got {self.widths}")


def _data(config: GdGlobalConvergenceConfig, key):
    key_x, key_y = jax.random.split(key)
    x = jax.random.normal(key_x, (N, D))
    x = x / jnp.linalg.norm(x, axis=1, keepdims=True)
    y = jax.random.normal(key_y, (N,))
    if config.duplicate_inputs:
        x = x.at[-1].set(x[0])
        y = y.at[-1].set(y[0] + 1.0)
    return x, y


def _one_width(width: int, x, y, lr, steps: int, key):
    key_w, key_a, key_run = jax.random.split(key, 3)
    with jax.ensure_compile_time_eval():  # the model's argument checks need concrete values
        net = models.two_layer(D, width, parameterization="ntk")
    a = jax.random.rademacher(key_a, (width,), dtype=x.dtype)
    w0 = jax.random.normal(key_w, (D, width))

    def predict(w, inputs):
        return net.apply({"w": w, "a": a}, inputs)

    def loss(w):
        return 0.5 * jnp.sum((predict(w, x)[:, 0] - y) ** 2)

    run = dynamics.gradient_descent(
        loss, dynamics.plain_sgd(lr), num_steps=steps, every=1,
        observers={"residual": dynamics.stateless(lambda w, key: predict(w, x)[:, 0] - y)},
    )
    trajectory = run(w0, key_run)
    w_final = trajectory.final_params
    return {
        "residuals": trajectory.observations["residual"],
        "gram_initial": dynamics.empirical_ntk(predict, w0, x),
        "gram_final": dynamics.empirical_ntk(predict, w_final, x),
        "max_movement": jnp.max(jnp.linalg.norm(w_final - w0, axis=0)),
        "diverged_at": trajectory.diverged_at,
    }


def simulate(config: GdGlobalConvergenceConfig, data, key):
    key_data, key_runs = jax.random.split(key)
    x, y = _data(config, key_data)
    runs = [
        jax.vmap(lambda k, m=m: _one_width(m, x, y, data["lr"], config.steps, k))(jax.random.split(k, config.replicates))
        for m, k in zip(config.widths, jax.random.split(key_runs, len(config.widths)))
    ]  # per width: a leading replicate axis
    return {"x": x, "y": y, **{name: jnp.stack([r[name] for r in runs]) for name in runs[0]}}


SLOPE_Z = 3.0  # a slope outside the band fails only when it is farther than 3 standard errors from it


def _slope_se(widths, per_replicate) -> float:
    """The standard error of the log-log slope fitted to the replicate means.

    The slope is linear in the log-means, s = Σᵢ cᵢ log ȳᵢ with cᵢ = (xᵢ − x̄)/Σⱼ(xⱼ − x̄)² and
    x = log m; the mean of R replicates has var(log ȳᵢ) ≈ varᵢ/(R ȳᵢ²) (delta method), so
    SE² = Σᵢ cᵢ² varᵢ/(R ȳᵢ²). NaN where fewer than 2 replicates or non-positive values."""
    values = np.asarray(per_replicate, dtype=float)
    if values.ndim != 2 or values.shape[1] < 2 or not np.all(np.isfinite(values) & (values > 0)):
        return float("nan")
    x = np.log(np.asarray(widths, dtype=float))
    c = (x - x.mean()) / np.sum((x - x.mean()) ** 2)
    mean = values.mean(axis=1)
    var_log = values.var(axis=1, ddof=1) / (values.shape[1] * mean**2)
    return float(np.sqrt(np.sum(c**2 * var_log)))


def _slope(widths, values) -> float:
    values = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(values) & (values > 0)):
        return float("nan")
    return float(np.polyfit(np.log(widths), np.log(values), 1)[0])


def verdict(config: GdGlobalConvergenceConfig, data, arrays) -> Result:
    lr = float(data["lr"])
    widths = np.asarray(config.widths, dtype=float)
    order = np.argsort(widths)
    widths = widths[order]
    x, y = arrays["x"], arrays["y"]
    gram_inf = bounds.du19_gram_infinite(x)
    spectrum = np.linalg.eigvalsh(gram_inf)
    lam0, lam_max = float(spectrum[0]), float(spectrum[-1])
    replicates = config.replicates
    residuals = arrays["residuals"][order]  # (widths, replicates, T+1, n)
    flat_res = residuals.reshape(-1, *residuals.shape[2:])  # every run: (widths·replicates, T+1, n)
    with np.errstate(over="ignore"):  # a diverging run (the lr control) overflows here: inf is its loss
        losses = 0.5 * np.sum(flat_res**2, axis=2)
    diverged_at = arrays["diverged_at"][order].reshape(-1)
    run_widths = np.repeat(widths, replicates)
    failed, inconclusive = [], []

    # (1) the rate bound, at every step, for every width >= RATE_WIDTH
    bound = np.stack([bounds.du19_loss_bound(max(lam0, 0.0), lr, l[0], config.steps) for l in losses])
    with np.errstate(invalid="ignore", over="ignore"):
        ratio = np.where(np.isfinite(losses), losses / bound, np.inf)
    ratio = np.where((diverged_at[:, None] >= 0) & ~np.isfinite(losses), np.inf, ratio)
    claimed = run_widths >= RATE_WIDTH
    if not claimed.any():
        inconclusive.append(f"no width >= {RATE_WIDTH}, where the rate bound is claimed; add one to widths")
        error = float("nan")
    else:
        error = float(np.max(ratio[claimed][:, 1:])) - 1.0  # k = 0 is 1 by construction
    for m, at in zip(run_widths, diverged_at):
        if at >= 0 and m >= RATE_WIDTH:  # below RATE_WIDTH nothing is claimed
            failed.append(f"GD diverged at step {int(at)} at width {int(m)} (η = {lr:g}, 2/λ_max(H∞) = {2 / lam_max:.3g})")
            break

    # (2) global convergence (zero loss) at the largest width (the slowest of its replicates)
    largest = losses[-replicates:]
    last = largest[np.argmax(largest[:, -1] / largest[:, 0])]
    final_ratio = float(last[-1] / last[0]) if np.isfinite(last[-1]) else float("inf")
    start = int((1.0 - STALL[0]) * config.steps)
    window_bound = (1.0 - lr * max(lam0, 0.0) / 2.0) ** (config.steps - start)
    stalled = bool(np.isfinite(last[-1]) and last[-1] >= STALL[1] * last[start])
    lam0_zero = lam0 <= 1e3 * N * np.finfo(float).eps
    if np.isfinite(last[-1]) and final_ratio > ZERO_LOSS and not failed and widths[-1] >= RATE_WIDTH:
        if stalled and (lam0_zero or window_bound < STALL[1]):
            failed.append(
                f"the loss plateaus at {last[-1]:.4g} = {final_ratio:.3g}·L(0) at width {int(widths[-1])} "
                f"(λ₀ = {lam0:.3g}{': two inputs are parallel' if lam0_zero else ''}): GD does not reach zero loss")
        else:
            per_step = (last[-1] / last[start]) ** (1.0 / max(config.steps - start, 1))
            needed = (config.steps + int(np.ceil(np.log(ZERO_LOSS / final_ratio) / np.log(per_step)))
                      if 0.0 < per_step < 1.0 else None)
            inconclusive.append(
                f"the loss is at {final_ratio:.3g}·L(0) after {config.steps} steps, still falling; "
                + (f"raise steps to >= {needed}" if needed and needed <= STEPS_MAX else
                   f"raise steps (to the range's {STEPS_MAX}) and lr (the bound's rate is 1 − ηλ₀/2 per step, "
                   f"λ₀ = {lam0:.3g})"))

    # (3) exponents: Gram concentration, Gram drift, weight movement
    gram0, gram_t = arrays["gram_initial"][order], arrays["gram_final"][order]  # (widths, replicates, n, n)
    per_replicate = {"gram_concentration": np.linalg.norm(gram0 - gram_inf, ord=2, axis=(2, 3)),
                     "gram_drift": np.linalg.norm(gram_t - gram0, ord=2, axis=(2, 3)),
                     "weight_movement": np.asarray(arrays["max_movement"][order], dtype=float)}
    concentration, drift, movement = (np.mean(per_replicate[k], axis=1)
                                      for k in ("gram_concentration", "gram_drift", "weight_movement"))
    # the exponents are asymptotic: fitted on the widths >= SLOPE_WIDTH only (docstring)
    fit = widths >= SLOPE_WIDTH
    asymptotic = len(np.unique(widths[fit])) >= 3
    if not asymptotic:
        inconclusive.append(
            f"widths too small for the asymptotic rate: the m^(−1/2) exponents are fitted on widths >= {SLOPE_WIDTH} "
            f"only (below, the Gram drift is pre-asymptotic), and {len(np.unique(widths[fit]))} of the widths are; "
            f"raise widths to >= 3 distinct values >= {SLOPE_WIDTH} (e.g. 1024,2048,4096)")
        fit = np.ones_like(fit)  # reported, not judged
    slopes = {"gram_concentration": _slope(widths[fit], concentration[fit]), "gram_drift": _slope(widths[fit], drift[fit]),
              "weight_movement": _slope(widths[fit], movement[fit])}
    slope_se = {name: _slope_se(widths[fit], per_replicate[name][fit]) for name in slopes}
    if not failed and asymptotic:
        for name, s in slopes.items():
            if SLOPE_BAND[0] <= s <= SLOPE_BAND[1]:
                continue
            distance = SLOPE_BAND[0] - s if s < SLOPE_BAND[0] else s - SLOPE_BAND[1]
            se = slope_se[name]
            if not np.isfinite(s) or not distance <= SLOPE_Z * se:  # decided (a NaN SE cannot excuse it)
                failed.append(f"log-log slope of {name.replace('_', ' ')} against width {s:.3g} outside "
                              f"{list(SLOPE_BAND)} by {distance:.3g} > {SLOPE_Z:g} standard errors ({se:.2g})")
            else:
                needed = int(np.ceil(config.replicates * (SLOPE_Z * se / distance) ** 2)) + 1
                inconclusive.append(
                    f"log-log slope of {name.replace('_', ' ')} against width {s:.3g} lies outside {list(SLOPE_BAND)} "
                    f"by {distance:.3g}, within {SLOPE_Z:g} standard errors ({se:.2g}, from "
                    f"{config.replicates} replicates): "
                    + (f"raise replicates to >= {needed}" if needed <= REPLICATES_MAX else
                       f"raise replicates (to the range's {REPLICATES_MAX}) and widths"))

    # (4) the discrete-time linear prediction
    with np.errstate(over="ignore", invalid="ignore"):
        deviation = np.array([np.mean([
            np.max(np.linalg.norm(r - bounds.linearized_gd_residuals(gram_inf, r[0], lr, config.steps), axis=1))
            / np.linalg.norm(r[0]) for r in per_width]) for per_width in residuals])
    slopes["linearization_deviation"] = _slope(widths[fit], deviation[fit])
    if not failed and asymptotic and not slopes["linearization_deviation"] < 0:
        failed.append(f"the residual does not approach (I − ηH∞)^k r(0) as width grows: log-log slope "
                      f"{slopes['linearization_deviation']:.3g} >= 0")

    if failed or error > RATE_SLACK:  # a decided violation fails, whatever else is undecided
        inconclusive = []
    outcome, reason = decide(error, RATE_SLACK, fail_reasons=failed, inconclusive_reasons=inconclusive,
                             what="max over k and widths >= 1024 of L(k)/((1 − ηλ₀/2)^k L(0)) − 1")
    details = {
        "lambda0": lam0, "lambda_max": lam_max, "stable_lr_limit": 2.0 / lam_max,
        "final_loss_ratio_per_width": [float(np.max(l[:, -1] / l[:, 0])) for l in losses.reshape(len(widths), replicates, -1)],
        "bound_at_T": float((1.0 - lr * max(lam0, 0.0) / 2.0) ** config.steps),
        **{f"slope_{k}": v for k, v in slopes.items()},
        **{f"slope_se_{k}": v for k, v in slope_se.items()},
        "gram_concentration": concentration.tolist(), "gram_drift": drift.tolist(),
        "weight_movement": movement.tolist(), "linearization_deviation": deviation.tolist(),
    }
    return Result(
        predicted=-0.5,
        measured=slopes["gram_drift"],
        error=error,
        tolerance=RATE_SLACK,
        outcome=outcome,
        reason=reason,
        arrays={"x": x, "y": y, "widths": widths, "gram_infinite": gram_inf,
                "losses": losses.reshape(len(widths), replicates, -1), "rate_bound": bound.reshape(len(widths), replicates, -1),
                "gram_initial": gram0, "gram_final": gram_t, "gram_concentration": concentration,
                "gram_drift": drift, "weight_movement": movement, "linearization_deviation": deviation,
                "residuals": residuals},
        details=details,
    )


def plot(config: GdGlobalConvergenceConfig, result: Result, path) -> None:
    """The loss of every run, normalised by L(0), against the rate bound (1 − ηλ₀/2)^k (the same
    curve for every run after normalising); the verdict's ratio L(k)/bound(k), which must stay
    ≤ 1 for m ≥ 1024; and the log-log width scalings with their fitted slopes."""
    a = result.arrays
    fig, axes = figure(1, 3, figsize=(18, 4.4))
    ax = axes[0, 0]
    steps = np.arange(a["losses"].shape[2])
    for i, (m, loss) in enumerate(zip(a["widths"], a["losses"])):
        for j, run in enumerate(loss):
            ax.semilogy(steps, run / run[0], lw=1.0, color=f"C{i % 10}", alpha=0.7,
                        label=f"m = {int(m)}" if j == 0 else None)
    bound = a["rate_bound"][-1, 0]
    ax.semilogy(steps, bound / bound[0], "k--", lw=1.2, label="(1 − ηλ₀/2)^k")
    ax.set_xlabel("step k")
    ax.set_ylabel("L(k)/L(0)  (all replicates)")
    ax.set_title(f"GD on wide two-layer ReLU nets (η = {config.lr:g}, λ₀ = {result.details['lambda0']:.3g}): "
                 f"{result.outcome.upper()}", fontsize=9)
    ax.legend(fontsize=7)
    ax = axes[0, 1]
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        ratio = np.max(a["losses"] / a["rate_bound"], axis=1)  # (widths, T+1): the worst replicate
    for i, (m, r) in enumerate(zip(a["widths"], ratio)):
        ax.semilogy(steps, r, lw=1.0, color=f"C{i % 10}", ls="-" if m >= RATE_WIDTH else ":", label=f"m = {int(m)}")
    ax.axhline(1.0, color="k", lw=1)
    ax.set_xlabel("step k")
    ax.set_ylabel("max over replicates of L(k) / ((1 − ηλ₀/2)^k L(0))")
    ax.set_title(f"rate bound: ≤ 1 + {RATE_SLACK:g} claimed for m ≥ {RATE_WIDTH} (dotted: below)", fontsize=9)
    ax.legend(fontsize=7)
    ax = axes[0, 2]
    for name, marker in (("gram_concentration", "o"), ("gram_drift", "s"), ("weight_movement", "^"),
                         ("linearization_deviation", "v")):
        ax.loglog(a["widths"], a[name], marker + "-", label=f"{name.replace('_', ' ')} "
                  f"(slope {result.details['slope_' + name]:.2f})")
    ax.loglog(a["widths"], a["gram_drift"][0] * (a["widths"] / a["widths"][0]) ** -0.5, "k:", label="m^(−1/2)")
    ax.set_xlabel("width m")
    ax.set_title("‖H(0) − H∞‖₂, ‖H(T) − H(0)‖₂, max_r‖w_r(T) − w_r(0)‖ (replicate means)", fontsize=9)
    ax.legend(fontsize=7)
    fig.savefig(path, dpi=110)


def plot_sweep(rows, path) -> None:
    """From ``theorycheck sweep gd_global_convergence --grid lr=... --seeds S``: the Gram
    concentration ‖H(0) − H∞‖₂ and drift ‖H(T) − H(0)‖₂ against width (log-log, one line per run,
    the slope band's m^(−1/2) reference), and the loss reached at the largest width, L(T)/L(0),
    against η beside the rate bound (1 − ηλ₀/2)^T of the same run."""
    fig, axes = figure(1, 3, figsize=(18, 4.4))
    lrs = sorted({r["config"]["lr"] for r in rows})
    colours = {lr: f"C{i % 10}" for i, lr in enumerate(lrs)}
    for ax, name, title in ((axes[0, 0], "gram_concentration", "‖H(0) − H∞‖₂"),
                            (axes[0, 1], "gram_drift", "‖H(T) − H(0)‖₂")):
        shown = set()
        for r in rows:
            values = r["details"].get(name)
            if not values or any(v is None for v in values):
                continue
            widths = np.sort(np.asarray(r["config"]["widths"], dtype=float))
            lr = r["config"]["lr"]
            ax.loglog(widths, values, "o-", ms=3, lw=1, alpha=0.7, color=colours[lr],
                      label=None if lr in shown else f"η = {lr:g}")
            shown.add(lr)
            reference = (widths, values[0] * (widths / widths[0]) ** -0.5)
        if shown:
            ax.loglog(*reference, "k:", lw=1.2, label="m^(−1/2)")
        slopes = [r["details"].get(f"slope_{name}") for r in rows]
        slopes = [v for v in slopes if v is not None]
        ax.set_xlabel("width m")
        ax.set_ylabel(f"{title} (mean over replicates)")
        ax.set_title(f"{title}: fitted slopes {min(slopes):.2f} … {max(slopes):.2f} (band {list(SLOPE_BAND)})"
                     if slopes else title, fontsize=9)
        ax.legend(fontsize=7)
    ax = axes[0, 2]
    for r in rows:
        d = r["details"]
        final = d.get("final_loss_ratio_per_width") or [None]
        if final[-1] is None or d.get("bound_at_T") is None:
            continue
        colour = colours[r["config"]["lr"]]
        ax.semilogy(r["config"]["lr"], final[-1], "o", color=colour, alpha=0.7)
        ax.semilogy(r["config"]["lr"], max(d["bound_at_T"], 1e-300), "_", color="k", ms=14)
    ax.plot([], [], "ko", label="L(T)/L(0), largest width (worst replicate)")
    ax.plot([], [], "k_", ms=14, label="(1 − ηλ₀/2)^T")
    ax.set_xlabel("step size η")
    ax.set_ylabel("loss ratio at step T")
    passed = sum(r["outcome"] == "pass" for r in rows)
    ax.set_title(f"rate bound at T: {passed}/{len(rows)} runs pass", fontsize=9)
    ax.legend(fontsize=7)
    fig.savefig(path, dpi=110)

CHECK = register(
    Check(
        name="gd_global_convergence",
        statement="GD on a wide two-layer ReLU net reaches zero loss at rate (1 − ηλ₀/2)^k; its Gram matrix "
                  "concentrates and drifts, and its weights move, as m^(−1/2).",
        source="Du, Zhai, Póczos, Singh, ICLR 2019, arXiv:1810.02054 (shared/THEORY.md §8)",
        config_type=GdGlobalConvergenceConfig,
        run=None,
        plot=plot,
        negative_controls=({"duplicate_inputs": True}, {"lr": 4.5}),
        needs_x64=True,
        quick={"widths": (1024, 2048, 4096, 8192)},
        slow_corners=("steps=high", "replicates=high"),
        data_keys=("lr",),
        simulate=simulate,
        verdict=verdict,
        plot_sweep=plot_sweep,
    )
)
