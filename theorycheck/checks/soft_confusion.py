"""Soft-set confusion matrix: an exact Heaviside surrogate, and the soft-F1 loss on imbalanced data.

**Statement.** Tsoi, Candon, Li, Milkessa, Vázquez, "Bridging the Gap: Unifying the Training and
Evaluation of Neural Network Binary Classifiers", NeurIPS 2022, arXiv:2009.01367 (shared/THEORY.md
§15). The piecewise-linear approximation H_{τ,δ} of the step 1{p ≥ τ} (τ_m = min(τ, 1 − τ))

    H(p) = p·δ/(τ − τ_m/2)                              p < τ − τ_m/2
         = (1 − 2δ)/τ_m·(p − τ) + ½                     τ − τ_m/2 ≤ p ≤ τ + τ_m/2
         = m₃p + 1 − δ − m₃(τ + τ_m/2), m₃ = δ/(1 − τ − τ_m/2)    p > τ + τ_m/2

has H(0) = 0, H(τ) = ½, H(1) = 1 and, for 0 < δ < ½, is strictly increasing (every slope ≥
min(δ/(τ − τ_m/2), δ/(1 − τ − τ_m/2)) > 0: no saturation). The soft-set confusion matrix
TP = Σ yᵢH(pᵢ), FN = Σ yᵢ(1 − H(pᵢ)), FP = Σ (1 − yᵢ)H(pᵢ), TN = Σ (1 − yᵢ)(1 − H(pᵢ)) partitions
exactly (TP + FN = #positives, FP + TN = #negatives) and equals the hard confusion matrix at 0/1
predictions. Claims checked:

1. the properties of H = H_{τ,δ} (whatever ``surrogate`` the loss uses), on a grid of p, at every
   threshold τ ∈ {0.1, …, 0.9};
2. the partition, on the trained model's test probabilities, and the equality with the hard
   confusion matrix at its 0/1 test predictions (both with the configured ``surrogate``);
3. the paper's point that a metric computed on the soft matrix is a useful training loss: a linear
   classifier trained on a heavily imbalanced set with the soft-F1 loss (1 − F1 averaged over the
   thresholds) reaches a higher test F1 than the same classifier trained with the square loss, at
   the same budget (same optimiser, learning rate and number of steps, same data and
   initialisation).

**Verified against the sources** (with the ``search`` tool): the formula of H, its slopes and the
EPS-free knots, and the thresholds ``torch.arange(0.1, 1, 0.1)`` with the loss 1 − mean_τ F1, in
the authors' ``torch-btg`` code (``linear_approx(delta=0.2)``, ``mean_f1_approx_loss_on``; the
package default δ = 0.2, used here); the sigmoid surrogate ``sig(k=10)`` of the same file. The same
code computes its entries by swapping p ↔ 1 − p and τ ↔ 1 − τ per entry, which does not partition
(shared/THEORY.md §15 caveat); this check implements the partition-correct soft-set form, which is
recalled from the paper ([M]: the paper's text itself was not retrievable here).

**Setup.** scikit-learn's bundled digits, one digit against the other nine (``replicates``
one-vs-rest tasks, replicate r uses digit r mod 10): 1600 negatives and
round(``imbalance``/(1 − ``imbalance``)·1600) positives (16 to 84), each class split half/half
into train and test, inputs standardised on train (:func:`models.digits_one_vs_rest`). A logistic
classifier p = σ(wᵀx + b) (:func:`models.mlp` with widths (64, 1)), initialised from the replicate's
key, trained by :func:`dynamics.gradient_descent` (full batch) with Adam
(``optax.inject_hyperparams``: the learning rate is data, and Adam's step does not depend on the
scale of the gradient, so the two losses get the same step sizes; with plain GD the comparison
would mostly compare gradient scales) for ``steps`` steps, once with
:func:`models.classifier_loss` ``"f1"`` (H_{τ,δ} with δ = ``threshold_width``, or the sigmoid or step
surrogate) and once with ``"mse"`` (mean (p − y)²), from the same data and initial weights. Test F1
is the hard F1 of 1{p ≥ ½} (:func:`bounds.hard_f1`), recorded every 10 steps by an observer. H is
evaluated in JAX on a grid of 2001 points plus every knot; the reference is
:func:`bounds.tsoi22_heaviside_reference`, the ``np.interp`` interpolant of the five knots (an
independent evaluation that never uses the slope formula).

**Tolerances.** Exact identities (claims 1–2): 1e-12, on H values (absolute) and on confusion
entries relative to the count they should equal (max(count, 1) for the hard matrix). Derivation:
every H value is a few float64 operations on exact inputs (error ≤ 4ε = 9e-16, likewise for
``np.interp``); TP + FN is two dot products over the n ≤ 850 test samples with nonnegative terms,
each off by at most γ_n = n·u (u = ε/2) relative to its sum (Higham, *Accuracy and Stability of
Numerical Algorithms*, §4.2), plus ≤ 2u per term from H and 1 − H: ≤ (2n + 2)u ≈ 2e-13 relative
< 1e-12. (Measured absolute deviations of FP + TN ≈ 800 reach 4.5e-13 = 4 ulps: relative 6e-16.)
"Strictly increasing" is checked exactly (every grid difference > 0), and the smallest
finite-difference slope must match the smallest closed-form slope to 1e-9 relative (each difference
of two values off by ≤ 2ε, over a spacing ≥ 1e-4 between grid points in one linear piece, moves a
slope ≥ 0.02 by ≤ 4ε/1e-4/0.02 ≈ 5e-10). Claim 3: the paired gains gᵣ = F1_soft − F1_mse of the
R replicates have mean ḡ and standard deviation s; the margin is the one-sided 95% Student-t
bound t_{0.95, R−1}·s/√R (the seed spread, not a tuned constant). ḡ > margin: the gain is
established (pass); ḡ < −margin: soft-F1 is decidedly worse (fail); otherwise the replicates cannot
decide and the run is ``inconclusive`` with the number of replicates that would resolve a gain of
the measured size.

**Regime** (measured before the ranges were fixed, Adam, 300 steps, 16 splits per digit for digits
1, 3, 8, 9): the gain is a finite-budget effect of imbalance. At 1–2% positives the square loss
leaves most positives below ½ (mean test F1 0.04–0.44 against 0.44–0.75 for soft-F1); at 5% the
gain is 0.02–0.10; at the natural 10% it is within ±0.04 of zero, and with long budgets (1000+
plain-GD steps) the square loss catches up. So ``imbalance`` ∈ [0.01, 0.05], ``lr`` ∈ [0.01, 0.1]
and ``steps`` ∈ [150, 600] bound the admissible ranges.

**Measured** (default config, float64, 2 CPU cores): test F1 0.716 (soft-F1) vs 0.545 (square loss),
gain +0.171 > margin 0.061 (seed 0); seeds 1, 2, 3: +0.177 > 0.056, +0.171 > 0.076, +0.179 > 0.090;
exact identities ≤ 6e-16. ``lr=0.1`` (the range's end) is inconclusive (+0.028 ± 0.061): the
square loss catches up at larger steps. A sweep over ``imbalance`` (0.01 … 0.05) is the figure.

**Negative control.** ``surrogate=step``: the soft matrix and the soft-F1 loss use the step
1{p > τ} (+ ½ at p = τ) itself. Claims 1–2 still hold (claim 1 is always about H_{τ,δ}; the step
partitions and is exact at 0/1 predictions), but its gradient is zero almost everywhere, so
soft-F1 training never moves the classifier off its initialisation; the hypothesis broken is the
surrogate's nonzero slope (the paper's reason for H), and the check fails on claim 3, decided by
the simulation: test F1 0.040 (step) vs 0.545 (square loss), gain −0.504 < −0.086 (seed 0);
−0.587 < −0.058 (seed 417). (The former control ``surrogate=sigmoid`` failed by definition:
σ(10(p − τ)) has H(0) = σ(−10τ) > 0, so its soft matrix at 0/1 predictions differs from the hard
one whatever the run; it remains a choice, and fails claim 2 that way.)
"""

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np
import optax

