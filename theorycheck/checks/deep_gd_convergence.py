"""GD on a deep over-parameterised ResNet: linear convergence, and a Gram matrix whose drift
falls with width and does not grow with depth (the plain deep net's does).

**Statement.** Du, Lee, Li, Wang, Zhai, "Gradient Descent Finds Global Minima of Deep Neural
Networks", ICML 2019, arXiv:1811.03804 (shared/THEORY.md §8, "deep version"). For the ResNet
x⁽¹⁾ = √(c_σ/m)σ(W⁽¹⁾x), x⁽ʰ⁾ = x⁽ʰ⁻¹⁾ + (c_res/(H√m))σ(W⁽ʰ⁾x⁽ʰ⁻¹⁾) (h = 2…H), u = aᵀx⁽ᴴ⁾
(:func:`models.residual_mlp`), all weights N(0, 1), a smooth Lipschitz σ, unit inputs and the
loss L = ½Σᵢ(uᵢ − yᵢ)²: if m ≥ poly(n, H, 1/λ) and η is small enough, then with high
probability L(k) ≤ (1 − ηλ/2)^k L(0), with λ the least eigenvalue of the Gram matrix of the last
layer, G⁽ᴴ⁾ᵢⱼ = ⟨∂uᵢ/∂W⁽ᴴ⁾, ∂uⱼ/∂W⁽ᴴ⁾⟩ (K⁽ᴴ⁾, its infinite-width limit, in the theorem).
The proof's engine is the Gram matrix's stability: every W⁽ʰ⁾ moves O(1/√m), so
‖G(k) − G(0)‖ = O(1/√m) (an upper bound), with constants that stay bounded in H for the
ResNet ((1 + c/H)^H ≤ e^c per forward/backward perturbation) but grow as 2^{O(H)} for the
plain deep net, whence widths poly(H) for the ResNet against 2^{O(H)} for the MLP.

**What was verified, what is recalled.** Verified with the ``search`` tool (corpus ``pages``):
the abstract (arXiv-vanity and pdfslide copies of arXiv:1811.03804v4): "gradient descent
achieves zero training loss in polynomial time for a deep over-parameterized neural network
with residual connections (ResNet)", "the Gram matrix is stable throughout the training
process and this stability implies the global optimality". The 1/H scaling of the residual
branch is corroborated by a later paper's abstract ("convergence of learning
over-parameterized ResNet with a scaling factor τ = 1/L on the residual branch where L is the
network depth"). NOT verified (the searchable copies stop before §5–6): the exact constants
of the width requirements (THEORY.md's [M] recollection: poly(n, 1/λ)·2^{O(H)} for the MLP,
poly(n, H, 1/λ) for the ResNet), the step size η = O(λ·H²/n²) and the form of K⁽ᴴ⁾. That is
why the check tests the rate bound with the *measured* finite-width G⁽ᴴ⁾(0) (a definition,
not a constant) and the exponents, never a width requirement.

**Which Gram matrix.** The rate bound uses λ_H = λ_min(G⁽ᴴ⁾(0)), the paper's matrix (at finite
width, init): GD's kernel is the full NTK G = Σ_h G⁽ʰ⁾ + G⁽ᵃ⁾ ⪰ G⁽ᴴ⁾ (a sum of PSD Grams), so
the bound with λ_H is the theorem's (weaker) form; λ_min(G(0)) of the full NTK
(:func:`dynamics.empirical_ntk`, all parameters trained) is reported and sets the step:
η = ``lr_fraction``·2/λ_max(G(0)) per run (the theorem's η is O(λ/n²); a fraction of the
stability limit keeps every depth and both architectures at the same place relative to it,
which a fixed η does not: the plain 8-layer tanh net's λ_max is ≈ 42 against ≈ 9 for the
ResNet, so η = 0.05 is stable for one and catapults the other).

**Setup.** n = 10 unit vectors in d = 5, y ~ N(0, 1), σ = tanh (smooth, Lipschitz, centred:
softplus's mean gives the Gram an all-ones mode with λ_max/λ_min ≈ 2000 and needs 10⁴ steps),
c_res = 1, float64. Two series, ``replicates`` initialisations each (one ``vmap``):
the widths ``widths`` at depth ``width_series_depth`` and the depths ``depths`` at width
``depth_series_width`` (a run in both is simulated once). Full-batch GD
(:func:`dynamics.gradient_descent`, :func:`dynamics.plain_sgd`) for ``steps`` steps, all layers.

**Criteria and tolerances.** (1) Rate: for every run, max_k L(k)/((1 − ηλ_H/2)^k L(0)) − 1
≤ 1e-9 (float64 rounding of L plus margin). (2) Zero loss: the slowest run reaches
L(T) ≤ 1e-4·L(0) (four decades: the rate itself is criterion (1)); a loss still falling is ``inconclusive`` naming the steps that would reach it
(at its own last-20% rate); one that stalls (< 10% decrease over the last 20%) with λ ≈ 0 fails.
(3) Width: the least-squares log-log slope of the relative Gram drift
‖G(T) − G(0)‖₂/‖G(0)‖₂ (mean over replicates) against m is ≤ −0.35: the proof's bound is
O(m^(−1/2)), an upper bound, so the derived claim is one-sided (the drift falls at least as
m^(−1/2); −0.35 is the −1/2 of gd_global_convergence's band with its 0.15 margin). With a
smooth activation the drift falls *faster*, as 1/m (the NTK's time derivative is O(1/m) for
smooth deep nets; Dyer & Gur-Ari 2020, Huang & Yau 2020, recalled, not verified): measured
−0.73 to −1.15 (below), so a two-sided band around −1/2 would fail a true statement.
(4) Depth: the log-log slope of the same relative drift against H at fixed width is ≤ 0.5.
Derivation: the ResNet's perturbation constants are bounded in H, so its drift at fixed m is
O(1) in H (slope ≤ 0 up to finite-H corrections); the plain net's grows with H (at least
linearly at H ≪ m, Hanin & Nica 2019, recalled; exponentially in the proof's bound). 0.5 is the
midpoint on the log scale between slope 0 (bounded) and 1 (linear): a slope ≤ 0.5 means the
width that holds the drift at a given level grows at most as H^{0.5/|width slope|} — mildly.
Slopes (3) and (4) beyond their edge fail only farther than 3 standard errors (delta method on
the replicates, as in gd_global_convergence); nearer they are ``inconclusive`` naming the
replicates needed. The exponent of the width needed for a fixed drift,
``width_needed_exponent`` = depth slope / |width slope|, is reported, not judged.

**Measured** (defaults: widths 64/128/256 at H = 4, depths 2/4/16 at m = 128, 6 replicates,
lr_fraction 0.5; steps 500 for these rows). ResNet: seed 0 width slope −0.76 (SE 0.13), depth
slope −0.10 (SE 0.10), slowest L(T)/L(0) 5.6e-5; seed 202 (depths 2/4/8) −0.73 / +0.01. Plain
net (skip=false): seed 0 depth slope 0.80 (SE 0.09), seed 101 1.12 (SE 0.06), relative drift
0.04 → 0.41 from H = 2 to 16 — both decided fails. With depths 2/4/8 the plain net's slope was
0.50 ± 0.17 and 0.97 ± 0.19 (undecided at 4–6 replicates): depth 16 is needed for the control
to separate at m = 128, which is why the default depth series reaches 16. Seed 303 at the
defaults (steps 600): −0.92 / −0.20, slowest L(T)/L(0) 7.8e-6. At lr_fraction 0.9
the ResNet's slowest run stalled near the stability limit (seed 202), hence 0.5.

**Range narrowed.** ``lr_fraction`` ≤ 0.75: the theorem assumes η small enough (η = O(λ/n²)),
and at lr_fraction 1.5 (beyond the stability limit 2/λ_max) the rate bound is violated 46-fold
(quick sizes, seed 0: a catapult, the width slope turns positive) — outside the hypothesis, not
a counterexample. Quick sizes, seed 0: 0.75 passes (width slope −0.96, depth slope −0.14).

**Negative control.** ``skip=false``: the same parameters without the identity path, x⁽ʰ⁾ =
√(c_σ/m)σ(W⁽ʰ⁾x⁽ʰ⁻¹⁾): its relative drift grows with H, and criterion (4) fails.

**Inconclusive.** ``duplicate_inputs=true`` repeats the first input with the label y₁ + 1: the
Gram matrix is singular (λ_min(G(0)) ≈ 0), the theorem's hypothesis fails, no rate is claimed
and the loss plateaus at 1/4. Not converged within ``steps`` (remedy with a number);
pre-asymptotic widths are not a concern of the one-sided criterion (3) but widths below 32
are outside the range.
"""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from theorycheck import dynamics
from theorycheck import models
from theorycheck._check import Check, Result, config_field, decide, register

