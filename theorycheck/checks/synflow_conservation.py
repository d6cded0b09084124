"""SynFlow: synaptic saliency is conserved, and iterative SynFlow pruning avoids layer collapse.

**Statement.** Tanaka, Kunin, Yamins, Ganguli, "Pruning neural networks without any data by
iteratively conserving synaptic flow", NeurIPS 2020, arXiv:2006.05467 (shared/THEORY.md §11).
For a network with a homogeneous activation (φ(x) = φ'(x)x: ReLU, linear) and any scalar R of
its outputs, the synaptic saliency S(θ) = (∂R/∂θ) ⊙ θ is conserved (Theorems 1–2):
(i) neuron-wise, at every hidden neuron the saliency summed over its incoming parameters (bias
included) equals the saliency summed over its outgoing weights; (ii) network-wise, without
biases, the saliency summed over any layer (a cut) equals ⟨∂R/∂y, y⟩. For the SynFlow objective
R = 1ᵀ(Π_l |W_l|)1 every layer's total SynFlow score therefore equals R. Consequence (Theorem 3,
"Maximal Critical Compression"): iterative, positive, conservative scoring with global masking
does not prune a whole layer (layer collapse) while a connected sparser network exists;
single-shot scores (magnitude, SNIP), which prune the large layers hardest, collapse a layer at
high compression. Checked against the paper's abstract and §4–6 through the public summary of the
paper and against the reference code ``ganguli-lab/Synaptic-Flow`` (``Pruners/pruners.py``: the
SynFlow score with ``linearize`` and an all-ones input, SNIP, magnitude, ``_global_mask``;
``prune.py``: ``prune_loop`` with density ρ^{(e+1)/E}; ``Models/mlp.py``: ``fc`` with L = 6,
N = 100). THEORY.md tags the exact collapse threshold [M]: it is measured here, not assumed.

**Setup.** A bias-free MLP 64 → ``width`` ×(``depth`` − 1) → 10 (``depth`` weight layers, the
reference ``fc`` at the defaults depth 6, width 100), w ~ N(0, 1/fan_in), float64; with
``bias=true`` biases ~ U(±1/√fan_in) (PyTorch's default, nonzero so that they carry saliency).
SynFlow scores by :func:`dynamics.synflow_scores`; R independently by a numpy forward pass of the
|θ| network on an all-ones input. Signed saliency for a data loss: mean cross-entropy on 256
Gaussian inputs with random labels (synthetic: no download), compared with ⟨∂L/∂y, y⟩ from the
output gradient alone. Pruning by :func:`dynamics.iterative_pruning`: SynFlow with ``rounds``
exponential rounds to density 10^−``compression`` (the reference code's ``--compression``);
magnitude and SNIP single-shot (one round, SNIP on the same data loss). The compression is data:
a sweep over it is one ``vmap``.

**Criteria and tolerances.** ``error`` = the largest of (a) max_l |Σ S_l − R|/R over layers of
SynFlow scores, (b) max over hidden neurons of |in − out|/(in + out) of SynFlow scores, (c)
max_l |Σ S_l^CE − ⟨∂L/∂y, y⟩|/Σ|S_l^CE| for the signed cross-entropy saliency. Tolerance
(derived): each saliency entry is a product of a forward and a backward signal, each a chain of
at most ``depth`` matrix-vector products of length at most w = max(width, 64); a dot product of
length w with positive terms is exact to w·ε (relative), so each entry is exact to 2·depth·w·ε,
and the final sums over at most P entries, reduced pairwise, add log₂P·ε; in (c) the terms have
both signs, so the bound is relative to Σ|S|: tolerance = 2·(depth·w + log₂P)·ε (2.7e-13 at the
defaults, below the 1e-12 THEORY.md quotes). Pruning: iterative SynFlow must keep ≥ 1 weight in
every layer and a connected input–output path (R of the pruned bias-free |W| network > 0); this
is a yes/no criterion with no tolerance. The theorem assumes small steps (every round prunes less
score than the smallest layer total of the network it scores; recorded per round): a collapse
with the hypothesis violated (e.g. ``rounds=1``, single-shot SynFlow) is ``inconclusive`` with
the number of rounds to try, a collapse with it satisfied is a ``fail``. Both single-shot baselines must collapse a layer at the
same compression for the comparison to show anything: if one does not, the run is
``inconclusive`` (raise ``compression`` up to validate's limit log₁₀(P/(2·depth)), named in the
reason; at that limit, raise ``width``). A failure names the law that broke: the SynFlow layer
sums, the neuron-wise law or the signed cross-entropy cut sums.

**Negative controls.** ``activation=tanh``: tanh is not homogeneous (x·tanh'(x) < tanh(x) for
x > 0), so neither law holds and the SynFlow layer sums drift from R (the reason names the layer sums
and the neuron-wise law). ``bias=true``: each bias's saliency leaks into the cuts below it, so
the weight-only layer sums differ from R (the neuron-wise law, which counts the bias as an
incoming parameter, still holds; the reason names the layer sums, not the neuron-wise law). Both
are decided by the simulated scores against the numpy R, far outside the rounding tolerance.
"""

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np