from theorycheck import bounds
from theorycheck import dynamics
from theorycheck import models
from theorycheck.models._imbalanced import DIGITS_NEGATIVES
from theorycheck.models._losses import DEFAULT_THRESHOLDS, heaviside
from theorycheck._check import PASS, Check, Result, config_field, decide, register

from ._common import figure

EXACT_TOLERANCE = 1e-12  # H values and confusion entries (derived in the module docstring)
SLOPE_TOLERANCE = 1e-9  # relative, smallest finite-difference slope against the closed form
CONFIDENCE = 0.95  # one-sided Student-t bound on the mean paired F1 gain
GRID = 2001
MIN_SPACING = 1e-4
EVERY = 10  # test-F1 records
DIGITS = 10


@dataclasses.dataclass(frozen=True)
class SoftConfusionConfig:
    threshold_width: float = config_field(
        0.2, low=0.05, high=0.45,
        help="δ of H_{τ,δ}: H = δ and 1 − δ at the edges of the band τ ± τ_m/2 (2δ of the rise lies outside "
             "the band; δ → 0 a hard step inside it, δ → ½ a flat band); strictly increasing iff 0 < δ < ½")
    surrogate: str = config_field(
        "linear", choices=("linear", "sigmoid", "step"),
        help="the Heaviside surrogate the soft matrix and the soft-F1 loss use: the paper's piecewise-linear "
             "H_{τ,δ}, σ(10(p − τ)) (not exact at 0/1 predictions), or the step itself (exact, zero gradient: "
             "the negative control)")
    imbalance: float = config_field(
        0.02, low=0.01, high=0.05,
        help="positive fraction of the one-vs-rest digits task (1600 negatives); the soft-F1 gain over the "
             "square loss is a heavy-imbalance effect (within ±0.04 of zero at the natural 10%), hence <= 0.05")
    lr: float = config_field(0.03, low=0.01, high=0.1, help="Adam learning rate, the same for both losses")
    steps: int = config_field(
        300, low=150, high=600,
        help="full-batch steps, the same for both losses (the gain is a finite-budget effect; <= 600)")
    replicates: int = config_field(
        10, low=5, high=40,
        help="paired soft-F1/square-loss runs (replicate r: digit r mod 10, its own split and init)")

    def validate(self):
        if self.steps % EVERY:
            raise ValueError(f"config key 'steps' must be a multiple of {EVERY} (test F1 is recorded every "
                             f"{EVERY} steps), got {self.steps}; e.g. --set steps={EVERY * (self.steps // EVERY)}")


