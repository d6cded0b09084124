"""SGD + weight decay: the rank of a hidden layer falls with λ and μ, and is lower at B = 1 than at B ≥ 16.

**Statement.** Galanti, Siegel, Gupte, Poggio, "SGD and Weight Decay Secretly Minimize the Rank of
Your Neural Network", arXiv:2206.05794 (CPAL 2025), abstract (verified, v7): the low-rank bias of
minibatch SGD with weight decay "is more pronounced when using smaller batch sizes, higher learning
rates, or increased weight decay", and weight decay is necessary for it. The mechanism is the exact
unrolling behind Lemma 3.2 / Theorem 3.4 (re-derived and tested to 1e-10 in ``low_rank_bound``):
on the paper's objective L + λ‖W‖² (here ``plain_sgd(μ, weight_decay=2λ)``, so one step is
``W ← (1 − 2μλ)W − μ∇L_S(W)``; no momentum), a dense layer's minibatch gradient has rank ≤ B, so

    min_{rank M ≤ kB} ‖W_T − M‖_F ≤ (1 − 2μλ)^k ‖W_{T−k}‖_F     for every k.

The rank that this bound certifies at a fixed distance grows like B/(2μλ): smaller B, larger μ,
larger λ give lower rank; with λ = 0 the factor is 1 and nothing is predicted.

**Setup.** scikit-learn's digits (:func:`models.load_digits`, the 1348 training samples,
standardised, one-hot targets), each input then projected onto the sphere of radius √64 = 8 (the
standardised digits hold rare samples with ‖x‖ up to 44 against a median of 6.6, from
near-constant pixels; drawn alone at B = 1 they kick the net hard enough that λ = 0 SGD diverges at
μ ≥ 0.05, which would leave the negative control without a finite run). A bias-free ReLU MLP
64 → 64 → 64 → 10 (init scale 0.3, as in ``low_rank_bound``), square loss (1/B)Σ‖f(x) − y‖²,
float32 (the rank threshold 1e-3 is four orders above float32 round-off). ``dynamics.sgd`` runs
``steps`` steps for every setting: batch sizes are compared at equal numbers of SGD steps, not
equal epochs. Three sweeps, each over ``seeds`` seeds (a seed fixes the initialisation and the
batch stream, shared across the sweep values: common random numbers, so differences are paired):

* λ over ``weight_decays`` at μ = ``lr``, B = min(``batch_sizes``);
* μ over ``lrs`` at λ = ``weight_decay``, B = min(``batch_sizes``);
* B over ``batch_sizes`` at μ = ``lr``, λ = ``weight_decay``.

Runs that share a batch size are one ``vmap`` over (μ, λ, seed) inside ``simulate``; each batch
size is its own static loop (it changes shapes). ``lr`` and ``weight_decay`` are traced data. The
measured quantity is the numerical rank of the middle 64 × 64 matrix at step T: the number of
singular values of W/‖W‖_F above 1e-3 (:func:`dynamics.numerical_rank`, the reference code's rule).

**Choice of μ, λ, width.** A prototype saw no batch-size effect where B/(2μλ) was far above the
width: there the bound certifies nothing for any B, and the rank only tracks how many decay
steps have erased W_0 (also seen here, before the input projection, T = 6000: at μ = 0.02,
λ = 0.02, B = 1 and B = 16 both end at rank 43–45). The bound separates the batch sizes only if, for B = 1, the factor (1 − 2μλ)^k falls
substantially for some kB below the width while for B = 16 it cannot. At the default μ = 0.1,
λ = 0.05 (2μλ = 0.01) and width 64: for B = 1 the largest k with kB < 64 gives 0.99^63 = 0.53
(the bound reaches ~½‖W‖ within rank 63), for B = 16 only k ≤ 3, 0.99^3 = 0.97 (vacuous).
``validate`` admits only sweeps the bound can decide (bad input otherwise, not a verdict):
the B = 1 factor at (``lr``, ``weight_decay``) must be <= 0.6; ``batch_sizes`` must hold B = 1 (for
B >= 2 the factor (1 − 2μλ)^(⌈64/B⌉−1) stays above 0.6 at every admissible μλ <= 0.12·0.06, so the
earlier "a B <= 4" admitted values that could never pass); the largest of ``lrs`` (at λ =
``weight_decay``) and of ``weight_decays`` (at μ = ``lr``) must make the factor bite, <= 0.6, and each
sweep must span a factor >= 2 (or start at 0), so that its extremes differ in the certified rank
B/(2μλ) by at least 2×. Without these a sweep where the bound predicts no fall was judged on one
(``lrs=0.01,0.02``, seed 301: both factors >= 0.88, yet it "passed"). Larger λ collapses the net
toward 0 (λ ≳ 0.06), larger μ makes λ = 0 SGD at B = 1 diverge (μ = 0.2 did, in one seed of two);
the ranges stop there. A run whose middle layer collapsed (‖W‖_F <= 1e-4, init ≈ 2.4) leaves its
comparisons undecided (inconclusive: lower weight_decay or lr): the rank of a dead layer is no
low-rank bias.

**Tolerance (derived, not tuned).** Each trend is a list of paired comparisons (a seed fixes the
initialisation and the batch stream for every setting, so per seed s the rank difference d_s,
higher-rank setting minus lower, is paired): its mean d̄ and standard error SE = sd(d)/√n. A
*fall* holds if d̄ ≥ max(2·SE, 1, 0.1·r̄_high): 2·SE is the one-sided 97.7% normal margin of a
mean; 1 is the rank's resolution (an integer count: a difference below one singular value is no
change); 0.1·r̄_high (r̄_high the seed-mean rank of the setting predicted higher) makes the fall a
relative one, as the prediction is: the certified rank kB at a fixed distance scales like
B/(2μλ), multiplicatively, and a near-full layer's numerical rank moves by 1–2 singular values
(2–3% of 64) between settings without any trend, as its smallest singular values cross 1e-3
(seen at λ = 0: ranks 62.5–64). With only 2 seeds the SE of two equal differences is 0, so
without the relative floor a 1-singular-value wobble at full rank (63.5 against 62.5, seed 13)
passed as a "fall"; 10% is 3–5× that wobble and a tenth of the smallest predicted ratio (the
default's falls are 3–12×).
The falls tested are: the smallest λ against the largest, the smallest μ against the largest, and
B_min against every B ≥ 16. Between consecutive λ's (μ's) the bound predicts a fall only where
B/(2μλ) crosses the width, so there a tie is allowed and only a significant *rise*
(d̄ < −max(2·SE, 1, 0.1·r̄_high)) fails: at T = 6000, μ = 0.025 and μ = 0.05 (λ = 0.05, B = 1) both settle near
rank 15, while μ = 0.1 falls to ~4. ``error`` = max over all comparisons of (required − d̄), in
singular values; ``tolerance`` = 0.

**Verdict.** A comparison one of whose runs diverged or collapsed cannot be decided (inconclusive:
lower the step size, or weight_decay). A strict fall below its required margin *fails* only when the
fall is excluded, d̄ + 2·SE < max(1, 0.1·r̄_high) (the upper end of its 97.7% interval is below the
rank's resolution); a positive fall that the seeds' spread leaves undecided (d̄ < 2·SE but
d̄ + 2·SE >= that floor) is inconclusive, "raise seeds" (μ = 0.12, λ = 0.03 against 0.06, seed 402:
d̄ = 4.5 with 2·SE = 5 was a false FAIL before); a decided comparison that fails makes the check fail whatever else was undecided;
otherwise pass when every comparison holds.

**Negative control.** ``weight_decay=0``: the μ and B sweeps then run without weight decay; the
middle layer keeps full numerical rank (63–64 of 64) at every μ and B, no difference reaches one
singular value, and the check fails. (The λ sweep is unaffected by the control: it is the
positive contrast on the same figure.) Caveat: without weight decay, SGD at μ = 0.1, B = 1 sits at
its stability edge (train accuracy near chance, the middle layer's norm grows 3–4× from init); a
run whose weights grow along one direction can show a spuriously low numerical rank while staying
finite (seeds 0 and 11 of a sweep: rank ~2 in one of the two inner seeds; the across-seed SE kept
that comparison from holding), or diverge. Over the seeds 0–3, 11–13 and 21 (one sweep, default
config) the check passed on all eight and the control failed on seven; on seed 3 the μ = 0.1,
B = 1 run without weight decay diverged, every comparison it enters was undecided, and the control
ended inconclusive (exit 3) rather than failing: a limit of this control, stated, not hidden. Before
the relative floor above, seed 13's control passed on a 1-singular-value wobble at full rank.
"""

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np