from theorycheck import dynamics
from theorycheck import models
from theorycheck._check import Check, Result, config_field, decide, register

from ._common import figure

INPUT_DIM, CLASSES, SAMPLES = 64, 10, 256


@dataclasses.dataclass(frozen=True)
class SynflowConservationConfig:
    depth: int = config_field(6, low=2, high=10, help="number of weight layers (reference fc: L = 6)")
    width: int = config_field(100, low=4, high=400, help="hidden width (reference fc: N = 100)")
    compression: float = config_field(3.0, low=0.5, high=4.0,
                                      help="log10 of the compression ratio: density 10^-compression (reference --compression)")
    rounds: int = config_field(100, low=1, high=1000, help="SynFlow pruning rounds (exponential schedule)")
    activation: str = config_field("relu", choices=("relu", "linear", "tanh"),
                                   help="hidden activation (tanh is not homogeneous: negative control)")
    bias: bool = config_field(False, help="biases (nonzero, U(±1/√fan_in)): negative control")

    def widths(self):
        return (INPUT_DIM,) + (self.width,) * (self.depth - 1) + (CLASSES,)

    def prunable(self) -> int:
        w = self.widths()
        return sum(a * b for a, b in zip(w[:-1], w[1:]))

    def compression_limit(self) -> float:
        """The largest compression that keeps >= 2·depth weights (validate's bound)."""
        return math.log10(self.prunable() / (2 * self.depth))

    def validate(self):
        keep = self.prunable() * 10.0 ** (-self.compression)
        if keep < 2 * self.depth:
            limit = self.compression_limit()
            raise ValueError(
                f"config key 'compression' ({self.compression}) keeps {keep:.3g} of {self.prunable()} weights at depth "
                f"{self.depth} and width {self.width}: a connected network needs >= depth weights and the check asks "
                f"for >= 2·depth; use compression <= {limit:.2f} (or a larger width)")


def _network(config: SynflowConservationConfig):
    # The models' argument checks branch on concrete values: build the model eagerly even when
    # called under jit (simulate is traced).
    with jax.ensure_compile_time_eval():
        return models.mlp(config.widths(), config.activation, bias=config.bias)


def _cross_entropy(logits, labels):
    return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), labels[:, None], axis=1))


def simulate(config: SynflowConservationConfig, data, key):
    """Scores at initialisation, the conservation sums, and the three pruned masks."""
    key_init, key_bias, key_x, key_y = jax.random.split(key, 4)
    net = _network(config)
    params = net.init(key_init)
    if config.bias:
        params = [
            dict(layer, b=jax.random.uniform(k, layer["b"].shape, minval=-1.0, maxval=1.0) / jnp.sqrt(layer["w"].shape[0]))
            for layer, k in zip(params, jax.random.split(key_bias, len(params)))
        ]
    x = jax.random.normal(key_x, (SAMPLES, INPUT_DIM))
    labels = jax.random.randint(key_y, (SAMPLES,), 0, CLASSES)

    def data_loss(p):
        return _cross_entropy(net.apply(p, x), labels)

    synflow = dynamics.synflow_scores(net.apply, params, INPUT_DIM)
    signed = dynamics.synaptic_saliency(data_loss, params)
    logits = net.apply(params, x)
    output_term = jnp.vdot(jax.grad(lambda out: _cross_entropy(out, labels))(logits), logits)
    density = 10.0 ** (-data["compression"])
    template = dynamics.full_mask(params)
    iterative = dynamics.iterative_pruning(
        lambda p: dynamics.synflow_scores(net.apply, p, INPUT_DIM), params, density, rounds=config.rounds)
    magnitude = dynamics.global_mask(dynamics.magnitude_scores(params), density, template)
    snip = dynamics.global_mask(dynamics.snip_scores(data_loss, params), density, template)
    return {
        "weights": [layer["w"] for layer in params],
        "biases": [layer["b"] for layer in params] if config.bias else [],
        "synflow_w": [s["w"] for s in synflow],
        "synflow_b": [s["b"] for s in synflow] if config.bias else [],
        "signed_w": [s["w"] for s in signed],
        "output_term": output_term,
        "mask_synflow": [m["w"] for m in iterative.mask],
        "mask_magnitude": [m["w"] for m in magnitude],
        "mask_snip": [m["w"] for m in snip],
        "synflow_kept_per_round": iterative.kept,
        "synflow_pruned_score": iterative.pruned_score,
        "synflow_min_layer_score": iterative.min_layer_score,
    }