from ._common import figure

N, D = 10, 5
ACTIVATION = "tanh"
RATE_SLACK = 1e-9
ZERO_LOSS = 1e-4
STALL = (0.2, 0.9)  # a plateau: over the last 20% of the steps the loss fell by less than 10%
STEPS_MAX = 4000
WIDTH_SLOPE_MAX = -0.35  # the drift falls at least as m^(-1/2) (the proof's bound, 0.15 margin)
DEPTH_SLOPE_MAX = 0.5  # midpoint between bounded (0) and linear (1) growth with H
SLOPE_Z = 3.0
REPLICATES_MAX = 32
SINGULAR = 1e-8  # λ_min(G(0)) <= SINGULAR·λ_max(G(0)): the Gram matrix is singular


@dataclasses.dataclass(frozen=True)
class DeepGdConvergenceConfig:
    widths: tuple = config_field((64, 128, 256), low=32, high=1024,
                                 help="widths m of the width series (>= 3 distinct), at depth width_series_depth")
    depths: tuple = config_field((2, 4, 16), low=2, high=16,
                                 help="depths H of the depth series (>= 3 distinct), at width depth_series_width")
    width_series_depth: int = config_field(4, low=2, high=16, help="the depth H of the width series")
    depth_series_width: int = config_field(128, low=32, high=1024, help="the width m of the depth series")
    lr_fraction: float = config_field(0.5, low=0.05, high=0.75,
                                      help="η = lr_fraction·2/λ_max(G(0)), per run (range narrowed to 0.75: "
                                           "the theorem needs η small)")
    steps: int = config_field(600, low=20, high=STEPS_MAX, help="GD steps T")
    replicates: int = config_field(6, low=3, high=REPLICATES_MAX, help="initialisations per (width, depth)")
    skip: bool = config_field(True, help="identity skip connections (false: the plain deep net, the negative control)")
    duplicate_inputs: bool = config_field(False, help="repeat the first input with another label (singular Gram)")

    def validate(self):
        for name in ("widths", "depths"):
            values = getattr(self, name)
            if len(set(values)) < 3:
                raise ValueError(f"config key {name!r} needs >= 3 distinct values for a log-log slope, got {values}")


