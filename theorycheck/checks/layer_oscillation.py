"""Gradient oscillation across layers: at a large step size every layer's gradient oscillates.

**Statement** (Morchdi, Zhou, Ding, Wang, "Exploring Gradient Oscillation in Deep Neural Network
Training", 59th Allerton Conference 2023, IEEE; shared/THEORY.md §13). Under full-batch gradient
descent, consecutive gradients of deep nets are often strongly anti-correlated ("gradient
oscillation", GO); the paper observes that (ii) *with a large learning rate GO emerges in all
layers*, and (iii) *with a small learning rate GO is more prominent in the input layers than in
the output layers*. Verified with the ``search`` tool (corpus ``pages``: the Allerton abstract
on par.nsf.gov, PAR 10547285, and the University of Minnesota record): the authors, venue, year
and the wording of (ii) and (iii), and that GO means "high negative correlation between adjacent
iterations". Not verified (only the abstract is stored): how the paper measures the correlation
per layer, its networks, data and learning rates; the operational definitions below are ours.

**The claim checked: (ii), made scale-free.** The learning rate is ``η = lr_factor·2/λ_max(θ_0)``,
λ_max(θ_0) the sharpness at initialisation (:func:`dynamics.top_hessian_eigenvalues`, Lanczos on
exact Hessian-vector products, residual checked), so ``lr_factor > 1`` puts GD above its stability
limit from the first step (Cohen et al.'s edge of stability, §1 and :mod:`.edge_of_stability`).
A layer *oscillates* when its consecutive-gradient cosine cos(g_t^l, g_(t+1)^l)
(:func:`dynamics.layer_gradient_cosines`, every step) is nearer −1 than 0 on most steps: its
median over the window is below −1/2. The claim: every layer oscillates (``error`` = 1 + the
largest layer median, ``tolerance`` = 1/2).

**Derivation of the band.** "Near −1" has two alternatives a cosine can stand for: 0, directions
unrelated from one step to the next (two random directions in a layer of P parameters have
|cos| ~ P^(−1/2): ≤ 0.06 for the default MLP's layers, 0.24 for the smallest conv kernel here,
3·3·1·2 = 18 weights, still below 1/2), and +1, the smooth descent of a stable GD (|1 − ηλ| < 1 along
every Hessian direction; shared/THEORY.md §13's quadratic). The decision boundary between −1 and
the nearer alternative 0 is their midpoint −1/2; "appears" is read as on most steps, i.e. the
median over the window. The window is the second half of the run: at ``lr_factor > 1`` GD first
catapults (loss spike, the sharpness falls to ≈ 2/η), which takes a few hundred steps here. Both
numbers were fixed from the definition; the measured layer medians at the defaults are ≤ −0.987 (MLP,
seeds 0–3) and ≤ −0.986 (conv, seed 0), far from the boundary (numbers below).

**Setup.** scikit-learn's bundled digits (:func:`models.load_digits`, standardised, a random
training subset of ``n`` images drawn by the seed), one-hot targets, loss ½·mean_i‖f(x_i) − y_i‖²
(MSE: the edge-of-stability setting, whose sharpness is well defined and settles at 2/η; under
cross-entropy the sharpness decays late in training and the "large η" regime ends on its own),
float32. ``architecture=mlp``: a bias-free tanh MLP 64 → ``width`` × ``depth`` → 10
(:func:`models.mlp`, smooth, so λ_max is a smooth function of θ); ``architecture=conv``: the
bias-free ReLU conv net of :func:`models.conv_net` (``depth`` 3×3 circular conv layers of
``channels`` channels and a dense readout). A layer is one weight array (``depth + 1`` layers,
index 0 = input). Full-batch GD, :func:`dynamics.gradient_descent` with :func:`dynamics.plain_sgd`;
both learning rates are data and run as one ``vmap``.

**Outcomes.** ``fail``: some layer's median cosine over the window is ≥ −1/2 while the run was in
the regime the claim is about, or ``lr_factor < 1`` (η below the stability limit at
initialisation: the claim's "large" does not hold; this is the negative control's key, a
hypothesis switch) and some layer does not oscillate. ``inconclusive`` (with a remedy): GD
diverged (lower ``lr_factor``); the λ_max(θ_0) estimate did not converge (raise
``lanczos_iterations``; width 128, depth 1, seed 563: 20 iterations unconverged, 40 pass); a
layer's gradient was exactly zero in the window (a dead ReLU layer: its cosine is NaN); or, at
``lr_factor ≥ 1``, *GD as a whole* stopped oscillating (the whole-gradient median cosine over the
window ≥ −1/2): after the catapult the run settled where the sharpness is below 2/η and GD is
stable, so no layer can oscillate (every direction of the linearised map contracts) and the
per-layer claim is not tested. Remedy: more steps (progressive sharpening brings the sharpness
back to 2/η) or a larger ``lr_factor``. Measured: width 12, lr_factor 1.5, 400 steps (seed 171)
inconclusive, 1600 steps pass; lr_factor 1.15, 400 steps (seed 1406494) inconclusive, 1600 steps
pass; width 16, depth 2, lr_factor 1.5, 2000 steps: GD stable (S·η/2 = 0.85–0.95) on 4 of 4
seeds, oscillating in every layer at lr_factor 2.5; conv depth 1, lr_factor 2.0, 400 steps
(seed 2602) inconclusive, lr_factor 2.5 pass.

**Narrowed range: channels ≤ 4.** The conv net with 7 channels and depth 2 settled below 2/η after
the catapult on 3 of 3 seeds (S·η/2 = 0.42, 0.59, 0.48 at 1000 steps, seeds 101, 202, 329) and
stayed there with 4000 steps (0.54), with lr_factor 2.5 (0.54) and with n = 512 (0.42): an
inconclusive with no remedy inside the ranges, so the range stops at 4 channels, where every
conv run measured (channels 2–4, depth 1–3, 8 runs at lr_factor ≥ 1.9) oscillated or was rescued by lr_factor 2.5
(7 channels at depth 3 did oscillate, seed 329: medians ≤ −0.97).

**Narrowed range: steps ≥ 1000.** ``theorycheck falsify --quick`` at 400 steps found a FAIL at the
default lr_factor (width 16, n = 64, seed 29968): the input layer's median −0.18 to −0.31 (two
runs of the same config differ: at the edge of stability float32 rounding changes the trajectory),
the whole gradient's only −0.59: the window opened while GD was still building up its oscillation
after the catapult (the input layer is the last to follow). The same config at 2000 steps passes
(every layer median ≤ −0.99), so the range starts at 1000 steps and the quick sizes use 1000.

**Not asserted: (iii), the ordering across depth.** At ``small_lr_factor`` (a second run in
the same ``vmap``, details and figure only) the check reports each layer's mean cosine over the
window, their spread, and Spearman's ρ between layer index (0 = input) and it; (iii) predicts
ρ > 0 (input layers nearer −1). The exact one-sided permutation p-values of ρ over the (depth+1)!
orderings are reported in both directions (``p_input_lower`` for (iii), ``p_output_lower`` for the
reverse); with 4 layers only a perfect ordering reaches p = 1/24 < 0.05. It did not reproduce:

- defaults (small_lr_factor 1.0, i.e. η = 2/λ_max(init)), seeds 0–3: every layer oscillates and
  the *output* layer is nearest −1: mean cosines [−0.849, −0.982, −0.988, −0.992],
  [−0.957, −0.987, −0.996, −0.999], [−0.962, −0.992, −0.997, −0.998], [−0.975, −0.994, −0.998,
  −0.999]; ρ = −1 on 4 of 4 seeds (p = 1/24 for the reverse ordering each time). The large run
  (lr_factor 2.0) orders the same way (ρ = −1, seeds 0–3).
- at small_lr_factor ≤ 0.8 these tanh MLPs do not oscillate in 2000–3000 steps (every cosine
  within 1e-6 of +1, the spread float32 noise: undecidable).
- a ReLU MLP 64-32-32-32-32-10 (not a configuration of this check; n = 256, 3000 steps, seeds 0–2)
  at 0.2·2/λ_max(init) oscillates most in the *middle* layers (mean (1 − cos)/2 =
  [0.27, 0.39, 0.45, 0.30, 0.02], seed 0) and at 0.5–1.9·2/λ_max(init) its input layer least.
- the conv net (channels 4, depth 3, seed 0) at small_lr_factor 0.5: mean cosines
  [0.962, 0.952, 0.951, 1.000]: the readout is the most aligned, the conv layers nearly tied.

The paper's networks are far larger and deeper and its data sets others (unverified, only the
abstract is stored); at the sizes this check can run (≲ 90 s on one CPU core) the measured
ordering is the opposite of (iii), so asserting (iii) would fail every default run: it is
reported, not asserted, and this is said here rather than the criterion bent to pass.

**Negative control.** ``lr_factor=0.1``: η is a tenth of the stability limit 2/λ_max(θ_0); in the
run the sharpness rises (progressive sharpening) but stays far below 2/η (measured S·η/2 at the
end 0.084, 0.102, 0.107 on seeds 0–2), so GD is stable, consecutive gradients align in every
layer (medians +1.000) and the criterion "every layer oscillates" fails ("no layer oscillates"),
decided by the simulation.

**Measured** at the defaults (tanh MLP 64-32-32-32-10, n = 256, 2000 steps, lr_factor 2.0; about
4 s on one core): layer medians [−0.987, −0.997, −0.998, −0.999], [−0.991, −0.997, −0.999,
−1.000], [−0.996, −0.998, −0.999, −1.000], [−0.993, −0.997, −0.999, −1.000] on seeds 0–3;
λ_max(θ_0) = 9.11, 9.16, 8.76, 6.24; S·η/2 at the end 1.014, 1.010, 1.011, 1.010 (the run sits
at the edge of stability). ``architecture=conv`` (seed 0, about 80 s on a shared core): medians
[−0.993, −0.997, −0.999, −0.986], S·η/2 = 1.027.
"""

