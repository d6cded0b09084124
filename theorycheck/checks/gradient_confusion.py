"""Gradient confusion falls with width and rises with depth; for linear models it is −√(2 ln N / d).

**Statement.** Sankararaman, De, Xu, Huang, Goldstein, "The Impact of Neural Network
Overparameterization on Gradient Confusion and Stochastic Gradient Descent", ICML 2020,
arXiv:1904.06963 (shared/THEORY.md §10). Per-sample objectives {f_i} are confused at w when their
gradients are negatively correlated; the statistic is the minimum pairwise cosine
min_{i≠j} cos(∇f_i(w), ∇f_j(w)) (lower = more confused; the cosine, not the raw inner product,
since rescaling every gradient changes the latter only). Claims: (linear) for least squares on n
random unit inputs in ℝ^d it is −√(2 ln(n(n − 1)/2)/d) to leading order
(:func:`bounds.sankararaman20_linear_confusion`, derived there), so more parameters mean less
confusion; (ReLU) for He-initialised bias-free ReLU MLPs at initialisation, in THEORY.md §10's regime,
the confusion decreases with width at every depth ≥ 4 and increases with depth at width 16.
Verified against the paper's public abstract (arxiv-vanity / emergentmind copies of 1904.06963):
"for popular initialization techniques, increasing the width of neural networks leads to lower
gradient confusion … increasing the depth … has the opposite effect", and (earlier version)
"increasing the number of parameters of linear models … leads to lower gradient confusion". The
definition's exact form and the paper's figures could not be read through the search tool; the
regime (depth ≥ 4, width 16), the setup and the linear closed form are THEORY.md's [D]/[V-num]
(its ReLU table is reproduced here bias-free, 8 draws: depth 1 −0.59/−0.62/−0.63, depth 4
−0.80/−0.66/−0.56, depth 8 −0.90/−0.72/−0.55 at widths 16/64/256; with zero-initialised biases the
depth-1 trend rises too, −0.80/−0.72/−0.67, so the table was bias-free).

**Setup.** Everything at initialisation (the claims are about the initial geometry), measured by
the observer :func:`dynamics.per_sample_gradient_cosines` (``vmap(grad)`` per-sample gradients of
f_i = ½(f(x_i) − y_i)², pairwise cosines chunked by row blocks). Each *draw* is fresh data: n =
``samples`` unit inputs, labels ±1 (independent of the inputs), and a fresh network for every
(width, depth); settings within a draw share the data (paired differences). ``model=relu``:
:func:`models.mlp` 32 → width × depth → 1, ReLU, no biases, He init (σ_w = √2, standard
parameterisation), ``draws`` draws, one ``lax.map`` over them. ``model=linear``: :func:`models.mlp`
d → 1 (a linear model, w ~ N(0, 1/d): |x_iᵀw| ≪ 1 so sign(r_i) = −y_i, independent of x_i) for each
d in ``widths``, ``draws`` × 8 draws (one draw is one n × d Gram matrix).

**Tolerances.** Linear: ``error`` = max over the compared d of |m̄_d / p_d − 1|, m̄_d the mean
minimum cosine over the draws, p_d the closed form; tolerance 0.15 (THEORY.md's "about 15%"). Why
15% is the right size: the closed form is leading order, and E min falls short of it by
b(n, d) = 1 − E min / p_d (:func:`bounds.linear_confusion_bias`: quadrature of the finite-N extreme
of the exact Beta cosine law, independent of the simulation): 11.9% at n = 64 for large d (the
Gaussian-extreme correction (ln ln N + ln 4π − 2γ)/(4 ln N), decaying like 1/ln N), 12.7% at
d = 256, 15.0% at d = 64. So a 15% band holds the gap plus 3 standard errors of m̄_d exactly where
b + 3·SE ≤ 0.15 (at n = 64 and 256 draws: d ≥ 256); only those d are compared, the others (d ≤ 64,
n < 64, too few draws for the room left) are outside the closed form's 15% regime and only
reported; none compared is inconclusive. A sharper comparison, |m̄_d − E min| ≤ 3·SE + 0.01·|p_d|
(0.01 for the dependence between pairs sharing a sample, which the quadrature drops), is reported
in ``details`` (``matches_finite_n_expectation``). The minimum cosine must also rise with d.

ReLU: each claimed comparison (every pair of widths at each depth; every pair of depths at each
width ≤ 16: a monotone trend orders every pair) is a paired one-sided t-test on the per-draw
differences of the minimum cosine, at family-wise level α = 0.05 (Bonferroni over the K
comparisons: each at α/K, critical value t_{1−α/K, draws−1}). Pass: every comparison significant
in the claimed direction (``error`` = the largest one-sided p-value ≤ ``tolerance`` = α/K). Fail:
some comparison significant in the *opposite* direction (a decided reversal). Otherwise
inconclusive, with the draws that would decide it (t grows like √draws), or, where that exceeds
the range's 128, a remedy inside the ranges (wider widths, depths ≥ 4). Depths below 4 are outside
the theorem's regime: the width trend is still tested there, and a decided reversal fails (that is
the negative control).

**Negative control.** ``depths=1`` (outside the regime: one hidden layer), with ``draws=64``: the
width trend is reversed, min cosine −0.59/−0.61/−0.63 at widths 16/64/128 (seed 0; seeds 1, 2:
−0.58/−0.61/−0.63, −0.57/−0.61/−0.62; THEORY.md at 16/64/256: −0.56/−0.63/−0.62), and the
16 → 128 comparison is significantly negative (t = −3.3, −5.5, −7.5 against −2.18), so the
width-trend claim fails. The reversal is small (−0.02 to −0.05) against a per-draw spread of
~0.07, so 16 draws decided it on only 3 seeds of 5 (the others inconclusive, with a remedy); 64
draws of depth-1 nets cost less than the default's 48 draws at depths 4 and 8.

**Budget.** Defaults: widths 16/64/128, depths 4/8, 48 draws, float32 (cosines to ~1e-6 against
effects of ~1e-2): weakest t (width 64 → 128 at depth 4) 4.6, 4.4, 6.9 on seeds 0–2 against a
critical 2.54; depth 4 → 8 at width 16: 6.0, 5.4, 5.2. THEORY.md's full table
(widths 16/64/256, depths 1/2/4/8) is the sweep in the report / ``-m slow`` tests.
"""

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np
from scipy import stats