def _data(config, key):
    key_x, key_y = jax.random.split(key)
    x = jax.random.normal(key_x, (N, D))
    x = x / jnp.linalg.norm(x, axis=1, keepdims=True)
    y = jax.random.normal(key_y, (N,))
    if config.duplicate_inputs:
        x = x.at[-1].set(x[0])
        y = y.at[-1].set(y[0] + 1.0)
    return x, y


def _one_run(width, depth, skip, x, y, lr_fraction, steps, key):
    key_init, key_run = jax.random.split(key)
    with jax.ensure_compile_time_eval():
        net = models.residual_mlp(D, width, depth, activation=ACTIVATION, skip=skip)
    params0 = net.init(key_init)

    def predict(params):
        return net.apply(params, x)[:, 0]

    def loss(params):
        return 0.5 * jnp.sum((predict(params) - y) ** 2)

    gram0 = dynamics.empirical_ntk(net.apply, params0, x)
    lr = lr_fraction * 2.0 / jnp.linalg.eigvalsh(gram0)[-1]
    run = dynamics.gradient_descent(loss, dynamics.plain_sgd(lr), num_steps=steps, every=1,
                                    observers={"residual": dynamics.stateless(lambda p, k: predict(p) - y)})
    trajectory = run(params0, key_run)

    def last_layer(w_last, inputs):
        return net.apply({"w": params0["w"][:-1] + [w_last], "a": params0["a"]}, inputs)

    return {"residuals": trajectory.observations["residual"], "lr": lr, "gram_initial": gram0,
            "gram_final": dynamics.empirical_ntk(net.apply, trajectory.final_params, x),
            "gram_last_layer": dynamics.empirical_ntk(last_layer, params0["w"][-1], x),
            "diverged_at": trajectory.diverged_at}