from theorycheck import dynamics
from theorycheck import models
from theorycheck._check import FAIL, INCONCLUSIVE, PASS, Check, Result, config_field, register

from ._common import figure

WIDTH, IN_DIM, CLASSES, INIT_SCALE, INPUT_RADIUS = 64, 64, 10, 0.3, 8.0
SE_FACTOR, RESOLUTION, RELATIVE_RESOLUTION = 2.0, 1.0, 0.1
MAX_FACTOR = 0.6  # (1 − 2μλ)^k at the largest kB < width must fall below this for B_min
LARGE_BATCH = 16
SPAN = 2.0  # the λ and μ sweeps' largest value must be >= SPAN × the smallest (or the smallest is 0)
LR_HIGH, WD_HIGH = 0.12, 0.06
SEEDS_HIGH = 6
COLLAPSED_NORM = 1e-4  # ‖W_mid‖_F below this (init ≈ 2.4): the net fell to zero, its rank says nothing


@dataclasses.dataclass(frozen=True)
class LowRankTrendsConfig:
    weight_decay: float = config_field(0.05, low=0.0, high=WD_HIGH,
                                       help="the paper's λ in L + λ‖W‖² (plain_sgd weight_decay = 2λ) for the μ "
                                            "and B sweeps; 0 is the negative control; above ~0.06 the net collapses")
    weight_decays: tuple = config_field((0.005, 0.02, 0.05), low=0.0, high=0.06,
                                        help="λ values of the λ sweep (at μ = lr, B = min batch_sizes)")
    lrs: tuple = config_field((0.025, 0.05, 0.1), low=0.01, high=0.12,
                              help="μ values of the μ sweep (at λ = weight_decay, B = min batch_sizes); "
                                   "B = 1 without weight decay diverged at 0.2 (one seed of two)")
    batch_sizes: tuple = config_field((1, 16), low=1, high=64,
                                      help="B values of the B sweep (at μ = lr, λ = weight_decay): the smallest "
                                           "(must be 1) against every B >= 16, at equal numbers of steps")
    seeds: int = config_field(2, low=2, high=SEEDS_HIGH, help="independent seeds per setting inside one run, drawn from the run's key (>= 2: the margin "
                                                           "uses the across-seed SE)")
    steps: int = config_field(3000, low=3000, high=6000,
                              help="SGD steps T, the same for every setting (verified up to 6000; longer runs at "
                                   "B = 1, μ = 0.1 approach a noise-set steady state not studied here)")
    lr: float = config_field(0.1, low=0.09, high=LR_HIGH,
                             help="SGD step size μ for the λ and B sweeps (the bound separates B only for "
                                  "2μλ·width ≳ 0.5)")

    def validate(self):
        for key in ("weight_decays", "lrs", "batch_sizes"):
            values = getattr(self, key)
            if len(values) < 2 or len(set(values)) != len(values):
                raise ValueError(f"config key {key!r} needs at least two distinct values, got {values!r}")
        small, large = min(self.batch_sizes), max(self.batch_sizes)
        if small != 1 or large < LARGE_BATCH:
            raise ValueError(f"config key 'batch_sizes' must hold B = 1 and a B >= {LARGE_BATCH} (the claim compares "
                             f"small against large batches; for B >= 2 the factor (1 − 2μλ)^(⌈{WIDTH}/B⌉−1) stays "
                             f"above {MAX_FACTOR} at every admissible μλ <= {LR_HIGH * WD_HIGH:.4f}), got {self.batch_sizes!r}")
        for key in ("weight_decays", "lrs"):
            values = getattr(self, key)
            if min(values) > 0 and max(values) < SPAN * min(values):
                raise ValueError(f"config key {key!r} must span a factor >= {SPAN:g} (the certified rank B/(2μλ) "
                                 f"then falls at least {SPAN:g}x from its smallest to its largest value; a narrower "
                                 f"span predicts a fall below the rank's resolution), got {values!r}")
        if _factor(self.lr, max(self.weight_decays), 1) > MAX_FACTOR:
            raise ValueError(f"config key 'weight_decays': at μ = lr = {self.lr:g} its largest λ must make "
                             f"(1 − 2μλ)^{WIDTH - 1} <= {MAX_FACTOR} (the bound bites, a fall is predicted): "
                             f"raise max(weight_decays) to >= {_needed(self.lr):.4f}")
        if self.weight_decay > 0:
            factor = _factor(self.lr, self.weight_decay, small)
            if factor > MAX_FACTOR:
                raise ValueError(
                    f"config keys 'lr' and 'weight_decay': (1 − 2μλ)^k = {factor:.2f} at the largest kB < width "
                    f"{WIDTH} for B = {small}, so the bound cannot separate the batch sizes; raise "
                    f"weight_decay to >= {_needed(self.lr):.4f}")
            if _factor(max(self.lrs), self.weight_decay, 1) > MAX_FACTOR:
                raise ValueError(f"config key 'lrs': at λ = weight_decay = {self.weight_decay:g} its largest μ must "
                                 f"make (1 − 2μλ)^{WIDTH - 1} <= {MAX_FACTOR} (the bound bites, a fall is predicted): "
                                 f"raise max(lrs) to >= {_needed(self.weight_decay):.4f}")


