"""Channel normalisation makes the gradient exactly inverse-proportional to the kernel scale;
without it a deep linear conv net's gradient scales like a^{2D−1} and GD needs exponentially many
steps in depth to leave its plateau.

**Statement.** Dai & Heckel, "Channel Normalization in Convolutional Neural Networks avoids
Vanishing Gradients", ICML 2019 Deep Phenomena workshop, arXiv:1907.09539 (shared/THEORY.md §6).
For the deep single-channel linear circular conv net x_l = c_l ⊛ x_{l−1} (l = 1..D, kernel size k)
fitted to one example, loss ½‖x_D − y‖²:

A. with channel normalisation x_l = cn(c_l ⊛ x_{l−1}), cn(z) = (z − mean z)/std z, the loss is
   invariant to c_l → a·c_l, so ∇_{c_l}L(a·c) = ∇_{c_l}L(c)/a: a·‖∇_{c₁}L‖ does not depend on a
   [D]. Consequently GD from a·c₀ with step ηa² is exactly the a-scaled copy of GD from c₀ with
   step η, and a·‖∇_{c₁}L‖ agrees along the whole run. Without normalisation the gradient is a
   polynomial in a of top degree 2D − 1 (it explodes or vanishes with the scale).
B. the balanced scalar chain f = Π w_l (each Fourier mode of the conv net is one), w_l(0) = w₀ = 0.5,
   target 1, leaves its plateau after k* = w₀^{2−D}/((D − 2)η) GD steps
   (:func:`bounds.daiheckel19_escape_steps`, [D, V-num] in THEORY.md), so the steps to reach loss
   ≤ ε grow geometrically with depth (ratio → w₀^{−2}(D−2)/D per +2 layers) without normalisation.

Verified: the abstract's claims (vanishing gradients and exponentially many GD steps without
normalisation for deep linear conv nets; bounded gradients with channel normalisation) match
THEORY.md's [V-src] quote; A and B are re-derived here, not taken from the paper.

**Setup.** n = 64, k = 3, kernels N(0, 1/k) (key), one Gaussian input x and a centred, unit-std
target y, float64. Five runs (the default a = 0.7 is not a power of two, so the copies are not
bitwise scaled: the comparison sees real rounding) of ``dynamics.gradient_descent`` (``vmap``) at kernel scales
a ∈ {1} ∪ ``kernel_scale``·{0.5, 1, 2, 4} with steps ``lr``·a², 10 steps each, observing ‖∇_{c₁}L‖
at every step (a ``dynamics.stateless`` observer). B: ``dynamics.gradient_descent`` on the chain
at D ∈ {8, 10, 12}, step ``lr``, counting steps to ½(f − 1)² ≤ 1e-3.

**Tolerance.** A: error = max over scales of |a·‖∇_{c₁}L‖ − ‖∇_{c₁}L‖_{a=1}| / ‖∇_{c₁}L‖_{a=1}
at the simulator's record 0 (the initial kernels: the claim is a property of the loss at a
point) ≤ 1e-10 (THEORY.md tier A). Derived: both evaluations compute the same function of kernels
that differ by a factor a; each layer's convolution and normalisation round at ~k·n·ε relative,
so the gradients differ by ≲ D·n·k·ε ≈ 7e-13 at D = 16. The GD runs are a diagnostic
(``details["trajectory_copy_deviation"]``): in exact arithmetic they are exact a-scaled copies,
but GD on the normalised net amplifies rounding step by step (measured 3.7e-10 after 10 steps at
D = 16, η = 0.1, seed 0), a growth this check does not bound, so the verdict does not rest on it.
B: 10% relative
on each depth; derived: k* keeps only the blow-up of ẇ = w^{D−1}; the dropped factor (1 − w^D)
and the approach to ε add ≈ (D−2)/D·w₀^{D−2}·ln(1/√(2ε)) relative (≈ 4% at D = 8, less deeper;
the quadrature :func:`bounds.scalar_chain_flow_steps` is reported), and GD's discretisation a
further ≲ 3% at η ≤ 0.15 (measured: within 7% over η ∈ [0.01, 0.15]).

**Outcomes.** A failed B is decided also when a chain never reached the loss: the horizon
(2·k* at depth 12 and lr = 0.01) exceeds 1.1·k* at every admissible lr, so "not within the
horizon" is "off by more than 10%". A diverged chain, or a gradient that overflowed at
initialisation, is inconclusive (not data).

**Negative control.** ``channel_norm=false``: a·‖∇_{c₁}L‖ varies by orders of magnitude across
a ∈ {0.5, 1, 2, 4} (∝ a^{2D}), so A fails; B (a property of the un-normalised chain) still holds.
"""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from theorycheck import bounds
from theorycheck import dynamics
from theorycheck import models
from theorycheck._check import INCONCLUSIVE, Check, Result, config_field, decide, register