def simulate(config: DeepGdConvergenceConfig, data, key):
    key_data, key_runs = jax.random.split(key)
    x, y = _data(config, key_data)
    cache = {}

    def runs(width, depth):
        if (width, depth) not in cache:
            keys = jax.random.split(jax.random.fold_in(jax.random.fold_in(key_runs, width), depth), config.replicates)
            cache[(width, depth)] = jax.vmap(
                lambda k: _one_run(width, depth, config.skip, x, y, data["lr_fraction"], config.steps, k))(keys)
        return cache[(width, depth)]

    series = {"w": [runs(m, config.width_series_depth) for m in config.widths],
              "d": [runs(config.depth_series_width, h) for h in config.depths]}
    out = {"x": x, "y": y}
    for prefix, per in series.items():
        out.update({f"{prefix}_{name}": jnp.stack([r[name] for r in per]) for name in per[0]})
    return out


def _slope(xs, values) -> float:
    values = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(values) & (values > 0)):
        return float("nan")
    return float(np.polyfit(np.log(np.asarray(xs, dtype=float)), np.log(values), 1)[0])


def _slope_se(xs, per_replicate) -> float:
    """The standard error of the log-log slope of the replicate means (delta method; see
    gd_global_convergence._slope_se): SE² = Σᵢ cᵢ² varᵢ/(R ȳᵢ²), cᵢ = (xᵢ − x̄)/Σ(xⱼ − x̄)²."""
    values = np.asarray(per_replicate, dtype=float)
    if values.ndim != 2 or values.shape[1] < 2 or not np.all(np.isfinite(values) & (values > 0)):
        return float("nan")
    lx = np.log(np.asarray(xs, dtype=float))
    c = (lx - lx.mean()) / np.sum((lx - lx.mean()) ** 2)
    mean = values.mean(axis=1)
    var_log = values.var(axis=1, ddof=1) / (values.shape[1] * mean**2)
    return float(np.sqrt(np.sum(c**2 * var_log)))


def _series(arrays, prefix, order):
    """Per series: losses (points, R, T+1), rate-bound ratios, relative drifts (points, R), λs."""
    res = np.asarray(arrays[f"{prefix}_residuals"], dtype=float)[order]
    with np.errstate(over="ignore", invalid="ignore"):
        losses = 0.5 * np.sum(res**2, axis=-1)
    g0 = np.asarray(arrays[f"{prefix}_gram_initial"], dtype=float)[order]
    gt = np.asarray(arrays[f"{prefix}_gram_final"], dtype=float)[order]
    gh = np.asarray(arrays[f"{prefix}_gram_last_layer"], dtype=float)[order]
    lr = np.asarray(arrays[f"{prefix}_lr"], dtype=float)[order]
    spectrum = np.linalg.eigvalsh(g0)
    lam_h = np.maximum(np.linalg.eigvalsh(gh)[..., 0], 0.0)
    k = np.arange(losses.shape[-1])
    bound = losses[..., :1] * (1.0 - lr[..., None] * lam_h[..., None] / 2.0) ** k
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        ratio = np.where(np.isfinite(losses), losses / bound, np.inf)
        drift = np.linalg.norm(gt - g0, ord=2, axis=(-2, -1)) / np.linalg.norm(g0, ord=2, axis=(-2, -1))
    diverged = np.asarray(arrays[f"{prefix}_diverged_at"])[order] >= 0
    return {"losses": losses, "bound": bound, "ratio": ratio, "drift": drift, "lam_min": spectrum[..., 0],
            "lam_max": spectrum[..., -1], "lam_last_layer": lam_h, "lr": lr, "diverged": diverged}