def _needed(other):
    """The smallest μ (or λ) that makes (1 − 2μλ)^(WIDTH − 1) <= MAX_FACTOR given the other factor."""
    return (1.0 - MAX_FACTOR ** (1.0 / (WIDTH - 1))) / (2.0 * other)


def _factor(lr, lam, batch):
    return (1.0 - 2.0 * lr * lam) ** (math.ceil(WIDTH / batch) - 1)


def _settings(config):
    """Per batch size, the (μ, λ) rows it runs, and the index of each sweep's rows."""
    small = min(config.batch_sizes)
    rows = {b: [] for b in config.batch_sizes}
    index = {"weight_decay": [], "lr": [], "batch": []}
    for lam in config.weight_decays:
        index["weight_decay"].append((small, len(rows[small])))
        rows[small].append(("lr", float(lam)))
    for mu in config.lrs:
        index["lr"].append((small, len(rows[small])))
        rows[small].append((float(mu), "weight_decay"))
    for b in config.batch_sizes:
        index["batch"].append((b, len(rows[b])))
        rows[b].append(("lr", "weight_decay"))
    return rows, index


def _problem(key_data):
    x, y, _, _ = models.load_digits(key_data)
    x = INPUT_RADIUS * x / jnp.linalg.norm(x, axis=1, keepdims=True)
    with jax.ensure_compile_time_eval():  # models.mlp validates init_scale with jnp (a tracer under jit)
        net = models.mlp([IN_DIM, WIDTH, WIDTH, CLASSES], bias=False, init_scale=INIT_SCALE)
    return x.astype(jnp.float32), y.astype(jnp.float32), net