from ._common import figure

N, KERNEL_SIZE, GD_STEPS = 64, 3, 10
SCALE_FACTORS = (0.5, 1.0, 2.0, 4.0)
TOLERANCE = 1e-10
CHAIN_DEPTHS, CHAIN_W0, CHAIN_EPS, CHAIN_TOLERANCE = (8, 10, 12), 0.5, 1e-3, 0.10
LR_LOW, LR_HIGH = 0.01, 0.15
CHAIN_HORIZON = int(2 * bounds.daiheckel19_escape_steps(CHAIN_W0, max(CHAIN_DEPTHS), LR_LOW))


@dataclasses.dataclass(frozen=True)
class ChannelNormGradientsConfig:
    depth: int = config_field(8, low=2, high=16, help="depth D of the conv net (claim A)")
    kernel_scale: float = config_field(0.7, low=0.25, high=2.0, help="kernel scale a: runs at "
                                       "a·{0.5, 1, 2, 4} are compared with a = 1 (without CN the "
                                       "gradient ∝ a^{2D−1}: ≤ 2 keeps it finite in float64)")
    channel_norm: bool = config_field(True, help="channel normalisation after every convolution")
    lr: float = config_field(0.1, low=LR_LOW, high=LR_HIGH, help="GD step η (conv net at a = 1, and "
                             "the scalar chain: η < 2/D_max = 0.167 keeps the chain's minimum stable)")


def simulate(config: ChannelNormGradientsConfig, data, key):
    key_c, key_x, key_y, key_run = jax.random.split(key, 4)
    net = models.deep_linear_conv(N, KERNEL_SIZE, config.depth, channel_normalisation=config.channel_norm)
    kernels0 = net.init(key_c)["kernels"]
    x = jax.random.normal(key_x, (N,))
    y = models.channel_norm(jax.random.normal(key_y, (N,)))

    def loss(params):
        return 0.5 * jnp.sum((net.apply(params, x) - y) ** 2)

    grad_c1 = dynamics.stateless(lambda p, k: jnp.linalg.norm(jax.grad(loss)(p)["kernels"][0]))
    conv_run = dynamics.gradient_descent(loss, dynamics.plain_sgd(LR_LOW), num_steps=GD_STEPS,
                                         observers={"grad_c1": grad_c1})
    scales = jnp.concatenate([jnp.ones((1,)), data["kernel_scale"] * jnp.asarray(SCALE_FACTORS)])

    def one(scale):
        return conv_run({"kernels": scale * kernels0}, key_run, {"learning_rate": data["lr"] * scale**2})

    conv = jax.vmap(one)(scales)

    def chain(depth):
        run = dynamics.gradient_descent(lambda w: 0.5 * (jnp.prod(w) - 1.0) ** 2, dynamics.plain_sgd(LR_LOW),
                                        num_steps=CHAIN_HORIZON, every=CHAIN_HORIZON)
        trajectory = run(jnp.full((depth,), CHAIN_W0), key_run, {"learning_rate": data["lr"]})
        below = trajectory.losses <= CHAIN_EPS
        return jnp.where(jnp.any(below), jnp.argmax(below), -1), trajectory.diverged

    chains = [chain(d) for d in CHAIN_DEPTHS]
    return {
        "scales": scales, "grad_c1": conv.observations["grad_c1"], "conv_losses": conv.losses,
        "conv_diverged_at": conv.diverged_at, "kernels0": kernels0, "x": x, "y": y,
        "chain_steps": jnp.stack([c[0] for c in chains]), "chain_diverged": jnp.stack([c[1] for c in chains]),
    }