import dataclasses
import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from theorycheck import dynamics
from theorycheck import models
from theorycheck._check import Check, Result, config_field, decide, register

from ._common import figure

BOUNDARY = -0.5  # a layer oscillates when its median cosine over the window is below this
WINDOW = 0.5  # the last half of the steps decides
MAX_LR_FACTOR = 2.5  # tanh MLP width 64, depth 5 diverged at 3.0 (seed 0)
MAX_STEPS = 20_000


@dataclasses.dataclass(frozen=True)
class LayerOscillationConfig:
    architecture: str = config_field("mlp", choices=("mlp", "conv"),
                                     help="bias-free tanh MLP, or bias-free ReLU conv net with a dense readout")
    lr_factor: float = config_field(
        2.0, low=0.01, high=MAX_LR_FACTOR,
        help="η = lr_factor·2/λ_max(init); the claim needs >= 1 (0.1 is the negative control); "
             f"at most {MAX_LR_FACTOR}: GD diverged at 3.0 for a width-64 depth-5 MLP")
    small_lr_factor: float = config_field(
        1.0, low=0.01, high=1.0,
        help="η of the second run (depth ordering, details only) in units of 2/λ_max(init); below 1 the tanh "
             "MLPs measured here do not oscillate at all within 3000 steps")
    width: int = config_field(32, low=8, high=256, help="hidden width of the MLP")
    channels: int = config_field(4, low=2, high=4, help="channels of each conv layer (at most 4: with 7 channels and "
                                 "depth 2 GD settled below 2/η on 3 of 3 seeds, whatever steps, lr_factor or n)")
    depth: int = config_field(3, low=1, high=5, help="hidden layers of the MLP / conv layers (depth + 1 layers in all)")
    n: int = config_field(256, low=64, high=1348, help="training images (a random subset of digits' training split)")
    steps: int = config_field(2000, low=1000, high=MAX_STEPS,
                              help="GD steps; the last half is the window (at least 1000: at 400 steps the window "
                                   "can open while GD is still building up its oscillation after the catapult)")
    lanczos_iterations: int = config_field(30, low=10, high=200, help="HVPs for λ_max at initialisation")