def simulate(config: LowRankTrendsConfig, data, key):
    key_data, key_seeds = jax.random.split(key)
    x, y, net = _problem(key_data)
    seed_keys = jax.random.split(key_seeds, config.seeds)

    def loss(params, batch):
        return jnp.mean(jnp.sum((net.apply(params, batch[0]) - batch[1]) ** 2, axis=1))

    def one(batch_size, lr, lam, seed_key):
        key_init, key_run = jax.random.split(seed_key)
        params0 = jax.tree.map(lambda a: a.astype(jnp.float32), net.init(key_init))
        lr, lam = jnp.asarray(lr, jnp.float32), jnp.asarray(lam, jnp.float32)  # float32 even under x64
        run = dynamics.sgd(loss, dynamics.plain_sgd(lr, weight_decay=2.0 * lam), (x, y), batch_size=batch_size,
                           num_steps=config.steps, every=config.steps)
        traj = run(params0, key_run)
        final = traj.final_params
        s = jnp.linalg.svd(final[1]["w"], compute_uv=False)
        accuracy = jnp.mean(jnp.argmax(net.apply(final, x), 1) == jnp.argmax(y, 1))
        return {"singular_values": s, "diverged": traj.diverged, "accuracy": accuracy,
                "norm": jnp.sqrt(jnp.sum(s**2))}

    rows, _ = _settings(config)
    out = {}
    for b, settings in rows.items():
        lrs = jnp.stack([data["lr"] if mu == "lr" else jnp.asarray(mu, data["lr"].dtype) for mu, _ in settings])
        lams = jnp.stack([data["weight_decay"] if lam == "weight_decay" else jnp.asarray(lam, data["weight_decay"].dtype)
                          for _, lam in settings])
        grid = jax.vmap(jax.vmap(lambda mu, lam, k: one(b, mu, lam, k), in_axes=(None, None, 0)), in_axes=(0, 0, None))
        result = grid(lrs, lams, seed_keys)  # (settings, seeds, ...)
        for name, value in result.items():
            out[f"b{b}_{name}"] = value
        out[f"b{b}_lrs"], out[f"b{b}_weight_decays"] = lrs, lams
    return out