def verdict(config: ChannelNormGradientsConfig, data, arrays) -> Result:
    scales, grad = arrays["scales"], arrays["grad_c1"]  # (5,), (5, records)
    scaled = scales[:, None] * grad
    reference = scaled[:1]
    finite = np.all(np.isfinite(scaled), axis=0)  # records before any run diverged
    with np.errstate(invalid="ignore", over="ignore"):
        deviation = np.abs(scaled - reference) / reference
    error_a = float(np.max(deviation[:, 0])) if finite[0] else float("nan")
    trajectory_deviation = float(np.max(deviation[:, finite])) if finite.any() else float("nan")
    # B: the scalar chain
    lr = data["lr"]
    predicted = np.array([bounds.daiheckel19_escape_steps(CHAIN_W0, d, lr) for d in CHAIN_DEPTHS])
    flow = np.array([bounds.scalar_chain_flow_steps(CHAIN_W0, d, lr, CHAIN_EPS) for d in CHAIN_DEPTHS])
    measured = arrays["chain_steps"].astype(float)
    diverged = np.asarray(arrays["chain_diverged"], dtype=bool)
    # a chain that never reached the loss took more than CHAIN_HORIZON steps: decided (a FAIL) when
    # the horizon exceeds (1 + 10%)·k* (always, for lr >= LR_LOW), "not yet" otherwise
    reached = measured >= 0
    decidable = reached | (CHAIN_HORIZON > (1.0 + CHAIN_TOLERANCE) * predicted)
    unreached = [f"the depth-{d} chain did not reach loss {CHAIN_EPS:g} within {CHAIN_HORIZON} steps "
                 f"(k* = {p:.0f}); raise lr (now {lr:g}, up to {LR_HIGH:g})"
                 for d, p, ok, bad in zip(CHAIN_DEPTHS, predicted, decidable, diverged) if not ok and not bad]
    chain_error = np.where(reached, np.abs(measured / predicted - 1.0), CHAIN_HORIZON / predicted - 1.0)
    fail_reasons = [(f"the depth-{d} chain took {int(m)} steps, k* = {p:.1f} predicts within 10% (off by {e:.1%})"
                     if m >= 0 else f"the depth-{d} chain did not reach loss {CHAIN_EPS:g} within {CHAIN_HORIZON} "
                     f"steps, k* = {p:.1f} predicts within 10% (off by more than {e:.1%})")
                    for d, m, p, e, ok, bad in zip(CHAIN_DEPTHS, measured, predicted, chain_error, decidable, diverged)
                    if ok and not bad and not e <= CHAIN_TOLERANCE]
    inconclusive = list(unreached)
    if diverged.any():
        inconclusive.append(f"the scalar chain diverged at depth {[d for d, b in zip(CHAIN_DEPTHS, diverged) if b]} "
                            f"(a diverged run is not data); lower lr (now {lr:g}, down to {LR_LOW:g})")
    if not finite[0]:
        inconclusive.append("the gradient at initialisation overflowed; lower kernel_scale")
    outcome, reason = decide(error_a, TOLERANCE, fail_reasons=fail_reasons, inconclusive_reasons=inconclusive,
                             what="max relative spread of a·‖∇_{c₁}L‖ over kernel scales at initialisation")
    g0 = grad[1:, 0]
    usable = np.all(np.isfinite(g0) & (g0 > 0))
    slope = float(np.polyfit(np.log(scales[1:]), np.log(g0), 1)[0]) if usable else float("nan")
    details = {
        "a_times_grad_at_init": [float(v) for v in scaled[:, 0]],
        "records_compared": int(finite.sum()),
        "trajectory_copy_deviation": trajectory_deviation,
        "log_log_slope_grad_vs_scale": slope,
        "slope_without_cn_top_degree": 2 * config.depth - 1,
        "chain_depths": list(CHAIN_DEPTHS),
        "chain_steps_measured": [int(m) for m in measured],
        "chain_steps_predicted": [float(p) for p in predicted],
        "chain_steps_flow_quadrature": [float(f) for f in flow],
        "chain_relative_error": [float(e) for e in chain_error],
        "chain_growth_per_2_layers": [float(b / a) for a, b in zip(measured[:-1], measured[1:])],
    }
    return Result(
        predicted=float(reference[0, 0]), measured=float(scaled[-1, 0]),
        error=error_a if outcome != INCONCLUSIVE else float("nan"), tolerance=TOLERANCE,
        outcome=outcome, reason=reason, arrays=dict(arrays), details=details,
    )


def plot(config: ChannelNormGradientsConfig, result: Result, path) -> None:
    a, d = result.arrays, result.details
    fig, axes = figure(1, 2)
    ax = axes[0, 0]
    for scale, row in zip(a["scales"], a["grad_c1"]):
        ax.semilogy(scale * row, marker="o", ms=3, label=f"a = {scale:.3g}")
    ax.set_xlabel("GD step")
    ax.set_ylabel("a·‖∇_{c₁}L‖")
    ax.set_title(f"D = {config.depth}, CN = {config.channel_norm}: {result.outcome.upper()}")
    ax.legend(fontsize=7)
    ax = axes[0, 1]
    ax.semilogy(d["chain_depths"], d["chain_steps_measured"], "o-", label="GD steps to loss ≤ 1e-3")
    ax.semilogy(d["chain_depths"], d["chain_steps_predicted"], "k:", label="w₀^{2−D}/((D−2)η)")
    ax.set_xlabel("depth D (scalar chain, no normalisation)")
    ax.legend(fontsize=8)
    fig.savefig(path, dpi=110)