from theorycheck import bounds
from theorycheck import dynamics
from theorycheck import models
from theorycheck._check import Check, Result, config_field, decide, register

from ._common import figure

INPUT_DIM = 32  # THEORY.md §10: unit-norm inputs in d = 32
HE_GAIN = math.sqrt(2.0)
LINEAR_TOLERANCE = 0.15
DEPENDENCE_SLACK = 0.01  # the quadrature drops the dependence between pairs sharing a sample
LINEAR_DRAWS_PER_DRAW = 8
ALPHA = 0.05  # family-wise level of the trend tests
DRAWS_MAX = 128  # the top of the draws range: a remedy asks for no more
DEPTH_TREND_MAX_WIDTH = 16  # THEORY.md §10: the depth trend is claimed at width 16
QUANTILES = ()  # the verdict reads the minimum and the mean; no histogram (a cheaper compile)
# float32 whatever jax_enable_x64 says: cosines to ~1e-6 against effects of ~1e-2, at half the cost
DTYPE = jnp.float32


@dataclasses.dataclass(frozen=True)
class GradientConfusionConfig:
    widths: tuple = config_field((16, 64, 128), low=16, high=4096,
                                 help="hidden widths (model=relu, <= 512 for memory) or input dimensions d "
                                      "(model=linear); >= 2 distinct. From 16: the depth trend is claimed at width 16")
    depths: tuple = config_field((4, 8), low=1, high=8,
                                 help="hidden layers (model=relu; the width trend is claimed at each: the regime is "
                                      "depth >= 4; depths=1 is the negative control)")
    samples: int = config_field(64, low=32, high=128, help="n, the samples whose pairwise gradient cosines are taken")
    model: str = config_field("relu", choices=("relu", "linear"),
                              help="relu: the width/depth trends; linear: the closed form −√(2 ln(n(n−1)/2)/d)")
    draws: int = config_field(48, low=4, high=DRAWS_MAX,
                              help=f"independent data/initialisation draws (model=linear uses {LINEAR_DRAWS_PER_DRAW}× as many)")

    def validate(self):
        if len(set(self.widths)) < 2:
            raise ValueError(f"config key 'widths' needs >= 2 distinct widths for the width trend, got {self.widths}")
        if self.model == "relu" and max(self.widths) > 512:
            raise ValueError(f"config key 'widths' must stay <= 512 with model=relu (per-sample gradients of a depth-8 "
                             f"width-512 net take ~1 GB), got {self.widths}")
        if len(set(self.depths)) != len(self.depths):
            raise ValueError(f"config key 'depths' must not repeat a depth, got {self.depths}")