def _network(config):
    if config.architecture == "mlp":
        return models.mlp((64,) + (config.width,) * config.depth + (10,), "tanh", bias=False)
    return models.conv_net((8, 8), (config.channels,) * config.depth, 10)


def _layer_and_whole(grads):
    """One cosine per layer (a weight array) and one for the whole gradient."""
    return {"layers": [layer["w"] for layer in grads], "whole": ravel_pytree(grads)[0]}


def simulate(config: LayerOscillationConfig, data, key):
    """λ_max at init, then GD at the two learning rates (one vmap), with the layer cosines."""
    key_data, key_init, key_lanczos, key_observe, key_run = jax.random.split(key, 5)
    x, y, _, _ = models.load_digits(key_data, train_size=config.n)
    x, y = x.astype(jnp.float32), y.astype(jnp.float32)
    net = _network(config)

    def loss(params):
        return 0.5 * jnp.mean(jnp.sum((net.apply(params, x) - y) ** 2, axis=1))

    params0 = net.init(key_init)
    sharpness = dynamics.top_hessian_eigenvalues(loss, num_iterations=config.lanczos_iterations)
    initial, _ = sharpness.observe(params0, sharpness.init(params0, key_lanczos), key_observe)
    factors = jnp.stack([jnp.asarray(data["lr_factor"], jnp.float32),
                         jnp.asarray(data["small_lr_factor"], jnp.float32)])
    lrs = 2.0 * factors / initial["eigenvalues"][0]
    run = dynamics.gradient_descent(
        loss, dynamics.plain_sgd(1.0), num_steps=config.steps, every=1,
        observers={"cosines": dynamics.layer_gradient_cosines(loss, group=_layer_and_whole)},
    )

    def one(lr, key):
        key_gd, key_start, key_lanczos_final = jax.random.split(key, 3)
        trajectory = run(params0, key_gd, {"learning_rate": lr})
        start = sharpness.init(trajectory.final_params, key_start)
        final, _ = sharpness.observe(trajectory.final_params, start, key_lanczos_final)
        cosines = trajectory.observations["cosines"]
        return {
            "layer_cosines": jnp.stack(cosines["layers"], axis=-1), "whole_cosine": cosines["whole"],
            "losses": trajectory.losses, "diverged": trajectory.diverged, "diverged_at": trajectory.diverged_at,
            "sharpness_final": final["eigenvalues"][0], "sharpness_final_converged": final["converged"][0],
        }

    out = jax.vmap(one)(lrs, jax.random.split(key_run, 2))
    out.update(
        learning_rates=lrs, sharpness_initial=initial["eigenvalues"][0],
        sharpness_initial_residual=initial["residuals"][0], sharpness_initial_converged=initial["converged"][0],
    )
    return out


