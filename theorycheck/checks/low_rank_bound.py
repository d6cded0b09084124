"""SGD + weight decay leaves every dense layer close to low rank (Galanti et al.'s bound).

**Statement.** Minibatch SGD with batch size B on ``L_S(W) + λ‖W‖²`` (the paper's λ; in
:func:`dynamics.plain_sgd` that is ``weight_decay = 2λ``, so one step is
``W ← (1 − 2μλ)W − μ∇L_S(W)``; no momentum) satisfies, for every layer and every k,

    W_T = (1 − 2μλ)^k W_{T−k} − μ Σ_{j=1}^{k} (1 − 2μλ)^{j−1} ∇L_{S_{T−j}}(W_{T−j})

and, since a dense layer's minibatch gradient has rank ≤ B, by Eckart–Young

    min_{rank M ≤ kB} ‖W_T − M‖_F ≤ (1 − 2μλ)^k ‖W_{T−k}‖_F.

No assumption on data, convergence or optimality. Galanti, Siegel, Gupte, Poggio, "SGD and Weight
Decay Secretly Minimize the Rank of Your Neural Network", arXiv:2206.05794 (CPAL 2025), Lemma 3.2
and Theorem 3.4; shared/THEORY.md §3. Verified against the source: the abstract (v7: the bias grows
with smaller B, larger μ and λ; weight decay is necessary; no assumptions on data or convergence) and
the structure of Lemma 3.2 (W_T as the decayed W_{T−k} plus a sum of bounded-rank gradients); the
constants are re-derived here (one induction on k, then Eckart–Young), not taken from memory.

**Setup.** scikit-learn's digits (:func:`models.load_digits`, standardised, one-hot targets, the
training split of 1348 samples), a bias-free ReLU MLP 64 → ``width`` → … → 10 with ``depth`` weight
matrices (init scale 0.3: at init scale 1 SGD with B = 1 diverges at these step sizes), square
loss (1/n)Σ‖f(x) − y‖², float64. The simulator runs in two segments (no hand-written loop):
``dynamics.sgd`` for T − K steps, then K = ⌈max_l min(shape W_l)/B⌉ more steps from where it
stopped with ``every = 1`` and the :func:`dynamics.parameters` observer, which records W_{T−K},
…, W_T. The loss is wrapped by :func:`dynamics.batch_tape`, which makes the parameters carry an
exact record of each step's batch without changing the model's trajectory; the check reads the
batches back and recomputes each minibatch gradient ∇L_{S_t}(W_t) itself, so the identity is
tested against gradients the simulator never saw. Learning rate and weight decay are data (one
``vmap`` sweeps them).

**Choice of μ, λ, width.** The bound bites (< ½‖W_T‖_F) only where (1 − 2μλ)^k < ½ for some
kB < width, i.e. 2μλ·width/B ≳ ln 2 (THEORY.md §3 warns the bound is vacuous otherwise); the
paper's own settings (μλ ~ 1e-3) are far from that. Digits with B = 1 is stable only up to
μ ≈ 0.1 and λ above ~0.06 drives the net to zero, so the default is width 128, μ = 0.1, λ = 0.05
(2μλ·width/B ≈ 1.3; at λ = 0.04 a norm fluctuation of B = 1 SGD kept one seed in six above ½).
The price is a poorly fitted net (train accuracy 0.2–0.5): the theorem assumes nothing about the
fit. ``validate`` rejects settings with λ > 0 where the bound cannot bite at any kB < width (bad
input, not a verdict).

**Tolerance (derived).** The identity is exact algebra, so its residual is round-off:
each of the k steps rounds the update (ε(‖W‖ + μ‖g‖)) in the simulator and once more in the
unroll, and the recomputed gradient sums the batch in another order (ε·B‖g‖); over k ≤ K ≤ 128
steps that is below 4·K·ε·max(1, μΣ‖g‖/‖W_T‖) ≈ 1e-13 relative to ‖W_T‖_F. The tolerance is
1e-10 (the issue's figure, 1000× that estimate). The Eckart–Young bound may then be exceeded by at
most the identity's residual plus the SVD's round-off (≈ min(m, n)·ε‖W‖), so a bound violation
counts against the same 1e-10·‖W_T‖_F. ``error`` = max over layers and k of
max(identity residual, (distance − bound)) / ‖W_T‖_F.

**Verdict.** The claim is that weight decay makes the bound bite. A diverged run is inconclusive
(lower ``lr``). A *collapsed* run, one where every layer only decayed over the last K steps
(‖W_T − (1 − 2μλ)^K W_{T−K}‖_F ≤ 1e-6‖W_T‖_F: the gradients vanish, the loss is the zero
predictor's), is inconclusive with the remedy "lower depth to 3 or lr·weight_decay" (depth 5 at
width 100, μ = 0.1–0.12, λ = 0.05–0.06 collapsed on seed 113, hence the range below; depth 3 at
μ = 0.12, λ = 0.06 did not): its bound is exactly ‖W_T‖ at any horizon, so "raise steps" could never help. Otherwise a run
passes when the identity and the bound hold for every layer and every k with kB < min(shape) and
the bound bites, min_k (1 − 2μλ)^k‖W_{T−k}‖_F < ½‖W_T‖_F, on every hidden-to-hidden layer. Where it
does not bite, the simulation decides between "not yet" and "no": if the layer's norm still falls
over the tail (‖W_{T−K}‖/‖W_T‖ > 1.1) the bound is held up by the shrinking norm, inconclusive
(raise ``steps``); with a steady or growing norm it fails ("the bound does not bite").

**Ranges.** ``depth`` ≤ 4: depth 5 collapsed to W = 0 in all four runs tried (seeds 113 ×3, 219;
μλ from 0.0028 to 0.0072, widths 100 and 200), depth 4 passed in all three. ``batch_size`` ≤ 3: at B = 4 the factor (1 − 2μλ)^⌈width/B − 1⌉ stays ≥ 0.4 even at the
largest μ = 0.12, λ = 0.06, width = 256, so ``validate`` rejected every B = 4 configuration. ``validate``
names a remedy inside the ranges (raise μλ where it can reach the needed value, else lower B or
raise width).

**Negative control.** ``weight_decay=0 steps=1000``: the factor is 1, so the bound is ‖W_{T−k}‖/‖W_T‖, which the
simulation measures: with no decay the norm does not fall (seed 101: min_k ‖W_{T−k}‖/‖W_T‖ = 0.80–0.93
on the hidden layers, norms growing), the bound does not bite and the check fails on that criterion.
Without weight decay, B = 1 SGD at μ = 0.1 is unstable: the weights grow along one direction until
they overflow by the default horizon (seeds 0 and 202 diverge: inconclusive), so the control runs
``steps=1000``, where the iterates are still finite and the bite is decided. A run whose norms at least doubled within the last K steps would make the bound bite through
growth, not decay; none of the control seeds tried did.
"""

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np