def _unit_data(key, n: int, d: int):
    key_x, key_y = jax.random.split(key)
    x = jax.random.normal(key_x, (n, d), dtype=DTYPE)
    x = x / jnp.linalg.norm(x, axis=1, keepdims=True)
    y = jax.random.rademacher(key_y, (n,), dtype=DTYPE)
    return x, y


def _confusion_at_init(net, x, y, key):
    """The observer's record at the initial parameters of ``net`` (no training: the claim is at init)."""

    def loss(params, batch):
        inputs, labels = batch
        return 0.5 * jnp.mean((net.apply(params, inputs)[:, 0] - labels) ** 2)

    key_init, key_observe = jax.random.split(key)
    observer = dynamics.per_sample_gradient_cosines(loss, (x, y), quantiles=QUANTILES)
    params = jax.tree.map(lambda p: p.astype(DTYPE), net.init(key_init))
    record, _ = observer.observe(params, observer.init(params, key_observe), key_observe)
    return record


def _relu_draw(config: GradientConfusionConfig, key):
    key_data, key_nets = jax.random.split(key)
    x, y = _unit_data(key_data, config.samples, INPUT_DIM)
    records = []
    for depth, key_depth in zip(config.depths, jax.random.split(key_nets, len(config.depths))):
        row = []
        for width, key_net in zip(config.widths, jax.random.split(key_depth, len(config.widths))):
            net = models.mlp((INPUT_DIM,) + (width,) * depth + (1,), "relu", bias=False, init_scale=HE_GAIN)
            row.append(_confusion_at_init(net, x, y, key_net))
        records.append(jax.tree.map(lambda *r: jnp.stack(r), *row))
    return jax.tree.map(lambda *r: jnp.stack(r), *records)  # leaves: (depths, widths, ...)


def _linear_draw(config: GradientConfusionConfig, key):
    row = []
    for d, key_d in zip(config.widths, jax.random.split(key, len(config.widths))):
        key_data, key_net = jax.random.split(key_d)
        x, y = _unit_data(key_data, config.samples, d)
        row.append(_confusion_at_init(models.mlp((d, 1), bias=False), x, y, key_net))
    return jax.tree.map(lambda *r: jnp.stack(r)[None], *row)  # leaves: (1, widths, ...)


def simulate(config: GradientConfusionConfig, data, key):
    del data
    if config.model == "relu":
        draw, count = _relu_draw, config.draws
    else:
        draw, count = _linear_draw, config.draws * LINEAR_DRAWS_PER_DRAW
    records = jax.lax.map(lambda k: draw(config, k), jax.random.split(key, count))
    # leaves: (draws, depths, widths, ...) -> (depths, widths, draws, ...)
    return {name: jnp.moveaxis(value, 0, 2) for name, value in records.items()}