def spearman_rho(values) -> float:
    """Spearman's ρ between position 0, 1, ... and ``values`` (average ranks for ties; NaN when
    ``values`` are all tied)."""
    from scipy.stats import rankdata

    ranks = rankdata(np.asarray(values, dtype=float))
    index = np.arange(ranks.size, dtype=float)
    if np.all(ranks == ranks[0]):
        return float("nan")
    return float(np.corrcoef(index, ranks)[0, 1])


def permutation_pvalue(rho: float, layers: int) -> float:
    """P(ρ ≥ ``rho``) for Spearman's ρ of ``layers`` distinct values under a uniformly random
    ordering, exactly over all ``layers``! orderings (one-sided; 1/24 for ρ = 1 and 4 layers)."""
    if not math.isfinite(rho):
        return float("nan")
    index = np.arange(layers, dtype=float)
    values = np.array([np.corrcoef(index, np.asarray(p, dtype=float))[0, 1]
                       for p in itertools.permutations(range(layers))])
    return float(np.mean(values >= rho - 1e-12))


def _ordering(cosines) -> dict:
    """The depth ordering of one run's window: mean cosine per layer, ρ and its p-values."""
    means = np.mean(cosines, axis=0)
    rho = spearman_rho(means)
    layers = means.size
    return {"mean_cosines": [float(m) for m in means], "rho": rho, "spread": float(np.max(means) - np.min(means)),
            "p_input_lower": permutation_pvalue(rho, layers),  # (iii): cosine rises with depth
            "p_output_lower": permutation_pvalue(-rho, layers) if math.isfinite(rho) else float("nan")}