def _compare(higher, lower):
    """Paired comparison of seed ranks: (mean difference, its SE, required margin)."""
    d = np.asarray(higher, float) - np.asarray(lower, float)
    se = float(np.std(d, ddof=1) / math.sqrt(d.size)) if d.size > 1 else math.inf
    floor = max(RESOLUTION, RELATIVE_RESOLUTION * float(np.mean(higher)))
    return float(np.mean(d)), se, max(SE_FACTOR * se, floor)


def _ranks(arrays, batch, row):
    s = arrays[f"b{batch}_singular_values"][row]  # (seeds, width)
    return np.asarray(dynamics.numerical_rank(s)), np.asarray(dynamics.effective_rank(s))


def verdict(config: LowRankTrendsConfig, data, arrays) -> Result:
    _, index = _settings(config)
    sweeps = {
        "weight_decay": (list(config.weight_decays), index["weight_decay"]),
        "lr": (list(config.lrs), index["lr"]),
        "batch": (list(config.batch_sizes), index["batch"]),
    }
    out = dict(arrays)
    details, comparisons, failed, undecided = {}, [], [], []
    for name, (values, rows) in sweeps.items():
        order = np.argsort(values)
        ranks, eff, div, dead = [], [], [], []
        for b, r in rows:
            rank, er = _ranks(arrays, b, r)
            ranks.append(rank)
            eff.append(er)
            div.append(np.asarray(arrays[f"b{b}_diverged"][r]))
            dead.append(~(np.asarray(arrays[f"b{b}_norm"][r]) > COLLAPSED_NORM))  # NaN counts as dead too
        out[f"{name}_values"] = np.asarray(values, float)
        out[f"{name}_ranks"], out[f"{name}_effective_ranks"] = np.stack(ranks), np.stack(eff)
        details[f"{name}_mean_ranks"] = [float(np.mean(r)) for r in ranks]
        details[f"{name}_mean_effective_ranks"] = [float(np.mean(e)) for e in eff]
        if name == "batch":  # B_min against every B >= 16: the large batch has the higher rank
            small = int(order[0])
            pairs = [(i, small) for i in range(len(values)) if values[i] >= LARGE_BATCH]
        else:  # the smallest λ (μ) against the largest: a fall; consecutive values: no significant rise
            pairs = [(int(order[0]), int(order[-1]), True)]
            pairs += [(int(order[i]), int(order[i + 1]), False) for i in range(len(values) - 1)]
        for hi, lo, *strict in pairs:
            strict = strict[0] if strict else True
            label = f"{name} {values[hi]:g} vs {values[lo]:g}" + ("" if strict else " (no rise)")
            if np.any(div[hi]) or np.any(div[lo]):
                undecided.append(f"{label}: a run diverged (lower the step size)")
                continue
            if np.any(dead[hi]) or np.any(dead[lo]):
                undecided.append(f"{label}: the net collapsed to zero (middle-layer norm <= {COLLAPSED_NORM:g}: its "
                                 f"rank is not a low-rank bias); lower weight_decay or lr")
                continue
            gap, se, required = _compare(ranks[hi], ranks[lo])
            if not strict:  # only a significant rise fails: the rank may tie between close settings
                required = -required
            comparisons.append((label, gap, se, required))
            floor = max(RESOLUTION, RELATIVE_RESOLUTION * float(np.mean(ranks[hi])))  # as in _compare
            if gap >= required:
                continue
            if not strict or gap + SE_FACTOR * se < floor:  # a significant rise, or a fall excluded at 2·SE
                failed.append(f"{label}: mean rank difference {gap:.2f} < required {required:.2f} (2·SE = {2 * se:.2f})")
            else:  # a fall below 2·SE but not excluded by it: the seeds' spread cannot decide
                remedy = (f"raise seeds to >= {min(2 * config.seeds, SEEDS_HIGH)}" if config.seeds < SEEDS_HIGH
                          else f"undecidable at {SEEDS_HIGH} seeds")
                undecided.append(f"{label}: mean rank difference {gap:.2f} < required {required:.2f} but the fall "
                                 f"is not excluded (mean + 2·SE = {gap + 2 * se:.2f} >= {floor:.2f}): {remedy}")
    details["comparisons"] = [{"pair": c[0], "gap": c[1], "se": c[2], "required": c[3]} for c in comparisons]
    details["accuracy_batch"] = [float(np.mean(arrays[f"b{b}_accuracy"][r])) for b, r in index["batch"]]
    error = max((c[3] - c[1] for c in comparisons), default=math.nan)
    if failed:
        outcome = FAIL
        reason = "; ".join(failed + undecided)
    elif undecided:
        outcome, reason = INCONCLUSIVE, "; ".join(undecided)
    else:
        outcome = PASS
        reason = (f"every rank comparison holds: min over {len(comparisons)} of (mean difference − required) = "
                  f"{-error:.2f} >= 0")
    batch_cmp = [c for c in comparisons if c[0].startswith("batch")]
    return Result(
        predicted=float(batch_cmp[0][3]) if batch_cmp else math.nan,
        measured=float(batch_cmp[0][1]) if batch_cmp else math.nan,
        error=float(error),
        tolerance=0.0,
        outcome=outcome,
        reason=reason,
        arrays=out,
        details=details,
    )