def positives(imbalance: float) -> int:
    """round(π/(1 − π)·1600): the positive count that gives the positive fraction π."""
    return int(round(imbalance / (1.0 - imbalance) * DIGITS_NEGATIVES))


def _grid() -> np.ndarray:
    """Equispaced points on [0, 1] and every knot of H_{τ,δ} at the default thresholds, >= 1e-4 apart."""
    knots = np.unique(np.concatenate([bounds.tsoi22_heaviside_knots(t, 0.25)[0] for t in DEFAULT_THRESHOLDS]))
    knots = knots[np.concatenate([[True], np.diff(knots) >= MIN_SPACING])]  # 0.85 = 0.9 − 0.05 = 0.7 + 0.15, ±1 ulp
    points = np.linspace(0.0, 1.0, GRID)
    # equispaced points within MIN_SPACING of a knot are dropped: every grid interval then lies in one
    # linear piece and is >= MIN_SPACING long (two points an ulp apart would round to equal H values)
    far = np.min(np.abs(points[:, None] - knots[None, :]), axis=1) >= MIN_SPACING
    return np.unique(np.concatenate([points[far], knots]))


_NET = models.mlp((64, 1), bias=True)  # built outside any trace


def simulate(config: SoftConfusionConfig, data, key):
    """H on the grid; per replicate, the soft-F1 and square-loss runs and their test predictions."""
    delta, lr = data["threshold_width"], data["lr"]
    tau = jnp.asarray(DEFAULT_THRESHOLDS)
    grid = jnp.asarray(_grid())
    # claim 1 is about the paper's H_{τ,δ}, whatever surrogate the loss and the soft matrix use
    h_grid = heaviside("linear", grid[None, :], tau[:, None], delta)
    h_at_tau = heaviside("linear", tau, tau, delta)
    n_pos = positives(config.imbalance)
    optimizer = optax.inject_hyperparams(optax.adam)(learning_rate=lr)

    def replicate(index, key):
        key_data, key_init, key_run = jax.random.split(key, 3)
        x_train, y_train, x_test, y_test = models.digits_one_vs_rest(key_data, index % DIGITS, positives=n_pos)
        params0 = _NET.init(key_init)

        def test_probabilities(params):
            return jax.nn.sigmoid(_NET.apply(params, x_test).reshape(x_test.shape[0]))

        def test_f1(params, key):
            yhat = (test_probabilities(params) >= 0.5).astype(y_test.dtype)
            confusion = models.soft_confusion_matrix(yhat, y_test, thresholds=(0.5,), delta=0.25)
            return models.f1_from_confusion(confusion)[0]  # at 0/1 predictions: the hard F1

        out = {}
        for loss in ("f1", "mse"):
            loss_fn = models.classifier_loss(_NET, loss, delta=delta, surrogate=config.surrogate)
            trajectory = dynamics.gradient_descent(
                lambda p, loss_fn=loss_fn: loss_fn(p, (x_train, y_train)), optimizer, num_steps=config.steps,
                every=EVERY, observers={"test_f1": dynamics.stateless(test_f1)},
            )(params0, key_run)
            out[f"{loss}_test_f1"] = trajectory.observations["test_f1"]
            out[f"{loss}_test_p"] = test_probabilities(trajectory.final_params)
            out[f"{loss}_diverged"] = trajectory.diverged
        p = out["f1_test_p"]
        out["soft_confusion"] = models.soft_confusion_matrix(p, y_test, delta=delta, surrogate=config.surrogate)
        out["soft_confusion_at_hard"] = models.soft_confusion_matrix(
            (p >= 0.5).astype(p.dtype), y_test, delta=delta, surrogate=config.surrogate)
        out["y_test"] = y_test
        return out

    indices = jnp.arange(config.replicates)
    per_replicate = jax.vmap(replicate)(indices, jax.random.split(key, config.replicates))
    return {"grid": grid, "h_grid": h_grid, "h_at_tau": h_at_tau, **per_replicate}