def _judge_slope(name, slope, se, edge, replicates, failed, inconclusive, what):
    if slope <= edge:
        return
    distance = slope - edge
    if not np.isfinite(slope) or not distance <= SLOPE_Z * se:
        failed.append(f"{name}: log-log slope of the relative Gram drift against {what} {slope:.3g} > {edge:g} "
                      f"by {distance:.3g} > {SLOPE_Z:g} standard errors ({se:.2g})")
    else:
        needed = int(np.ceil(replicates * (SLOPE_Z * se / distance) ** 2)) + 1
        inconclusive.append(
            f"{name}: log-log slope of the relative Gram drift against {what} {slope:.3g} > {edge:g} by {distance:.3g}, "
            f"within {SLOPE_Z:g} standard errors ({se:.2g}): "
            + (f"raise replicates to >= {needed}" if needed <= REPLICATES_MAX
               else f"raise replicates (to the range's {REPLICATES_MAX})"))


def verdict(config: DeepGdConvergenceConfig, data, arrays) -> Result:
    widths_order = np.argsort(config.widths)
    depths_order = np.argsort(config.depths)
    widths = np.asarray(config.widths, dtype=float)[widths_order]
    depths = np.asarray(config.depths, dtype=float)[depths_order]
    w, d = _series(arrays, "w", widths_order), _series(arrays, "d", depths_order)
    failed, inconclusive = [], []

    # singular Gram: the hypothesis λ > 0 fails; nothing is claimed about the rate of zero loss
    lam_min = np.concatenate([w["lam_min"].ravel(), d["lam_min"].ravel()])
    lam_max = np.concatenate([w["lam_max"].ravel(), d["lam_max"].ravel()])
    singular = bool(np.any(lam_min <= SINGULAR * lam_max))
    if singular:
        inconclusive.append(
            f"the Gram matrix is singular (λ_min(G(0))/λ_max = {np.min(lam_min / lam_max):.2g} <= {SINGULAR:g}: two "
            "inputs coincide), outside the theorem's hypothesis λ > 0; set duplicate_inputs=false")

    # (1) the rate bound at every step of every run
    ratios = np.concatenate([w["ratio"].reshape(-1, w["ratio"].shape[-1]), d["ratio"].reshape(-1, d["ratio"].shape[-1])])
    error = float(np.max(ratios[:, 1:])) - 1.0
    if np.any(w["diverged"]) or np.any(d["diverged"]):
        failed.append(f"GD diverged (η = lr_fraction·2/λ_max = {config.lr_fraction:g}·2/λ_max)")

    # (2) zero loss: the slowest run
    losses = np.concatenate([w["losses"].reshape(-1, w["losses"].shape[-1]), d["losses"].reshape(-1, d["losses"].shape[-1])])
    with np.errstate(invalid="ignore", divide="ignore"):
        final = losses[:, -1] / losses[:, 0]
    slowest = losses[int(np.nanargmax(np.where(np.isfinite(final), final, -np.inf)))] if np.any(np.isfinite(final)) else None
    final_ratio = float(np.max(final)) if np.all(np.isfinite(final)) else float("inf")
    if slowest is not None and np.isfinite(final_ratio) and final_ratio > ZERO_LOSS and not failed:
        start = int((1.0 - STALL[0]) * config.steps)
        stalled = bool(slowest[-1] >= STALL[1] * slowest[start])
        if stalled and singular:
            inconclusive.append(f"the loss plateaus at {final_ratio:.3g}·L(0) (the singular Gram's residual mode)")
        else:
            per_step = (slowest[-1] / slowest[start]) ** (1.0 / max(config.steps - start, 1))
            needed = (config.steps + int(np.ceil(np.log(ZERO_LOSS / final_ratio) / np.log(per_step)))
                      if 0.0 < per_step < 1.0 else None)
            inconclusive.append(
                f"not converged: the slowest run's loss is at {final_ratio:.3g}·L(0) > {ZERO_LOSS:g} after "
                f"{config.steps} steps; "
                + (f"raise steps to >= {needed}" if needed and needed <= STEPS_MAX
                   else f"the loss stopped falling at the end (an oscillation near the stability limit): lower "
                        f"lr_fraction to {min(config.lr_fraction / 2, 0.5):g} and raise steps to "
                        f"{min(STEPS_MAX, 4 * config.steps)}"))

    # (3) width and (4) depth slopes of the relative drift
    slope_width = _slope(widths, w["drift"].mean(axis=1))
    slope_depth = _slope(depths, d["drift"].mean(axis=1))
    se_width, se_depth = _slope_se(widths, w["drift"]), _slope_se(depths, d["drift"])
    if not failed and not singular:
        _judge_slope("width", slope_width, se_width, WIDTH_SLOPE_MAX, config.replicates, failed, inconclusive, "width")
        _judge_slope("depth", slope_depth, se_depth, DEPTH_SLOPE_MAX, config.replicates, failed, inconclusive, "depth")

    if failed or error > RATE_SLACK:  # a decided violation fails, whatever else is undecided
        inconclusive = []
    outcome, reason = decide(error, RATE_SLACK, fail_reasons=failed, inconclusive_reasons=inconclusive,
                             what="rate: max over runs and k of L(k)/((1 − ηλ_H/2)^k L(0)) − 1")
    details = {
        "slope_width": slope_width, "slope_se_width": se_width, "slope_depth": slope_depth, "slope_se_depth": se_depth,
        "width_needed_exponent": float(slope_depth / abs(slope_width)) if slope_width < 0 else float("nan"),
        "relative_drift_widths": w["drift"].mean(axis=1).tolist(), "relative_drift_depths": d["drift"].mean(axis=1).tolist(),
        "lambda_min_widths": w["lam_min"].mean(axis=1).tolist(), "lambda_min_depths": d["lam_min"].mean(axis=1).tolist(),
        "lambda_last_layer_depths": d["lam_last_layer"].mean(axis=1).tolist(),
        "lambda_max_depths": d["lam_max"].mean(axis=1).tolist(), "final_loss_ratio": final_ratio,
    }
    return Result(
        predicted=DEPTH_SLOPE_MAX, measured=slope_depth, error=error, tolerance=RATE_SLACK, outcome=outcome,
        reason=reason,
        arrays={"widths": widths, "depths": depths, "w_losses": w["losses"], "w_bound": w["bound"], "d_losses": d["losses"],
                "d_bound": d["bound"], "w_drift": w["drift"], "d_drift": d["drift"]},
        details=details,
    )