def _gradient_points(rows):
    """``{(depth, channel_norm): {scale: [‖∇_{c₁}L‖ at init, one per seed]}}`` from sweep records
    (``details["a_times_grad_at_init"]`` holds a·‖∇_{c₁}L‖ at a ∈ {1} ∪ kernel_scale·{0.5, 1, 2, 4})."""
    points: dict = {}
    for r in rows:
        c = r["config"]
        scales = [1.0] + [c["kernel_scale"] * f for f in SCALE_FACTORS]
        values = r["details"].get("a_times_grad_at_init") or []
        mine = points.setdefault((c["depth"], c["channel_norm"]), {})
        for scale, value in zip(scales, values):
            if value is not None and np.isfinite(value) and value > 0:
                mine.setdefault(round(scale, 12), {})[r["seed"]] = value / scale
    return {k: {s: list(v.values()) for s, v in sorted(m.items())} for k, m in points.items()}


def plot_sweep(rows, path) -> None:
    """Dai & Heckel's picture from ``theorycheck sweep channel_norm_gradients --grid depth=... --grid
    kernel_scale=... --grid channel_norm=true,false``: ‖∇_{c₁}L‖ at initialisation against the kernel
    scale a (one line per depth, solid with channel normalisation, dashed without; slopes −1 and
    ≈ 2D − 1), against depth at a = 1, and the scalar chain's escape steps against depth."""
    from matplotlib.ticker import NullFormatter

    points = _gradient_points(rows)
    depths = sorted({d for d, _ in points})
    colours = {d: f"C{i % 10}" for i, d in enumerate(depths)}
    fig, axes = figure(1, 3, figsize=(16, 4.4))
    ax = axes[0, 0]
    for (depth, cn), by_scale in sorted(points.items()):
        scales = np.array(list(by_scale))
        means = np.array([np.exp(np.mean(np.log(v))) for v in by_scale.values()])  # geometric mean over seeds
        ax.loglog(scales, means, "o-" if cn else "s--", color=colours[depth], ms=4, mfc="none" if not cn else None,
                  label=f"D = {depth}, {'CN' if cn else 'no CN'}")
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("kernel scale a")
    ax.set_ylabel("‖∇_{c₁}L‖ at initialisation")
    ax.set_title("with CN: ∝ 1/a exactly; without: ∝ a^{2D−1}", fontsize=9)
    ax.legend(fontsize=6, ncol=2)
    ax = axes[0, 1]
    for cn, style in ((True, "o-"), (False, "s--")):
        have = [d for d in depths if (d, cn) in points and 1.0 in points[(d, cn)]]
        if not have:
            continue
        values = [points[(d, cn)][1.0] for d in have]
        for d, v in zip(have, values):
            ax.semilogy([d] * len(v), v, ".", color="k" if cn else "C3", alpha=0.4)
        ax.semilogy(have, [np.exp(np.mean(np.log(v))) for v in values], style, color="k" if cn else "C3",
                    label="channel normalisation" if cn else "no normalisation")
    ax.set_xlabel("depth D")
    ax.set_ylabel("‖∇_{c₁}L‖ at a = 1 (dots: seeds)")
    ax.set_title("gradient norm against depth", fontsize=9)
    ax.legend(fontsize=8)
    ax = axes[0, 2]
    chains = [r["details"] for r in rows if r["details"].get("chain_steps_measured")]
    for i, d in enumerate(chains):
        label = dict(label="GD steps to loss ≤ 1e-3 (each lr, seed)") if i == 0 else {}
        ax.semilogy(d["chain_depths"], d["chain_steps_measured"], "o", color="C0", alpha=0.5, **label)
    for lr in sorted({r["config"]["lr"] for r in rows}):
        one = next(r["details"] for r in rows if r["config"]["lr"] == lr)
        ax.semilogy(one["chain_depths"], one["chain_steps_predicted"], "k:", lw=1)
    ax.plot([], [], "k:", label="k* = w₀^{2−D}/((D−2)η)")
    ax.set_xlabel("depth D (scalar chain, no normalisation)")
    ax.set_ylabel("steps")
    ax.set_title("escape time grows geometrically in depth", fontsize=9)
    ax.legend(fontsize=7)
    passed = sum(r["outcome"] == "pass" for r in rows)
    fig.suptitle(f"channel_norm_gradients sweep: {passed}/{len(rows)} runs pass "
                 "(CN = false is the negative control)", fontsize=10)
    fig.savefig(path, dpi=110)


CHECK = register(
    Check(
        name="channel_norm_gradients",
        statement="With channel normalisation a·‖∇_{c₁}L‖ is constant in the kernel scale a; without it "
                  "GD on a depth-D chain needs w₀^{2−D}/((D−2)η) steps (geometric in depth).",
        source="Dai & Heckel, ICML 2019 Deep Phenomena workshop, arXiv:1907.09539 (shared/THEORY.md §6)",
        config_type=ChannelNormGradientsConfig,
        run=None,
        plot=plot,
        negative_controls=({"channel_norm": False},),
        needs_x64=True,
        quick={"depth": 4},
        data_keys=("kernel_scale", "lr"),
        simulate=simulate,
        verdict=verdict,
        plot_sweep=plot_sweep,
    )
)