def _exactness(config, delta, arrays) -> tuple[dict, list[str]]:
    """The deviations of the exact identities (claims 1–2) and one failure sentence per broken one."""
    grid, h = arrays["grid"], arrays["h_grid"]
    failed = []
    reference = np.stack([bounds.tsoi22_heaviside_reference(grid, t, delta) for t in DEFAULT_THRESHOLDS])
    at_tau = arrays["h_at_tau"]
    endpoints = max(float(np.max(np.abs(h[:, 0]))), float(np.max(np.abs(h[:, -1] - 1.0))),
                    float(np.max(np.abs(at_tau - 0.5))))
    formula = float(np.max(np.abs(h - reference)))
    differences = np.diff(h, axis=1)
    spacing = np.diff(grid)
    min_fd_slope = np.min(differences / spacing[None, :], axis=1)
    min_slope = np.array([bounds.tsoi22_heaviside_slopes(t, delta).min() for t in DEFAULT_THRESHOLDS])
    slope_error = float(np.max(np.abs(min_fd_slope - min_slope) / min_slope))
    increasing = bool(np.all(differences > 0))
    y = arrays["y_test"]
    counts = np.stack([y.sum(axis=1), (1.0 - y).sum(axis=1)], axis=-1)  # (R, 2)
    soft = arrays["soft_confusion"]  # (R, T, 4): TP, FN, FP, TN
    partition = float(np.max(np.abs(np.stack([soft[..., 0] + soft[..., 1], soft[..., 2] + soft[..., 3]], -1)
                                    - counts[:, None, :]) / counts[:, None, :]))
    hard_predictions = arrays["f1_test_p"] >= 0.5
    hard = np.stack([bounds.hard_confusion_matrix(hp, yy) for hp, yy in zip(hard_predictions, y)])
    hard_error = float(np.max(np.abs(arrays["soft_confusion_at_hard"] - hard[:, None, :])
                              / np.maximum(hard[:, None, :], 1.0)))
    if endpoints > EXACT_TOLERANCE:
        failed.append(f"H(0) = 0, H(τ) = ½, H(1) = 1 violated by {endpoints:.3g} (worst: H(0) = {h[:, 0].max():.3g}, "
                      f"H(1) = {h[:, -1].min():.6g})")
    if formula > EXACT_TOLERANCE:
        failed.append(f"H differs from the interpolant of its knots by {formula:.3g}")
    if not increasing:
        failed.append("H is not strictly increasing on the grid")
    elif slope_error > SLOPE_TOLERANCE:
        failed.append(f"the smallest slope of H is off its closed form by {slope_error:.3g} (relative)")
    if partition > EXACT_TOLERANCE:
        failed.append(f"TP + FN ≠ #pos or FP + TN ≠ #neg by {partition:.3g} (relative)")
    if hard_error > EXACT_TOLERANCE:
        failed.append(f"at 0/1 predictions the soft confusion matrix differs from the hard one by {hard_error:.3g} "
                      "(relative to the hard count)")
    errors = {"endpoint_error": endpoints, "knot_interpolant_error": formula, "strictly_increasing": increasing,
              "min_slope_relative_error": slope_error, "partition_error": partition,
              "hard_matrix_error": hard_error}
    return errors, failed