def synflow_objective_numpy(weights, biases, activation) -> float:
    """R = 1ᵀ f_{|θ|}(1): the forward pass of the |θ| network on an all-ones input, in numpy."""
    phi = {"relu": lambda z: np.maximum(z, 0.0), "linear": lambda z: z, "tanh": np.tanh}[activation]
    h = np.ones((1, weights[0].shape[0]))
    for i, w in enumerate(weights):
        h = h @ np.abs(w) + (np.abs(biases[i])[None, :] if biases else 0.0)
        if i < len(weights) - 1:
            h = phi(h)
    return float(np.sum(h))


def connectivity(weights, masks) -> float:
    """1ᵀ(Π_l |W_l| ⊙ M_l)1 of the bias-free pruned network: > 0 iff an input–output path survives."""
    h = np.ones((1, weights[0].shape[0]))
    for w, m in zip(weights, masks):
        h = h @ (np.abs(w) * m)
    return float(np.sum(h))


def verdict(config: SynflowConservationConfig, data, arrays) -> Result:
    weights, biases = list(arrays["weights"]), list(arrays["biases"])
    scores, bias_scores = list(arrays["synflow_w"]), list(arrays["synflow_b"])
    r_numpy = synflow_objective_numpy(weights, biases, config.activation)
    layer_sums = np.array([s.sum() for s in scores])
    layer_error = float(np.max(np.abs(layer_sums - r_numpy)) / r_numpy)
    neuron_errors = []
    for l in range(config.depth - 1):
        incoming = scores[l].sum(axis=0) + (bias_scores[l] if bias_scores else 0.0)
        outgoing = scores[l + 1].sum(axis=1)
        neuron_errors.append(np.abs(incoming - outgoing) / np.maximum(incoming + outgoing, np.finfo(float).tiny))
    neuron_error = float(np.max(np.concatenate(neuron_errors)))
    signed = list(arrays["signed_w"])
    output_term = float(arrays["output_term"])
    signed_sums = np.array([s.sum() for s in signed])
    signed_error = float(np.max(np.abs(signed_sums - output_term) / np.array([np.abs(s).sum() for s in signed])))
    error = max(layer_error, neuron_error, signed_error)
    eps = np.finfo(np.float64).eps
    tolerance = 2.0 * (config.depth * max(config.width, INPUT_DIM) + math.log2(config.prunable())) * eps

    kept = {name: np.array([m.sum() for m in arrays[f"mask_{name}"]]) for name in ("synflow", "magnitude", "snip")}
    connected = {name: connectivity(weights, arrays[f"mask_{name}"]) > 0 for name in kept}
    collapsed = {name: bool(np.any(kept[name] == 0) or not connected[name]) for name in kept}
    failed, inconclusive = [], []
    # each law by name, so that a failure says which one broke (the bias control breaks the layer
    # sums only; tanh breaks every law)
    if layer_error > tolerance:
        failed.append(f"SynFlow layer sums differ from R = {r_numpy:.4g} by {layer_error:.3g} (relative) > {tolerance:.3g}")
    if neuron_error > tolerance:
        failed.append(f"neuron-wise conservation (in = out) of SynFlow scores violated by {neuron_error:.3g} > {tolerance:.3g}")
    if signed_error > tolerance:
        failed.append(f"cross-entropy saliency layer sums differ from ⟨∂L/∂y, y⟩ by {signed_error:.3g} (relative to "
                      f"Σ|S|) > {tolerance:.3g}")
    # The theorem's step-size hypothesis: each round removes less score than the smallest layer
    # total (the cut) of the network it scores.
    with np.errstate(divide="ignore", invalid="ignore"):  # a layer total of 0: the scores vanished
        cut_ratio = arrays["synflow_pruned_score"] / arrays["synflow_min_layer_score"]
    cut_ratio = np.where(np.isfinite(cut_ratio), cut_ratio, np.inf)
    small_steps = bool(np.all(cut_ratio < 1.0))
    if collapsed["synflow"]:
        empty = [int(i) for i in np.nonzero(kept["synflow"] == 0)[0]]
        what = (f"iterative SynFlow ({config.rounds} rounds) collapsed the network at compression "
                f"10^{data['compression']:g}: " + (f"layers {empty} emptied" if empty else "no input–output path"))
        if small_steps:
            failed.append(what + ", although every round pruned less score than the smallest layer total")
        else:
            worst = float(np.max(cut_ratio))
            remedy = (f"raise rounds to >= {int(np.ceil(config.rounds * worst)) + 1}" if np.isfinite(worst)
                      else "a layer's total score vanished (saturated scores); raise rounds")
            inconclusive.append(
                what + f", but round {int(np.argmax(cut_ratio >= 1.0))} pruned {worst:.3g}× the smallest layer "
                f"total, outside the theorem's hypothesis; {remedy}")
    baselines_intact = [name for name in ("magnitude", "snip") if not collapsed[name]]
    if baselines_intact and not failed and not inconclusive and error <= tolerance:
        limit = config.compression_limit()
        inconclusive.append(
            f"single-shot {' and '.join(baselines_intact)} pruning did not collapse a layer at compression "
            f"10^{data['compression']:g}, so there is no contrast to show; "
            + (f"raise compression (at most {limit:.2f} at depth {config.depth}, width {config.width}; "
               f"THEORY.md §11: 10^3 at depth 6, width 100)" if limit > data["compression"] + 0.05 else
               f"compression is at its limit {limit:.2f} for width {config.width}: raise width (and compression)"))
    if error > tolerance or failed:  # a decided violation is a failure, whatever else is undecided
        inconclusive = []
    outcome, reason = decide(error, tolerance, fail_reasons=failed, inconclusive_reasons=inconclusive,
                             what="max relative violation of the conservation laws")
    details = {
        "R": r_numpy, "layer_sum_error": layer_error, "neuron_error": neuron_error,
        "signed_saliency_error": signed_error, "output_term": output_term,
        "max_round_score_over_cut": float(np.max(cut_ratio)) if np.isfinite(np.max(cut_ratio)) else None, "rounds_within_cut": small_steps,
        "kept_total": int(round(config.prunable() * 10.0 ** (-data["compression"]))),
        **{f"kept_per_layer_{name}": [int(k) for k in kept[name]] for name in kept},
        **{f"collapsed_{name}": collapsed[name] for name in kept},
    }
    flat = {f"{name}_{i}": np.asarray(a) for name in ("weights", "biases", "synflow_w", "synflow_b", "signed_w",
                                                     "mask_synflow", "mask_magnitude", "mask_snip")
            for i, a in enumerate(arrays[name])}
    flat.update(layer_sums=layer_sums, signed_sums=signed_sums, R=np.asarray(r_numpy),
                synflow_kept_per_round=arrays["synflow_kept_per_round"],
                synflow_pruned_score=arrays["synflow_pruned_score"],
                synflow_min_layer_score=arrays["synflow_min_layer_score"],
                **{f"kept_{name}": kept[name] for name in kept})
    return Result(
        predicted=r_numpy,
        measured=float(layer_sums[np.argmax(np.abs(layer_sums - r_numpy))]),
        error=error,
        tolerance=tolerance,
        outcome=outcome,
        reason=reason,
        arrays=flat,
        details=details,
    )