def plot(config: LowRankTrendsConfig, result: Result, path) -> None:
    a = result.arrays
    fig, axes = figure(1, 3, figsize=(13, 3.6))
    titles = {"batch": ("batch size B", f"μ = {config.lr}, λ = {config.weight_decay}"),
              "weight_decay": ("weight decay λ", f"μ = {config.lr}, B = {min(config.batch_sizes)}"),
              "lr": ("learning rate μ", f"λ = {config.weight_decay}, B = {min(config.batch_sizes)}")}
    for ax, (name, (xlabel, fixed)) in zip(axes[0], titles.items()):
        values = a[f"{name}_values"]
        order = np.argsort(values)
        ranks = a[f"{name}_ranks"][order].astype(float)
        ax.errorbar(values[order], ranks.mean(1), yerr=ranks.std(1), marker="o", capsize=3, label="numerical rank")
        eff = a[f"{name}_effective_ranks"][order]
        ax.errorbar(values[order], eff.mean(1), yerr=eff.std(1), marker="s", ls="--", capsize=3, label="effective rank")
        if name == "batch":
            ax.set_xscale("log", base=2)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(f"rank of the middle {WIDTH}×{WIDTH} layer")
        ax.set_ylim(0, WIDTH + 2)
        ax.set_title(f"rank vs {xlabel.split()[-1]} ({fixed})", fontsize=9)
        ax.legend(fontsize=7)
    fig.suptitle(f"SGD + WD low-rank trends ({config.seeds} seeds, mean ± sd, T = {config.steps}): "
                 f"{result.outcome.upper()}", fontsize=10)
    fig.savefig(path, dpi=110)