def verdict(config: SoftConfusionConfig, data, arrays) -> Result:
    from scipy import stats

    delta, lr = float(data["threshold_width"]), float(data["lr"])
    errors, failed = _exactness(config, delta, arrays)
    exact_error = max(v for k, v in errors.items() if k != "strictly_increasing" and k != "min_slope_relative_error")
    y = arrays["y_test"]
    f1_soft = np.array([bounds.hard_f1(p >= 0.5, yy) for p, yy in zip(arrays["f1_test_p"], y)])
    f1_mse = np.array([bounds.hard_f1(p >= 0.5, yy) for p, yy in zip(arrays["mse_test_p"], y)])
    gains = f1_soft - f1_mse
    r = gains.size
    mean, spread = float(gains.mean()), float(gains.std(ddof=1))
    quantile = float(stats.t.ppf(CONFIDENCE, r - 1))
    margin = quantile * spread / math.sqrt(r)
    diverged = bool(np.any(arrays["f1_diverged"]) or np.any(arrays["mse_diverged"]))
    inconclusive = []
    f1_claim = "established" if mean > margin else "worse" if mean < -margin else "undecided"
    if diverged:
        inconclusive.append(f"a training run diverged (lr = {lr:g}); lower lr")
        f1_claim = "undecided"
    elif f1_claim == "worse":
        failed.append(f"soft-F1 training gives a lower test F1 than the square loss: mean gain {mean:+.3f} < "
                      f"−{margin:.3f} (95% bound over {r} replicates)")
    elif f1_claim == "undecided":
        needed = min(int(math.ceil((quantile * spread / mean) ** 2)) + 1, 10_000) if mean > 0 else None
        inconclusive.append(
            f"the mean test-F1 gain of soft-F1 over the square loss, {mean:+.3f}, is within the 95% margin "
            f"±{margin:.3f} of {r} replicates"
            + (f"; raise replicates to >= {needed}" if needed and needed <= 40 else
               "; raise replicates (up to 40) or move to a heavier imbalance / shorter budget"))
    if failed:
        # the exact identities are decided by construction (no budget): a violation is a decided FAIL
        # even when the F1 comparison is undecided
        outcome, reason = decide(exact_error, EXACT_TOLERANCE, fail_reasons=failed,
                                 what="max deviation of the exact soft-confusion identities")
        if inconclusive:
            reason += f" (F1 comparison undecided: {inconclusive[0]})"
    else:
        outcome, reason = decide(exact_error, EXACT_TOLERANCE, inconclusive_reasons=inconclusive,
                                 what="max deviation of the exact soft-confusion identities")
        if outcome == PASS:
            reason += (f"; test F1 {f1_soft.mean():.3f} (soft-F1) vs {f1_mse.mean():.3f} (square loss), "
                       f"gain {mean:+.3f} > 95% margin {margin:.3f} over {r} replicates")
    details = {
        **errors,
        "positives": positives(config.imbalance),
        "mean_test_f1_soft": float(f1_soft.mean()), "mean_test_f1_mse": float(f1_mse.mean()),
        "sd_test_f1_soft": float(f1_soft.std(ddof=1)), "sd_test_f1_mse": float(f1_mse.std(ddof=1)),
        "mean_gain": mean, "sd_gain": spread, "margin_95": margin, "f1_claim": f1_claim,
        "test_f1_soft": [float(v) for v in f1_soft], "test_f1_mse": [float(v) for v in f1_mse],
    }
    return Result(
        predicted=float(f1_mse.mean()),
        measured=float(f1_soft.mean()),
        error=exact_error,
        tolerance=EXACT_TOLERANCE,
        outcome=outcome,
        reason=reason,
        arrays={"grid": arrays["grid"], "h_grid": arrays["h_grid"], "f1_test_f1": arrays["f1_test_f1"],
                "mse_test_f1": arrays["mse_test_f1"], "f1_test_p": arrays["f1_test_p"],
                "mse_test_p": arrays["mse_test_p"], "y_test": y, "h_at_tau": arrays["h_at_tau"], "soft_confusion": arrays["soft_confusion"],
                "soft_confusion_at_hard": arrays["soft_confusion_at_hard"], "test_f1_gains": gains},
        details=details,
    )