def _steps(config: GradientConfusionConfig, minimum):
    """The claimed comparisons: (label, per-draw differences in the claimed direction), one per
    pair of widths at each depth and one per pair of depths at each width <= 16 (a monotone trend
    orders every pair, not only neighbours)."""
    widths, depths = np.asarray(config.widths), np.asarray(config.depths)
    w_order, d_order = np.argsort(widths), np.argsort(depths)
    steps = []
    for a in d_order:
        for i, b0 in enumerate(w_order):
            for b1 in w_order[i + 1:]:
                steps.append((f"width {widths[b0]} → {widths[b1]} at depth {depths[a]}",
                              minimum[a, b1] - minimum[a, b0]))
    for b in w_order:
        if widths[b] <= DEPTH_TREND_MAX_WIDTH:
            for i, a0 in enumerate(d_order):
                for a1 in d_order[i + 1:]:
                    steps.append((f"depth {depths[a0]} → {depths[a1]} at width {widths[b]}",
                                  minimum[a0, b] - minimum[a1, b]))
    return steps


def _relu_verdict(config: GradientConfusionConfig, arrays) -> Result:
    minimum = np.asarray(arrays["min"], dtype=float)  # (depths, widths, draws)
    draws = minimum.shape[-1]
    steps = _steps(config, minimum)
    k = len(steps)
    level = ALPHA / k
    critical = float(stats.t.ppf(1.0 - level, draws - 1))
    t_values, p_values, reversed_, undecided = [], [], [], []
    for label, diff in steps:
        se = np.std(diff, ddof=1) / np.sqrt(draws)
        t = float(np.mean(diff) / se) if se > 0 else math.copysign(math.inf, np.mean(diff))
        t_values.append(t)
        p_values.append(float(stats.t.sf(t, draws - 1)))
        if t <= -critical:
            reversed_.append(f"{label}: the minimum cosine moves against the claim by {np.mean(diff):+.3f} "
                             f"(t = {t:.2f} <= −{critical:.2f})")
        elif t < critical:
            undecided.append((label, t))
    failed = []
    if reversed_:
        failed.append("the confusion trend is reversed: " + "; ".join(reversed_))
    inconclusive = []
    if undecided and not failed:
        # the t statistic grows like √draws: the draws that would decide the weakest comparison
        worst = max(min(abs(t) for _, t in undecided), 0.5)
        needed = int(math.ceil(draws * (critical / worst) ** 2)) + 1
        remedy = (f"raise draws to >= {needed}" if needed <= DRAWS_MAX else
                  f"draws cannot decide it within the range (<= {DRAWS_MAX}; needs ~{needed}): the effect is too small "
                  f"here; widen the widths (e.g. 16 and 128) or use depths >= 4 (THEORY.md §10's regime)")
        inconclusive.append(
            "not significant at family-wise α = 0.05: " + ", ".join(f"{l} (t = {t:.2f} < {critical:.2f})" for l, t in undecided)
            + f"; {remedy}")
    error = max(p_values)
    outcome, reason = decide(error, level, fail_reasons=failed, inconclusive_reasons=inconclusive,
                             what="largest one-sided p-value of the claimed trend steps")
    mean = minimum.mean(axis=-1)
    se = minimum.std(axis=-1, ddof=1) / np.sqrt(draws)
    details = {
        "steps": [label for label, _ in steps],
        "t_values": t_values,
        "p_values": p_values,
        "critical_t": critical,
        "mean_min_cosine": mean.tolist(),
        "se_min_cosine": se.tolist(),
        "mean_cosine": np.asarray(arrays["mean"]).mean(axis=-1).tolist(),
        "draws": draws,
    }
    return Result(
        predicted=critical, measured=min(t_values), error=error, tolerance=level,
        outcome=outcome, reason=reason,
        arrays={"widths": np.asarray(config.widths), "depths": np.asarray(config.depths), "min_cosine": minimum,
                "mean_cosine": np.asarray(arrays["mean"]), "quantiles": np.asarray(arrays["quantiles"]),
                "levels": np.asarray(QUANTILES)},
        details=details,
    )