def plot(config: DeepGdConvergenceConfig, result: Result, path) -> None:
    """The loss of every run (normalised by L(0)) against its rate bound (1 − ηλ_H/2)^k, dashed;
    the relative Gram drift against width (log-log, with m^(−1/2) and m^(−1) guides) and against
    depth (log-log, with the H^0.5 criterion line)."""
    a = result.arrays
    fig, axes = figure(1, 3, figsize=(18, 4.4))
    ax = axes[0, 0]
    for prefix, values, label in (("w", a["widths"], "m"), ("d", a["depths"], "H")):
        for i, (runs, bounds) in enumerate(zip(a[f"{prefix}_losses"], a[f"{prefix}_bound"])):
            colour = f"C{(i + (0 if prefix == 'w' else 5)) % 10}"
            for j, run in enumerate(runs):
                ax.semilogy(run / run[0], color=colour, lw=0.8, alpha=0.7,
                            label=f"{label} = {int(values[i])}" if j == 0 else None)
            ax.semilogy(bounds[0] / bounds[0][0], color=colour, lw=0.8, ls="--")
    ax.set_xlabel("step k")
    ax.set_ylabel("L(k)/L(0); dashed: (1 − ηλ_H/2)^k")
    ax.set_title(f"deep {'ResNet' if config.skip else 'plain net'}: {result.outcome.upper()}", fontsize=9)
    ax.legend(fontsize=7)
    for ax, prefix, xs, name, guides in ((axes[0, 1], "w", a["widths"], "width m", ((-0.5, "m^(−1/2)"), (-1.0, "m^(−1)"))),
                                         (axes[0, 2], "d", a["depths"], "depth H", ((DEPTH_SLOPE_MAX, "H^0.5 (criterion)"),))):
        drift = a[f"{prefix}_drift"]
        ax.loglog(np.repeat(xs, drift.shape[1]), drift.ravel(), ".", color="C7", alpha=0.6)
        slope = result.details["slope_width" if prefix == "w" else "slope_depth"]
        ax.loglog(xs, drift.mean(axis=1), "o-", label=f"mean (slope {slope:.2f})")
        for exponent, label in guides:
            ax.loglog(xs, drift.mean(axis=1)[0] * (xs / xs[0]) ** exponent, "k:", lw=1, label=label)
        ax.set_xlabel(name)
        ax.set_ylabel("‖G(T) − G(0)‖₂/‖G(0)‖₂")
        ax.legend(fontsize=7)
    fig.savefig(path, dpi=110)