def plot(config: SoftConfusionConfig, result: Result, path) -> None:
    a = result.arrays
    fig, axes = figure(1, 2)
    ax = axes[0, 0]
    for i in (0, 2, 4, 6, 8):
        ax.plot(a["grid"], a["h_grid"][i], lw=1.2, label=f"τ = {DEFAULT_THRESHOLDS[i]:.1f}")
    ax.set_xlabel("predicted probability p")
    ax.set_ylabel("H(p)")
    name = f"H_(τ,δ), δ = {config.threshold_width} (loss: {config.surrogate} surrogate)"
    ax.set_title(f"{name}: {result.outcome.upper()}", fontsize=10)
    ax.legend(fontsize=7)
    ax = axes[0, 1]
    steps = np.arange(a["f1_test_f1"].shape[1]) * EVERY
    for key, label in (("f1_test_f1", "soft-F1 loss"), ("mse_test_f1", "square loss")):
        curves = a[key]
        mean, sd = np.nanmean(curves, axis=0), np.nanstd(curves, axis=0)
        ax.plot(steps, mean, lw=1.5, label=label)
        ax.fill_between(steps, mean - sd, mean + sd, alpha=0.2)
    ax.set_xlabel("Adam step")
    ax.set_ylabel("test F1 (threshold ½)")
    ax.set_title(f"digits one-vs-rest, {config.imbalance:.0%} positives, lr = {config.lr} "
                 f"(mean ± sd, {curves.shape[0]} replicates)", fontsize=9)
    ax.legend(fontsize=8)
    fig.savefig(path, dpi=110)


def plot_sweep(rows, path) -> None:
    """Test F1 against the positive fraction for both losses (mean over seeds, ± the seed sd)."""
    fig, axes = figure(1, 1)
    ax = axes[0, 0]
    groups = sorted({(r["config"]["surrogate"], r["config"]["threshold_width"], r["config"]["lr"],
                      r["config"]["steps"]) for r in rows})
    for surrogate, delta, lr, steps in groups:
        mine = [r for r in rows if (r["config"]["surrogate"], r["config"]["threshold_width"], r["config"]["lr"],
                                    r["config"]["steps"]) == (surrogate, delta, lr, steps)]
        levels = sorted({r["config"]["imbalance"] for r in mine})
        tag = f"{surrogate}" + (f" δ={delta}" if surrogate == "linear" else "") + f", lr={lr}, {steps} steps"
        for key, marker, label in (("test_f1_soft", "o-", "soft-F1"), ("test_f1_mse", "s--", "square loss")):
            values = [np.concatenate([r["details"][key] for r in mine if r["config"]["imbalance"] == v])
                      for v in levels]
            ax.errorbar(levels, [v.mean() for v in values], yerr=[v.std() for v in values], fmt=marker, capsize=3,
                        label=f"{label} ({tag})")
    ax.set_xlabel("positive fraction (imbalance)")
    ax.set_ylabel("test F1 (threshold ½)")
    ax.set_title(f"soft-F1 vs square loss, digits one-vs-rest: {sum(r['outcome'] == PASS for r in rows)}/"
                 f"{len(rows)} runs pass", fontsize=10)
    ax.legend(fontsize=7)
    fig.savefig(path, dpi=110)


CHECK = register(
    Check(
        name="soft_confusion",
        statement="The piecewise-linear Heaviside H_(τ,δ) has H(0)=0, H(τ)=½, H(1)=1 and is strictly increasing; "
                  "its soft confusion matrix partitions exactly and is the hard one at 0/1 predictions; "
                  "training on soft F1 beats the square loss in test F1 on heavily imbalanced data.",
        source="Tsoi et al., NeurIPS 2022, arXiv:2009.01367 (shared/THEORY.md §15)",
        config_type=SoftConfusionConfig,
        run=None,
        plot=plot,
        negative_controls=({"surrogate": "step"},),
        needs_x64=True,
        # the runs take ~0.2 s and the compile the rest: corners of the data keys share the default's
        # compile; every static corner is one more compile (~10 s), so those run under -m slow
        quick={},
        slow_corners=("imbalance=low", "imbalance=high", "steps=low", "steps=high", "replicates=low",
                      "replicates=high"),
        data_keys=("threshold_width", "lr"),
        simulate=simulate,
        verdict=verdict,
        plot_sweep=plot_sweep,
    )
)