from theorycheck import bounds
from theorycheck import dynamics
from theorycheck import models
from theorycheck._check import Check, Result, config_field, decide, register

from ._common import figure

INIT_SCALE = 0.3
TOLERANCE = 1e-10
BITE = 0.5
COLLAPSE = 1e-6  # gradient share ‖W_T − (1−2μλ)^K W_T−K‖/‖W_T‖ at or below this: a dead (collapsed) net
FALLING = 1.1  # ‖W_T−K‖/‖W_T‖ above this: the norm still falls over the tail (not yet steady)
STEPS_HIGH = 20_000
LR_HIGH, WD_HIGH = 0.12, 0.06
IN_DIM, CLASSES = 64, 10


@dataclasses.dataclass(frozen=True)
class LowRankBoundConfig:
    lr: float = config_field(0.1, low=0.05, high=LR_HIGH, help="SGD step size μ (B = 1 on digits diverges above ~0.12)")
    weight_decay: float = config_field(0.05, low=0.0, high=WD_HIGH,
                                       help="the paper's λ in L + λ‖W‖² (plain_sgd weight_decay = 2λ); "
                                            "above ~0.06 the net collapses to zero")
    batch_size: int = config_field(1, low=1, high=3, help="minibatch size B (the bound bites only if 2μλ·width/B ≳ ln 2; "
                                   "validate rejects B where it cannot; B = 4 never can inside the other ranges)")
    width: int = config_field(128, low=96, high=256, help="hidden width (the bound bites only if 2μλ·width/B ≳ ln 2; "
                              "the tail records ~width/B iterates, so memory grows like width³)")
    depth: int = config_field(3, low=3, high=4, help="number of weight matrices (>= 3: at least one hidden-to-hidden layer; "
                              "depth 5 collapsed to zero in every run tried)")
    steps: int = config_field(3000, low=1000, high=STEPS_HIGH, help="SGD steps T")

    def tail(self) -> int:
        """K: steps recorded at the end, enough for every k with kB below every layer's rank."""
        return math.ceil(max(min(a, b) for a, b in _shapes(self)) / self.batch_size)

    def validate(self):
        if self.steps <= self.tail():
            raise ValueError(f"config key 'steps' ({self.steps}) must exceed the recorded tail K = {self.tail()}")
        if self.weight_decay > 0:
            best = (1.0 - 2.0 * self.lr * self.weight_decay) ** math.ceil(self.width / self.batch_size - 1)
            if best >= 0.8 * BITE:
                need = (1.0 - (0.8 * BITE) ** (1.0 / math.ceil(self.width / self.batch_size - 1))) / 2  # μλ needed
                largest = LR_HIGH * WD_HIGH
                fix = (f"raise lr·weight_decay to > {need:.5f}" if need < largest else
                       f"lr·weight_decay cannot exceed {need:.5f} inside the ranges (at most {largest:.4f}): "
                       f"lower 'batch_size' or raise 'width'")
                raise ValueError(
                    f"config keys 'lr' and 'weight_decay': (1 − 2μλ)^k = {best:.2f} at the largest kB below "
                    f"'width' ({self.width}), so the bound cannot bite; {fix}")