def plot_sweep(rows, path) -> None:
    """From ``theorycheck sweep deep_gd_convergence --grid skip=true,false --seeds S``: the
    relative Gram drift against depth, one line per run, ResNet and plain net in two colours."""
    fig, axes = figure(1, 1, figsize=(7, 4.4))
    ax = axes[0, 0]
    shown = set()
    for r in rows:
        drift = r["details"].get("relative_drift_depths")
        if not drift or any(v is None for v in drift):
            continue
        skip = r["config"]["skip"]
        depths = np.sort(np.asarray(r["config"]["depths"], dtype=float))
        ax.loglog(depths, drift, "o-", color="C0" if skip else "C3", alpha=0.7,
                  label=None if skip in shown else ("ResNet" if skip else "plain (skip=false)"))
        shown.add(skip)
    ax.set_xlabel("depth H")
    ax.set_ylabel("‖G(T) − G(0)‖₂/‖G(0)‖₂ (replicate mean)")
    ax.set_title(f"drift against depth: {sum(r['outcome'] == 'pass' for r in rows)}/{len(rows)} runs pass", fontsize=9)
    ax.legend(fontsize=7)
    fig.savefig(path, dpi=110)


CHECK = register(
    Check(
        name="deep_gd_convergence",
        statement="GD on a deep over-parameterised ResNet reaches zero loss at rate (1 − ηλ_H/2)^k; its Gram "
                  "matrix drifts at most as m^(−1/2) and no faster than H^0.5 with depth (without skips it does).",
        source="Du, Lee, Li, Wang, Zhai, ICML 2019, arXiv:1811.03804 (shared/THEORY.md §8)",
        config_type=DeepGdConvergenceConfig,
        run=None,
        plot=plot,
        negative_controls=({"skip": False},),
        needs_x64=True,
        quick={"widths": (64, 128, 256), "depths": (2, 4, 8), "depth_series_width": 64, "width_series_depth": 2,
               "steps": 600, "replicates": 4},
        slow_corners=("width_series_depth=low", "width_series_depth=high", "depth_series_width=low",
                      "depth_series_width=high", "steps=low", "steps=high", "replicates=low", "replicates=high",
                      "duplicate_inputs=true"),
        data_keys=("lr_fraction",),
        simulate=simulate,
        verdict=verdict,
        plot_sweep=plot_sweep,
    )
)