def plot(config: SynflowConservationConfig, result: Result, path) -> None:
    a = result.arrays
    fig, axes = figure(1, 2)
    ax = axes[0, 0]
    layers = np.arange(config.depth)
    ax.plot(layers, a["layer_sums"], "o-", label="Σ SynFlow score per layer")
    ax.axhline(float(a["R"]), color="k", ls=":", label="R = 1ᵀ f_|θ|(1)")
    ax.set_xlabel("layer")
    ax.set_ylabel("score sum")
    ax.set_title(f"conservation ({config.activation}, bias={config.bias}): {result.outcome.upper()}")
    ax.legend(fontsize=8)
    ax = axes[0, 1]
    for name, marker in (("synflow", "o"), ("magnitude", "s"), ("snip", "^")):
        ax.plot(layers, np.maximum(a[f"kept_{name}"], 0.5), marker + "-", label=name)
    ax.set_yscale("log")
    ax.set_xlabel("layer")
    ax.set_ylabel("weights kept (0 drawn at 0.5)")
    ax.set_title(f"compression 10^{config.compression:g}, SynFlow {config.rounds} rounds")
    ax.legend(fontsize=8)
    fig.savefig(path, dpi=110)


PRUNERS = (("synflow", "SynFlow (iterative)"), ("magnitude", "magnitude (single shot)"), ("snip", "SNIP (single shot)"))