def plot_sweep(rows, path) -> None:
    """Rank against B, μ (one line per ``weight_decay``) and λ (one line per ``lr``) over a sweep's runs.

    Each run already averages its ``seeds``; the markers are the mean over the sweep's seeds (and
    the error bars their sd) of those per-run means, e.g. for
    ``theorycheck sweep low_rank_trends --grid weight_decay=0,0.02,0.05 --seeds 3``.
    """
    fig, axes = figure(1, 3, figsize=(13, 3.6))
    panels = (("batch", "batch_sizes", "weight_decay", "batch size B", "λ"),
              ("lr", "lrs", "weight_decay", "learning rate μ", "λ"),
              ("weight_decay", "weight_decays", "lr", "weight decay λ", "μ"))
    for ax, (name, values_key, group_key, xlabel, symbol) in zip(axes[0], panels):
        groups = {}
        for r in rows:
            key = (r["config"][group_key], tuple(r["config"][values_key]))
            groups.setdefault(key, []).append(r["details"][f"{name}_mean_ranks"])
        for (group, values), ranks in sorted(groups.items()):
            ranks = np.asarray(ranks, float)
            order = np.argsort(values)
            ax.errorbar(np.asarray(values)[order], ranks.mean(0)[order], yerr=ranks.std(0)[order], marker="o",
                        capsize=3, label=f"{symbol} = {group:g} ({len(ranks)} runs)")
        if name == "batch":
            ax.set_xscale("log", base=2)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(f"numerical rank, middle {WIDTH}×{WIDTH} layer")
        ax.set_ylim(0, WIDTH + 2)
        ax.legend(fontsize=7)
    passed = sum(r["outcome"] == PASS for r in rows)
    fig.suptitle(f"SGD + WD low-rank trends: {passed}/{len(rows)} runs pass", fontsize=10)
    fig.savefig(path, dpi=110)


CHECK = register(
    Check(
        name="low_rank_trends",
        statement="Under SGD + WD the numerical rank of a hidden layer falls as λ and μ grow and is lower at "
                  "B = 1 than at B >= 16 (equal steps); without WD it stays full.",
        source="Galanti, Siegel, Gupte, Poggio, arXiv:2206.05794 (CPAL 2025), abstract and Thm 3.4 "
               "(shared/THEORY.md §3 (ii), (iii))",
        config_type=LowRankTrendsConfig,
        run=None,
        plot=plot,
        negative_controls=({"weight_decay": 0.0},),
        needs_x64=False,
        quick={"steps": 3000, "seeds": 2},
        slow_corners=("seeds=low", "seeds=high", "steps=low", "steps=high", "lr=low", "lr=high",
                      "lrs=low", "lrs=high", "weight_decays=low", "weight_decays=high",
                      "batch_sizes=low", "batch_sizes=high"),
        data_keys=("lr", "weight_decay"),
        simulate=simulate,
        verdict=verdict,
        plot_sweep=plot_sweep,
    )
)