def _shapes(config):
    widths = [IN_DIM] + [config.width] * (config.depth - 1) + [CLASSES]
    return list(zip(widths[:-1], widths[1:]))


def _problem(config, key_data):
    x, y, _, _ = models.load_digits(key_data)
    with jax.ensure_compile_time_eval():  # models.mlp validates init_scale with jnp (a tracer under jit)
        net = models.mlp([IN_DIM] + [config.width] * (config.depth - 1) + [CLASSES], bias=False,
                         init_scale=INIT_SCALE)

    def loss(params, batch):
        xb, yb = batch
        return jnp.mean(jnp.sum((net.apply(params, xb) - yb) ** 2, axis=1))

    return x, y, net, loss


def simulate(config: LowRankBoundConfig, data, key):
    key_data, key_init, key_head, key_tail = jax.random.split(key, 4)
    x, y, net, loss = _problem(config, key_data)
    tape = dynamics.batch_tape(loss, (x, y))
    wd = 2.0 * data["weight_decay"]
    optimizer = dynamics.plain_sgd(data["lr"], weight_decay=wd)
    K = config.tail()
    full_loss = dynamics.loss_observer(lambda p: loss(p["params"], (x, y)))
    head = dynamics.sgd(tape.loss_fn, optimizer, tape.data, batch_size=config.batch_size,
                        num_steps=config.steps - K, every=config.steps - K,
                        observers={"loss": full_loss, "spectra": dynamics.weight_spectra()})
    tail = dynamics.sgd(tape.loss_fn, optimizer, tape.data, batch_size=config.batch_size, num_steps=K, every=1,
                        observers={"params": dynamics.parameters(), "loss": full_loss})
    first = head(tape.init(net.init(key_init)), key_head)
    last = tail(first.final_params, key_tail)
    recorded = last.observations["params"]
    masks = dynamics.tape_batches(recorded["tape"], data["lr"], wd)  # (K, n)

    def batch_grad(params, mask):
        def masked(p):
            residual = jnp.sum((net.apply(p, x) - y) ** 2, axis=1)
            return jnp.sum(jnp.where(mask, residual, 0.0)) / config.batch_size
        return jax.grad(masked)(params)

    steps_params = jax.tree.map(lambda a: a[:-1], recorded["params"])
    grads = jax.vmap(batch_grad)(steps_params, masks)
    arrays = {
        "batch_sizes_read": jnp.sum(masks, axis=1),
        "loss_head": first.observations["loss"],
        "loss_tail": last.observations["loss"],
        "diverged": first.diverged | last.diverged,
        "train_accuracy": jnp.mean(jnp.argmax(net.apply(last.final_params["params"], x), 1) == jnp.argmax(y, 1)),
    }
    for i, layer in enumerate(recorded["params"]):
        arrays[f"w{i}"] = layer["w"]  # (K + 1, m, n): W_{T−K} .. W_T
        arrays[f"g{i}"] = grads[i]["w"]  # (K, m, n): ∇L_{S_t}(W_t), t = T−K .. T−1
        arrays[f"rank_head{i}"] = first.observations["spectra"]["params"][i]["w"]["rank"]
    return arrays