def plot_sweep(rows, path) -> None:
    """Tanaka et al.'s layer-collapse picture from ``theorycheck sweep synflow_conservation --grid
    compression=lin:0.5:3.5:7``: the fraction of each layer's weights that survive against the
    compression, one panel per pruner (one line per layer, mean over seeds; a line that drops to
    the floor is a collapsed layer), and the number of collapsed layers per pruner."""
    fig, axes = figure(1, 4, figsize=(21, 4.4))
    config = rows[0]["config"]
    widths = (INPUT_DIM,) + (config["width"],) * (config["depth"] - 1) + (CLASSES,)
    sizes = np.array([a * b for a, b in zip(widths[:-1], widths[1:])], dtype=float)
    compressions = sorted({r["config"]["compression"] for r in rows})
    floor = 0.5 / sizes.max()
    for ax, (name, title) in zip(axes[0], PRUNERS):
        kept = np.array([[np.mean([r["details"][f"kept_per_layer_{name}"][l] for r in rows
                                   if r["config"]["compression"] == c]) for c in compressions]
                         for l in range(len(sizes))]) / sizes[:, None]
        for l, fraction in enumerate(kept):
            ax.semilogy(compressions, np.maximum(fraction, floor), "o-", ms=3,
                        label=f"layer {l} ({widths[l]}×{widths[l + 1]})")
        ax.semilogy(compressions, 10.0 ** -np.asarray(compressions), "k:", lw=1, label="overall density 10^−c")
        ax.axhline(floor, color="r", lw=0.6)
        ax.set_xlabel("compression c (density 10^−c)")
        ax.set_ylabel("fraction of the layer kept (floor: 0 kept)")
        ax.set_title(title, fontsize=9)
        ax.legend(fontsize=6)
    ax = axes[0, 3]
    for (name, title), marker in zip(PRUNERS, "os^"):
        empty = [np.mean([sum(k == 0 for k in r["details"][f"kept_per_layer_{name}"]) for r in rows
                          if r["config"]["compression"] == c]) for c in compressions]
        ax.plot(compressions, empty, marker + "-", label=title)
    ax.set_xlabel("compression c")
    ax.set_ylabel("emptied layers (mean over seeds)")
    passed = sum(r["outcome"] == "pass" for r in rows)
    ax.set_title(f"layer collapse (depth {config['depth']}, width {config['width']}, "
                 f"{config['rounds']} SynFlow rounds): {passed}/{len(rows)} pass", fontsize=9)
    ax.legend(fontsize=7)
    fig.savefig(path, dpi=110)


CHECK = register(
    Check(
        name="synflow_conservation",
        statement="Synaptic saliency is conserved per neuron and per layer for homogeneous bias-free nets, and "
                  "iterative SynFlow prunes without layer collapse where single-shot magnitude and SNIP collapse.",
        source="Tanaka, Kunin, Yamins, Ganguli, NeurIPS 2020, arXiv:2006.05467 (shared/THEORY.md §11)",
        config_type=SynflowConservationConfig,
        run=None,
        plot=plot,
        negative_controls=({"activation": "tanh"}, {"bias": True}),
        needs_x64=True,
        slow_corners=("width=high", "rounds=high", "depth=high"),
        data_keys=("compression",),
        simulate=simulate,
        verdict=verdict,
        plot_sweep=plot_sweep,
    )
)