def _linear_verdict(config: GradientConfusionConfig, arrays) -> Result:
    minimum = np.asarray(arrays["min"], dtype=float)[0]  # (widths, draws)
    draws = minimum.shape[-1]
    n = config.samples
    widths = np.asarray(config.widths)
    predicted = np.array([bounds.sankararaman20_linear_confusion(n, d) for d in widths])
    expected = np.array([bounds.independent_cosine_min_mean(n, int(d)) for d in widths])
    bias = 1.0 - expected / predicted
    mean = minimum.mean(axis=1)
    se = minimum.std(axis=1, ddof=1) / np.sqrt(draws)
    relative_se = se / np.abs(predicted)
    relative_error = np.abs(mean / predicted - 1.0)
    # a d is compared where the 15% band holds the finite-n gap plus 3 standard errors; elsewhere
    # (small d or n, or too few draws for the room left) the 15% claim is not decidable
    decidable = bias + 3.0 * relative_se <= LINEAR_TOLERANCE
    inconclusive = []
    if not decidable.any():
        inconclusive.append(
            f"no d in widths where the closed form's finite-n gap b(n, d) plus 3 standard errors fits in "
            f"{LINEAR_TOLERANCE:.0%} (b = {', '.join(f'{b:.3f}' for b in bias)}); use samples >= 64 and "
            f"widths >= 256 (e.g. widths=256,1024,4096)")
    compared = decidable
    error = float(np.max(relative_error[compared])) if compared.any() else float("nan")
    sharp = np.abs(mean - expected) <= 3.0 * se + DEPENDENCE_SLACK * np.abs(predicted)
    failed = []
    if compared.any() and not inconclusive:
        if not np.all(np.diff(mean[np.argsort(widths)]) > 0):
            failed.append("the minimum cosine does not rise with d")
    outcome, reason = decide(error, LINEAR_TOLERANCE, fail_reasons=failed, inconclusive_reasons=inconclusive,
                             what="max over compared d of |mean min cosine / (−√(2 ln N / d)) − 1|")
    largest = int(np.argmax(widths))
    details = {
        "widths": widths.tolist(), "predicted": predicted.tolist(), "measured_mean": mean.tolist(),
        "standard_error": se.tolist(), "relative_error": relative_error.tolist(),
        "finite_n_expected": expected.tolist(), "finite_n_gap": bias.tolist(),
        "derived_tolerance": (bias + 3.0 * relative_se).tolist(), "compared": compared.tolist(),
        "matches_finite_n_expectation": sharp.tolist(), "draws": draws,
    }
    return Result(
        predicted=float(predicted[largest]), measured=float(mean[largest]), error=error,
        tolerance=LINEAR_TOLERANCE, outcome=outcome, reason=reason,
        arrays={"widths": widths, "min_cosine": minimum, "predicted": predicted, "finite_n_expected": expected,
                "mean_cosine": np.asarray(arrays["mean"])[0], "quantiles": np.asarray(arrays["quantiles"])[0],
                "levels": np.asarray(QUANTILES)},
        details=details,
    )


def verdict(config: GradientConfusionConfig, data, arrays) -> Result:
    return _relu_verdict(config, arrays) if config.model == "relu" else _linear_verdict(config, arrays)