def _decay_only(w, lr, lam) -> float:
    """‖W_T − (1 − 2μλ)^K W_{T−K}‖_F / ‖W_T‖_F: the gradients' share of the last K steps (0 for a dead net)."""
    K = w.shape[0] - 1
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return float(np.linalg.norm(w[-1] - bounds.galanti23_decay(lr, lam) ** K * w[0]) / np.linalg.norm(w[-1]))


def verdict(config: LowRankBoundConfig, data, arrays) -> Result:
    lr, lam = data["lr"], data["weight_decay"]
    B, K = config.batch_size, config.tail()
    if bool(arrays["diverged"]) or not all(np.all(np.isfinite(arrays[f"w{i}"])) for i in range(config.depth)):
        return Result(math.nan, math.nan, math.nan, TOLERANCE, "inconclusive",
                      f"SGD diverged at lr={lr:g}; the claim is about finite iterates: lower lr",
                      dict(arrays), {"diverged": True})
    learning = [_decay_only(arrays[f"w{i}"], lr, lam) for i in range(config.depth)]
    share = max((v for v in learning if np.isfinite(v)), default=0.0)  # a 0/0 (all-zero layer) shares nothing
    zero_layer = any(not np.any(arrays[f"w{i}"][-1]) for i in range(config.depth))  # the net's output is 0
    if not share > COLLAPSE or zero_layer:
        return Result(math.nan, math.nan, math.nan, TOLERANCE, "inconclusive",
                      f"the net collapsed to zero: over the last K = {K} steps every layer only decayed "
                      f"(gradient share {share:.2g} <= {COLLAPSE:g}, loss "
                      f"{float(arrays['loss_tail'][-1]):.4g} = the zero predictor's), so the bound is (1−2μλ)^k‖W_T−k‖ "
                      f"= ‖W_T‖ exactly at any steps; lower depth to 3 (no collapse seen there at the largest lr·weight_decay) "
                      f"or lower lr·weight_decay",
                      dict(arrays), {"collapsed": True, "gradient_share": learning,
                                     "final_loss": float(arrays["loss_tail"][-1])})
    identity, violation, bite, fall, details, out = [], [], [], [], {}, dict(arrays)
    hidden = range(1, config.depth - 1)
    for i, (m, n) in enumerate(_shapes(config)):
        w, g = arrays[f"w{i}"], arrays[f"g{i}"]
        w_T = w[-1]
        norm_T = np.linalg.norm(w_T)
        unrolled = bounds.galanti23_unrolled_weights(w, g, lr, lam)  # (K, m, n), horizon k = 1..K
        residual = np.linalg.norm((unrolled - w_T[None]).reshape(K, -1), axis=1) / norm_T
        ks = np.arange(1, K + 1)
        usable = ks * B < min(m, n)
        norms_past = np.linalg.norm(w[::-1][1:].reshape(K, -1), axis=1)  # ‖W_{T−k}‖, k = 1..K
        bound = bounds.galanti23_low_rank_distance(norms_past, ks, lr, lam) / norm_T
        distance = bounds.eckart_young_distance(w_T, ks * B) / norm_T
        identity.append(float(residual.max()))
        violation.append(float(np.max(np.where(usable, distance - bound, -np.inf))))
        out[f"bound{i}"], out[f"distance{i}"], out[f"identity_residual{i}"] = bound, distance, residual
        s = np.linalg.svd(w_T, compute_uv=False)
        details[f"layer{i}_rank_T"] = int(dynamics.numerical_rank(s))
        details[f"layer{i}_effective_rank_T"] = float(dynamics.effective_rank(s))
        details[f"layer{i}_rank_init"] = int(arrays[f"rank_head{i}"][0])
        details[f"layer{i}_min_bound_ratio"] = float(np.min(np.where(usable, bound, np.inf)))
        details[f"layer{i}_norm_fall"] = float(norms_past[-1] / norm_T)
        if i in hidden:
            bite.append(details[f"layer{i}_min_bound_ratio"])
            fall.append(details[f"layer{i}_norm_fall"])
    error = max(max(identity), max(violation))
    details.update(identity_residual=max(identity), bound_violation=max(violation), gradient_share=learning,
                   batches_read_ok=bool(np.all(arrays["batch_sizes_read"] == B)),
                   train_accuracy=float(arrays["train_accuracy"]), final_loss=float(arrays["loss_tail"][-1]))
    fail_reasons = []
    if not details["batches_read_ok"]:
        fail_reasons.append("the batch tape did not read back batches of size B (the simulator's update is "
                            "not plain SGD with coupled weight decay)")
    inconclusive = []
    for i, b, falling in zip(hidden, bite, fall):
        if b < BITE:
            continue
        if falling > FALLING:  # the norm ratio ‖W_T−k‖/‖W_T‖ holds the bound up: not yet at its steady norm
            remedy = (f"raise steps to >= {min(2 * config.steps, STEPS_HIGH)}" if config.steps < STEPS_HIGH
                      else "lower weight_decay (the norms still fall at the largest steps)")
            inconclusive.append(f"layer {i}: the bound stays at {b:.2f}‖W_T‖ >= {BITE}‖W_T‖ because the norm still "
                                f"falls (‖W_T−K‖/‖W_T‖ = {falling:.2f} > {FALLING}): {remedy}")
        else:
            fail_reasons.append(f"layer {i}: the bound does not bite: min_k (1−2μλ)^k‖W_T−k‖ = {b:.2f}‖W_T‖ >= "
                                f"{BITE}‖W_T‖ with a steady norm (‖W_T−K‖/‖W_T‖ = {falling:.2f}): the decay factor "
                                f"did not shrink the iterates (λ = {lam:g})")
    outcome, reason = decide(error, TOLERANCE, fail_reasons=fail_reasons, inconclusive_reasons=inconclusive,
                             what="max(identity residual, Eckart–Young bound excess)/‖W_T‖_F")
    mid = 1
    k_best = int(np.argmin(np.where(np.arange(1, K + 1) * B < config.width, out[f"bound{mid}"], np.inf)))
    return Result(
        predicted=float(out[f"bound{mid}"][k_best]),
        measured=float(out[f"distance{mid}"][k_best]),
        error=float(error),
        tolerance=TOLERANCE,
        outcome=outcome,
        reason=reason,
        arrays=out,
        details=details,
    )