def verdict(config: LayerOscillationConfig, data, arrays) -> Result:
    lr_factor = float(data["lr_factor"])
    steps = config.steps
    start = steps - int(WINDOW * steps) + 1  # records 1..steps; record t = cos(g_(t−1), g_t)
    layer = np.asarray(arrays["layer_cosines"], dtype=float)  # (2, steps + 1, layers)
    whole = np.asarray(arrays["whole_cosine"], dtype=float)  # (2, steps + 1)
    window = layer[0, start:]
    layers = window.shape[1]
    diverged = bool(np.asarray(arrays["diverged"])[0])
    sharpness0 = float(arrays["sharpness_initial"])
    inconclusive, failed = [], []
    with np.errstate(all="ignore"):
        medians = np.median(window, axis=0)
        whole_median = float(np.median(whole[0, start:]))
    ratio_final = float(np.asarray(arrays["sharpness_final"])[0] * np.asarray(arrays["learning_rates"])[0] / 2)
    if not bool(arrays["sharpness_initial_converged"]):
        residual = float(arrays["sharpness_initial_residual"])
        inconclusive.append(
            f"the estimate of λ_max at initialisation did not converge (residual {residual:.3g} > 1e-3·λ = "
            f"{1e-3 * abs(sharpness0):.3g}), so η = lr_factor·2/λ_max is not known; raise lanczos_iterations "
            f"to >= {min(2 * config.lanczos_iterations, 200)}")
    elif diverged:
        at = int(np.asarray(arrays["diverged_at"])[0])
        inconclusive.append(
            f"GD diverged at step {at} (η = {lr_factor:g}·2/λ_max(init)); the claim concerns oscillating, not "
            f"diverging runs: lower lr_factor to <= {max(1.0, 0.8 * lr_factor):.3g}")
    elif not np.all(np.isfinite(window)):
        dead = [int(i) for i in np.nonzero(~np.all(np.isfinite(window), axis=0))[0]]
        inconclusive.append(
            f"layer(s) {dead} had an exactly zero gradient in the window (a dead ReLU layer: no direction, cosine "
            f"NaN); raise width (MLP) or use channels = 4 (conv)")
    elif lr_factor >= 1.0 and not whole_median < BOUNDARY:
        inconclusive.append(
            f"GD as a whole does not oscillate in the window (median cos of the whole gradient {whole_median:+.3f} "
            f">= {BOUNDARY}; S·η/2 = {ratio_final:.3f} at the end): after the catapult the run settled where GD is "
            f"stable, so the per-layer claim is not tested; raise steps to >= {min(4 * steps, MAX_STEPS)} "
            f"(progressive sharpening brings the sharpness back to 2/η) or lr_factor to >= "
            f"{min(MAX_LR_FACTOR, lr_factor + 0.5):.3g}")
    not_oscillating = [i for i in range(layers) if not medians[i] < BOUNDARY]
    error = 1.0 + float(np.max(medians)) if np.all(np.isfinite(medians)) else float("nan")
    if not inconclusive and not_oscillating:
        which = ("no layer oscillates" if len(not_oscillating) == layers
                 else f"layer(s) {not_oscillating} of {layers} (0 = input) do not oscillate")
        failed.append(
            f"not every layer oscillates: {which}; median cos(g_t, g_(t+1)) over the last {WINDOW:.0%} of steps "
            f"per layer {np.round(medians, 3).tolist()} (>= {BOUNDARY} counts as not oscillating) at "
            f"η = {lr_factor:g}·2/λ_max(init)")
    outcome, reason = decide(error, 1.0 + BOUNDARY, fail_reasons=failed, inconclusive_reasons=inconclusive,
                             what="1 + the largest layer median of cos(g_t, g_(t+1))")
    with np.errstate(all="ignore"):
        large_order = _ordering(window) if np.all(np.isfinite(window)) else None
        small = layer[1, start:]
        small_order = _ordering(small) if np.all(np.isfinite(small)) else None
    details = {
        "sharpness_initial": sharpness0, "learning_rate": float(np.asarray(arrays["learning_rates"])[0]),
        "layer_medians": [float(m) for m in medians], "whole_median": whole_median,
        "sharpness_ratio_final": ratio_final,
        "fraction_below_boundary": [float(f) for f in np.mean(window < BOUNDARY, axis=0)],
        "ordering_large": large_order,
        "sharpness_final_converged": [bool(c) for c in np.asarray(arrays["sharpness_final_converged"])],
        "small_lr_factor": float(data["small_lr_factor"]),
        "small_diverged": bool(np.asarray(arrays["diverged"])[1]),
        "small_sharpness_ratio_final": float(np.asarray(arrays["sharpness_final"])[1]
                                             * np.asarray(arrays["learning_rates"])[1] / 2),
        "ordering_small": small_order,
        "final_losses": [float(v) for v in np.asarray(arrays["losses"])[:, -1]],
    }
    return Result(
        predicted=-1.0,
        measured=float(np.max(medians)) if np.all(np.isfinite(medians)) else float("nan"),
        error=error,
        tolerance=1.0 + BOUNDARY,
        outcome=outcome,
        reason=reason,
        arrays={k: np.asarray(v) for k, v in arrays.items()},
        details=details,
    )