def plot(config: GradientConfusionConfig, result: Result, path) -> None:
    a = result.arrays
    widths = np.asarray(a["widths"])
    order = np.argsort(widths)
    if config.model == "linear":
        fig, axes = figure(1, 1)
        ax = axes[0, 0]
        m = a["min_cosine"]
        se = m.std(axis=1, ddof=1) / np.sqrt(m.shape[1])
        ax.errorbar(widths[order], m.mean(axis=1)[order], yerr=3 * se[order], fmt="o-", label="measured (mean ± 3 SE)")
        ax.plot(widths[order], a["predicted"][order], "k--", label="−√(2 ln(n(n−1)/2)/d)")
        ax.fill_between(widths[order], (1 + LINEAR_TOLERANCE) * a["predicted"][order],
                        (1 - LINEAR_TOLERANCE) * a["predicted"][order], color="k", alpha=0.1, label="±15%")
        ax.plot(widths[order], a["finite_n_expected"][order], "x:", color="C3", label="finite-n expectation (quadrature)")
        ax.set_xscale("log")
        ax.set_xlabel("input dimension d (parameters)")
        ax.set_ylabel("min pairwise gradient cosine")
        ax.set_title(f"linear model, n = {config.samples}: {result.outcome.upper()}", fontsize=9)
        ax.legend(fontsize=8)
        fig.savefig(path, dpi=110)
        return
    depths = np.asarray(a["depths"])
    m = a["min_cosine"]  # (depths, widths, draws)
    mean, se = m.mean(axis=-1), m.std(axis=-1, ddof=1) / np.sqrt(m.shape[-1])
    fig, axes = figure(1, 2)
    ax = axes[0, 0]
    for i in np.argsort(depths):
        ax.errorbar(widths[order], mean[i, order], yerr=se[i, order], fmt="o-", capsize=3, label=f"depth {depths[i]}")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("width")
    ax.set_ylabel("min pairwise gradient cosine")
    ax.set_title(f"ReLU MLP at He init, n = {config.samples}: {result.outcome.upper()}", fontsize=9)
    ax.legend(fontsize=8)
    ax = axes[0, 1]
    d_order = np.argsort(depths)
    for j in order:
        ax.errorbar(depths[d_order], mean[d_order, j], yerr=se[d_order, j], fmt="s-", capsize=3, label=f"width {widths[j]}")
    ax.set_xlabel("depth (hidden layers)")
    ax.set_ylabel("min pairwise gradient cosine")
    ax.legend(fontsize=8)
    fig.savefig(path, dpi=110)


def plot_sweep(rows, path) -> None:
    """The paper's figure from a sweep over ``depths`` (one depth per point) and seeds: the mean
    minimum cosine against width, one line per depth, and against depth, one line per width."""
    series = {}
    for r in rows:
        if r["config"].get("model") != "relu" or "mean_min_cosine" not in (r.get("details") or {}):
            continue
        for depth, means in zip(r["config"]["depths"], r["details"]["mean_min_cosine"]):
            for width, value in zip(r["config"]["widths"], means):
                series.setdefault((depth, width), []).append(value)
    depths = sorted({d for d, _ in series})
    widths = sorted({w for _, w in series})
    fig, axes = figure(1, 2)
    ax = axes[0, 0]
    for depth in depths:
        ws = [w for w in widths if (depth, w) in series]
        ax.plot(ws, [np.mean(series[depth, w]) for w in ws], "o-", label=f"depth {depth}")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("width")
    ax.set_ylabel("min pairwise gradient cosine")
    ax.set_title("gradient confusion at He init (mean over draws and seeds)", fontsize=9)
    ax.legend(fontsize=8)
    ax = axes[0, 1]
    for width in widths:
        ds = [d for d in depths if (d, width) in series]
        ax.plot(ds, [np.mean(series[d, width]) for d in ds], "s-", label=f"width {width}")
    ax.set_xlabel("depth (hidden layers)")
    ax.set_ylabel("min pairwise gradient cosine")
    ax.legend(fontsize=8)
    fig.savefig(path, dpi=110)


CHECK = register(
    Check(
        name="gradient_confusion",
        statement="The minimum pairwise per-sample gradient cosine is −√(2 ln(n(n−1)/2)/d) for linear models; for "
                  "He-initialised ReLU MLPs it rises with width (depth >= 4) and falls with depth (width 16).",
        source="Sankararaman, De, Xu, Huang, Goldstein, ICML 2020, arXiv:1904.06963 (shared/THEORY.md §10)",
        config_type=GradientConfusionConfig,
        run=None,
        plot=plot,
        negative_controls=({"depths": (1,), "draws": 64},),
        quick={"widths": (16, 64), "depths": (4,), "draws": 8},
        slow_corners=("samples=high",),
        data_keys=(),
        simulate=simulate,
        verdict=verdict,
        plot_sweep=plot_sweep,
    )
)