def plot(config: LowRankBoundConfig, result: Result, path) -> None:
    a = result.arrays
    fig, axes = figure(1, 2)
    ax = axes[0, 0]
    ks = np.arange(1, config.tail() + 1) * config.batch_size
    for i, (m, n) in enumerate(_shapes(config)):
        usable = ks < min(m, n)
        line, = ax.plot(ks[usable], a[f"bound{i}"][usable], lw=2, label=f"bound, layer {i} ({m}×{n})")
        ax.plot(ks[usable], a[f"distance{i}"][usable], ":", color=line.get_color(), label=f"distance, layer {i}")
    ax.axhline(BITE, color="k", lw=0.5)
    ax.set_xlabel("rank kB")
    ax.set_ylabel("‖W_T − best rank-kB‖_F / ‖W_T‖_F")
    ax.set_title(f"Eckart–Young bound (1−2μλ)^k‖W_T−k‖: {result.outcome.upper()}", fontsize=9)
    ax.legend(fontsize=6)
    ax = axes[0, 1]
    for i in range(config.depth):
        s = np.linalg.svd(a[f"w{i}"][-1], compute_uv=False)
        ax.semilogy(s / np.linalg.norm(s), label=f"layer {i}")
    ax.axhline(1e-3, color="k", lw=0.5)
    ax.set_xlabel("index")
    ax.set_ylabel("σ_i(W_T)/‖W_T‖_F")
    ax.legend(fontsize=7)
    fig.savefig(path, dpi=110)


SWEPT_FOR_RANK = ("batch_size", "weight_decay", "lr", "width", "depth", "steps")


def _diverged(row) -> bool:
    return bool(row["details"].get("diverged")) or "diverged" in row["reason"]