def _running_median(series, width=51):
    if series.size < width:
        return series
    pad = width // 2
    padded = np.pad(series, pad, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, width)
    return np.median(windows, axis=-1)


def plot(config: LayerOscillationConfig, result: Result, path) -> None:
    a = result.arrays
    fig, axes = figure(1, 2)
    left, right = axes[0]
    cos = a["layer_cosines"][0]
    steps = np.arange(cos.shape[0])
    for i in range(cos.shape[1]):
        left.plot(steps[1:], _running_median(cos[1:, i]), lw=1, label=f"layer {i}")
    left.axhline(BOUNDARY, color="r", ls="--", lw=0.8, label="−1/2")
    left.axvspan(config.steps - int(WINDOW * config.steps), config.steps, color="k", alpha=0.06, label="window")
    left.set_xlabel("step t")
    left.set_ylabel("running median of cos(g_(t−1), g_t)")
    left.set_title(f"{config.architecture}, η = {config.lr_factor}·2/λ_max(init): {result.outcome.upper()}")
    left.legend(fontsize=7)
    index = np.arange(cos.shape[1])
    right.plot(index, result.details["layer_medians"], "o-", label=f"median, η = {config.lr_factor}·2/λ₀ (criterion)")
    order = result.details.get("ordering_small")
    if order:
        right.plot(index, order["mean_cosines"], "s--",
                   label=f"mean, η = {config.small_lr_factor}·2/λ₀ (ρ = {order['rho']:+.2f}; details)")
    right.axhline(BOUNDARY, color="r", ls="--", lw=0.8)
    right.set_xticks(index)
    right.set_xlabel("layer (0 = input)")
    right.set_ylabel("cos(g_t, g_(t+1)) over the window")
    right.set_ylim(-1.05, 1.05)
    right.legend(fontsize=7)
    fig.savefig(path, dpi=110)


CHECK = register(
    Check(
        name="layer_oscillation",
        statement="With GD at η above the stability limit 2/λ_max(init), consecutive gradients are anti-correlated "
                  "(median cosine < −1/2) in every layer of an MLP or conv net on digits.",
        source="Morchdi, Zhou, Ding, Wang, Allerton 2023 (abstract, claim ii); shared/THEORY.md §13",
        config_type=LayerOscillationConfig,
        run=None,
        plot=plot,
        negative_controls=({"lr_factor": 0.1},),
        quick={"steps": 1000, "n": 64},
        slow_corners=("steps=high", "n=high", "width=high", "depth=high", "channels=high",
                      "lanczos_iterations=high", "architecture=conv", "channels=low"),
        data_keys=("lr_factor", "small_lr_factor"),
        simulate=simulate,
        verdict=verdict,
    )
)