def plot_sweep(rows, path) -> None:
    """Galanti et al.'s trends from a grid, e.g. ``theorycheck sweep low_rank_bound --grid
    weight_decay=0,0.04,0.05,0.06 --grid lr=0.09,0.1,0.12 --seeds 3``: the numerical rank of
    W_T (singular values of W/‖W‖_F above 1e-3) of each hidden-to-hidden layer, and its effective
    rank, against every key that the grid varies (one panel each; one line per value of the other
    varied keys, mean over seeds, dots per seed), with the initial rank for reference."""
    varied = [k for k in SWEPT_FOR_RANK if len({r["config"][k] for r in rows}) > 1] or ["weight_decay"]
    fig, axes = figure(1, len(varied), figsize=(6.4 * len(varied), 4.4))
    for ax, key in zip(axes[0], varied):
        others = [k for k in varied if k != key]
        groups: dict = {}
        for r in rows:
            groups.setdefault(tuple(r["config"][k] for k in others), []).append(r)
        for i, (label, all_members) in enumerate(sorted(groups.items())):
            members = [r for r in all_members if not _diverged(r)]
            for r in all_members:
                if _diverged(r):
                    ax.plot(r["config"][key], 0, "x", color="r", ms=8)
            if not members:
                continue
            xs = sorted({r["config"][key] for r in members})
            hidden = range(1, members[0]["config"]["depth"] - 1)
            for layer, style in zip(hidden, ("o-", "s--", "^-.")):
                ranks = [[r["details"].get(f"layer{layer}_rank_T") for r in members if r["config"][key] == x] for x in xs]
                ranks = [[v for v in rs if v is not None] for rs in ranks]
                for x, rs in zip(xs, ranks):
                    ax.plot([x] * len(rs), rs, ".", color=f"C{i % 10}", alpha=0.35)
                name = ", ".join(f"{k} = {v:g}" for k, v in zip(others, label))
                ax.plot(xs, [np.mean(rs) if rs else np.nan for rs in ranks], style, color=f"C{i % 10}",
                        label=f"layer {layer} rank" + (f" ({name})" if name else ""))
                effective = [np.mean([r["details"][f"layer{layer}_effective_rank_T"] for r in members
                                      if r["config"][key] == x and f"layer{layer}_effective_rank_T" in r["details"]]
                                     or [np.nan]) for x in xs]
                ax.plot(xs, effective, ":", color=f"C{i % 10}", lw=1)
        initial = [r["details"].get("layer1_rank_init") for r in rows if r["details"].get("layer1_rank_init")]
        if initial:
            ax.axhline(np.mean(initial), color="k", lw=0.6, label="layer 1 rank at initialisation")
        ax.plot([], [], "k:", lw=1, label="effective rank (dotted)")
        ax.plot([], [], "rx", label="diverged (rank not meaningful)")
        ax.set_xlabel({"batch_size": "batch size B", "weight_decay": "weight decay λ (paper's)",
                       "lr": "learning rate μ"}.get(key, key))
        ax.set_ylabel("rank of W_T (numerical: σ/‖W‖_F > 1e-3)")
        ax.legend(fontsize=6)
    passed = sum(r["outcome"] == "pass" for r in rows)
    fig.suptitle(f"low_rank_bound sweep: {passed}/{len(rows)} runs pass (weight_decay = 0 is the negative control)",
                 fontsize=9)
    fig.savefig(path, dpi=110)


CHECK = register(
    Check(
        name="low_rank_bound",
        statement="Under minibatch SGD + WD, W_T is within (1−2μλ)^k‖W_T−k‖_F of rank ≤ kB (exact unrolling + Eckart–Young).",
        source="Galanti, Siegel, Gupte, Poggio, arXiv:2206.05794 (CPAL 2025), Lemma 3.2 / Thm 3.4 (shared/THEORY.md §3)",
        config_type=LowRankBoundConfig,
        run=None,
        plot=plot,
        negative_controls=({"weight_decay": 0.0, "steps": 1000},),  # λ = 0 SGD at lr 0.1 diverges by the default horizon
        needs_x64=True,
        quick={"steps": 1500},
        slow_corners=("width=high", "steps=high", "depth=high", "lr=high", "weight_decay=low", "batch_size=low"),
        data_keys=("lr", "weight_decay"),
        simulate=simulate,
        verdict=verdict,
        plot_sweep=plot_sweep,
    )
)
