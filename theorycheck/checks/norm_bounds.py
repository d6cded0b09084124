"""Norm-based generalisation bounds of a conv net and an MLP on digits, and ‖T(w)‖_F = √P‖w‖_F.

**Statement.** (a) For a bias-free ReLU net of depth L with ρ = Π_k ‖W_k‖_F the Rademacher
complexity of the class {ρ(f) ≤ ρ} is at most ρ·B_x(√(2L log 2) + 1)/√N (Golowich, Rakhlin,
Shamir, COLT 2018, Thm 1; the form Xu, Rangamani, Liao, Galanti, Poggio, "Dynamics in deep
classifiers trained with the square loss", Research 2023, use; shared/THEORY.md §4), and the
square-loss generalisation gap of every such net obeys the bound of
:func:`bounds.square_loss_gap_bound` (derived there: loss range (a + 1)², loss-Lipschitz constant
2(a + 1) per output, a = rB_x, a factor C for the C outputs, the empirical-Rademacher confidence
term 3(a + 1)²√(log(2/δ_j)/(2N)) made uniform over the dyadic grid r = 2^⌈log₂ρ⌉ ≥ ρ with
δ_j = δ/(3(|j|+1)²)). The observed gap is measured on a finite test set, so Hoeffding's
(a + 1)²√(log(1/δ')/(2N_test)) is added; δ = δ' = 0.025, so the comparison holds with probability
≥ 95%. A violated bound is a bug (in the bound, the loss, or the norms), not bad luck at 5%: the
bound is orders of magnitude above any gap here. (b) A stride-1 circularly padded conv layer on P
positions is the linear map T(w) with ‖T(w)‖_F = √P‖w‖_F exactly (each kernel entry appears once
per position; shared/THEORY.md §4 [D]; the same factor d/stride appears in the reference code of
Graf et al., NeurIPS 2022, that turns kernel norms into Toeplitz norms), so the dense bound of the
conv net, written on its kernel norms, is the dense bound with ρ = Π_l √P_l‖w_l‖_F·‖W_out‖_F, a
factor Π_l √P_l above the kernel-norm product that the filter-norm bounds of Galanti, Xu, Galanti,
Poggio (arXiv:2301.12033) keep (their constants are not used here: not verified).

**Setup.** scikit-learn's digits (:func:`models.load_digits`: ``samples`` training images, the 449
held-out test images, standardised, one-hot targets), square loss (1/N)Σ‖f(x) − y‖², float64.
Two bias-free ReLU nets trained by full-batch GD (``dynamics.gradient_descent`` with
``plain_sgd(lr)``, no weight decay, no momentum) for ``steps`` steps: an MLP 64 → ``width`` →
``width`` → 10 (L = 3) and a conv net (:func:`models.conv_net`: two 3 × 3 conv layers of
``channels`` channels on the 8 × 8 image with ``padding``, then a dense readout; L = 3). Both are
initialised N(0, init_scale²/fan_in); ``lr`` and ``init_scale`` are data (a sweep over them is one
compile, run by ``lax.map``: a vmapped conv over a batch of kernels is a grouped conv, slow on CPU).
The simulator records the per-layer norms and the train/test losses every ``steps``/10 steps.
B_x is the largest input norm over all 1797 images (standardised with the training statistics),
the Rademacher term uses the training images' root-mean-square norm. The bound treats
the split as an i.i.d. sample from the uniform distribution on the 1797 images; it is a sample
without replacement, standardised with its own statistics, which the bound ignores: at 8–10
orders of magnitude above the gaps the comparison is a sanity bound (a violation is a bug), not a
test of those fine points. T(w) is built by :func:`bounds.circular_conv_operator` (or
:func:`bounds.zero_padded_conv_operator`) from the trained kernels by index arithmetic,
independently of the conv routine; the check confirms it is the operator the net applies by
comparing T(w)h with the net's conv output on 64 training images' feature maps.

**Verdict.** Pass iff (a) bound ≥ gap = test loss − train loss for both nets and (b) every conv
layer has |‖T(w)‖_F − √P‖w‖_F| ≤ tolerance·√P‖w‖_F; the reported error is (b)'s largest relative
deviation. A non-finite run is inconclusive (lower ``lr`` or ``init_scale``).

**Tolerance (derived).** (b) is exact in real arithmetic; in float64 ‖T‖² and ‖w‖² are sums of
P·|w| and |w| non-negative terms (relative error ≤ that count × ε each), the square roots and the
√P product add 3ε, so the relative deviation is at most ((P + 1)|w|/2 + 3)·ε (|w| = the number of
kernel entries): 1.0e-12 for a 3 × 3 × 4 × 4 kernel on 8 × 8, 2.6e-13 for the first layer's
3 × 3 × 1 × 4. The check uses the smallest such bound over the layers (measured: ≤ 2.1e-16). The
operator check: each output is a sum of m = 9·c_in products in both computations, so
‖conv(h) − T h‖_F ≤ 2mε‖T‖_F‖h‖_F.

**Negative control.** ``padding=zero``: the net's conv layers pad with zeros, the operator it
applies loses the boundary taps and ‖T(w)‖_F < √P‖w‖_F (≈ 0.9√P‖w‖_F for 3 × 3 on 8 × 8): (b)
fails by ~4e11 tolerances. (The kernel-norm bound stays an upper bound there; the exact relation
is what fails.)
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

IMAGE, CLASSES, KERNEL, DEPTH = (8, 8), 10, 3, 3
DIGITS = 1797  # images in scikit-learn's digits
POSITIONS = IMAGE[0] * IMAGE[1]
DELTA = 0.05  # total failure probability: δ/2 for the generalisation bound, δ/2 for the test-set mean
PROBE = 64  # training images on which T(w) is compared with the net's conv
EPS = float(np.finfo(np.float64).eps)
RECORDS = 10


@dataclasses.dataclass(frozen=True)
class NormBoundsConfig:
    steps: int = config_field(200, low=100, high=3000, help="full-batch GD steps for each net (a multiple of 10)")
    width: int = config_field(64, low=16, high=256, help="MLP hidden width (64 → width → width → 10)")
    channels: int = config_field(4, low=1, high=8, help="channels of each of the two 3 × 3 conv layers")
    padding: str = config_field("circular", choices=("circular", "zero"),
                                help="conv padding: circular (‖T(w)‖_F = √P‖w‖_F) or zero (the control)")
    samples: int = config_field(256, low=128, high=1348, help="training images N (the test set is the 449 held out)")
    lr: float = config_field(0.1, low=0.02, high=0.2, help="GD step size μ (data; the MLP's edge of stability is above 0.2)")
    init_scale: float = config_field(1.0, low=0.5, high=1.5, help="init standard deviation × √fan_in (data)")

    def validate(self):
        if self.steps % RECORDS:
            raise ValueError(f"config key 'steps' ({self.steps}) must be a multiple of {RECORDS}")


def _nets(config):
    with jax.ensure_compile_time_eval():
        mlp = models.mlp([POSITIONS, config.width, config.width, CLASSES], bias=False)
        conv = models.conv_net(IMAGE, (config.channels, config.channels), CLASSES, kernel_size=KERNEL,
                               padding=config.padding)
    return {"mlp": mlp, "conv": conv}


def simulate(config: NormBoundsConfig, data, key):
    key_data, key_mlp, key_conv, key_run = jax.random.split(key, 4)
    x, y, x_test, y_test = models.load_digits(key_data, train_size=config.samples)
    # the same permutation and standardisation with every other image held out: B_x over all 1797
    _, _, x_rest, _ = models.load_digits(key_data, test_fraction=(DIGITS - config.samples) / DIGITS,
                                         train_size=config.samples)
    arrays = {"input_radius": jnp.max(jnp.linalg.norm(jnp.concatenate([x, x_rest]), axis=1)),
              "input_rms": jnp.sqrt(jnp.mean(jnp.sum(x**2, axis=1))), "n_test": jnp.asarray(x_test.shape[0])}
    for (name, net), key_init in zip(_nets(config).items(), (key_mlp, key_conv)):
        def loss(params, xs=x, ys=y, net=net):
            return jnp.mean(jnp.sum((net.apply(params, xs) - ys) ** 2, axis=1))

        params0 = jax.tree.map(lambda w: data["init_scale"] * w, net.init(key_init))
        run = dynamics.gradient_descent(
            loss, dynamics.plain_sgd(data["lr"]), num_steps=config.steps, every=config.steps // RECORDS,
            observers={"norms": dynamics.parameter_norms(),
                       "train": dynamics.loss_observer(loss),
                       "test": dynamics.loss_observer(lambda p, loss=loss: loss(p, x_test, y_test))})
        traj = run(params0, key_run)
        params = traj.final_params
        arrays[f"{name}_norms"] = jnp.stack([n["w"] for n in traj.observations["norms"]], axis=1)  # (R, L)
        arrays[f"{name}_train"] = traj.observations["train"]
        arrays[f"{name}_test"] = traj.observations["test"]
        arrays[f"{name}_diverged"] = traj.diverged
        arrays[f"{name}_train_error"] = jnp.mean(jnp.argmax(net.apply(params, x), 1) != jnp.argmax(y, 1))
        arrays[f"{name}_test_error"] = jnp.mean(jnp.argmax(net.apply(params, x_test), 1) != jnp.argmax(y_test, 1))
        for i, layer in enumerate(params):
            arrays[f"{name}_w{i}"] = layer["w"]
    # the conv layers' inputs and outputs on a probe batch: T(w) must reproduce them
    h = x[:PROBE].reshape(PROBE, *IMAGE, 1)
    for i in range(2):
        z = models.conv2d(h, arrays[f"conv_w{i}"], config.padding)
        arrays[f"probe_in{i}"], arrays[f"probe_out{i}"] = h.reshape(PROBE, -1), z.reshape(PROBE, -1)
        h = jax.nn.relu(z)
    return arrays


def _operator(config):
    return bounds.circular_conv_operator if config.padding == "circular" else bounds.zero_padded_conv_operator


def _bound(rho, arrays, config):
    """The bound on the observed gap: generalisation bound (δ/2) plus the test-set deviation (δ/2)."""
    part = bounds.square_loss_gap_bound(rho, input_radius=float(arrays["input_radius"]),
                                        input_rms=float(arrays["input_rms"]), depth=DEPTH, n=config.samples,
                                        classes=CLASSES, delta=DELTA / 2)
    test = bounds.hoeffding_deviation(part.loss_range, int(arrays["n_test"]), DELTA / 2)
    return part.bound + test, part


def _conv_rho(norms):
    """ρ of the conv net in the kernel form: Π_l √P‖w_l‖_F · ‖W_out‖_F (norms: (..., 3))."""
    return POSITIONS * norms[..., 0] * norms[..., 1] * norms[..., 2]


def verdict(config: NormBoundsConfig, data, arrays) -> Result:
    out = dict(arrays)
    finite = all(np.all(np.isfinite(arrays[k])) for k in arrays if k.startswith(("mlp_", "conv_")))
    if bool(arrays["mlp_diverged"]) or bool(arrays["conv_diverged"]) or not finite:
        return Result(math.nan, math.nan, math.nan, math.nan, "inconclusive",
                      f"GD diverged at lr={data['lr']:g}, init_scale={data['init_scale']:g}; the bounds are "
                      "about the trained nets: lower lr or init_scale", out, {})
    details, fail_reasons = {}, []
    # (b) the exact relation ‖T(w)‖_F = √P‖w‖_F, on the operator the net applies
    deviations, tolerances, kernel_form, dense_form = [], [], [], []
    for i in range(2):
        w = np.asarray(arrays[f"conv_w{i}"], float)
        T = _operator(config)(w, IMAGE)
        predicted = bounds.conv_operator_frobenius_norm(w, POSITIONS)
        measured = float(np.linalg.norm(T.ravel()))
        deviations.append(abs(measured - predicted) / predicted)
        tolerances.append(((POSITIONS + 1) * w.size / 2 + 3) * EPS)
        kernel_form.append(predicted)
        dense_form.append(measured)
        h, z = np.asarray(arrays[f"probe_in{i}"], float), np.asarray(arrays[f"probe_out{i}"], float)
        mismatch = np.linalg.norm(z - h @ T.T) / (measured * np.linalg.norm(h))
        limit = 2 * KERNEL**2 * w.shape[2] * EPS
        details[f"layer{i}_norm_ratio"] = measured / predicted
        details[f"layer{i}_operator_mismatch"] = float(mismatch)
        if not mismatch <= limit:
            fail_reasons.append(f"T(w) of conv layer {i} does not reproduce the net's conv "
                                f"({mismatch:.2g} > {limit:.2g}): the operator builder or the layout is wrong")
    readout = float(np.linalg.norm(np.asarray(arrays["conv_w2"], float)))
    # (a) bound ≥ gap for both nets, with ρ from the final weights (conv: the kernel form)
    rhos = {"mlp": float(np.prod([np.linalg.norm(np.asarray(arrays[f"mlp_w{i}"], float)) for i in range(DEPTH)])),
            "conv": float(np.prod(kernel_form)) * readout}
    for name, rho in rhos.items():
        total, part = _bound(rho, arrays, config)
        gap = float(arrays[f"{name}_test"][-1] - arrays[f"{name}_train"][-1])
        details.update({f"{name}_rho": rho, f"{name}_bound": total, f"{name}_gap": gap,
                        f"{name}_rademacher": float(bounds.golowich18_rademacher_bound(
                            rho, float(arrays["input_rms"]), DEPTH, config.samples)),
                        f"{name}_train_loss": float(arrays[f"{name}_train"][-1]),
                        f"{name}_test_loss": float(arrays[f"{name}_test"][-1]),
                        f"{name}_train_error": float(arrays[f"{name}_train_error"]),
                        f"{name}_test_error": float(arrays[f"{name}_test_error"])})
        if not gap <= total:
            fail_reasons.append(f"{name}: the generalisation gap {gap:.3g} exceeds the bound {total:.3g} "
                                "(a bug in the bound, the loss or the norms)")
    details.update(conv_rho_dense=float(np.prod(dense_form)) * readout,
                   conv_sqrt_p_factor=float(POSITIONS),  # Π_l √P_l over the two conv layers
                   conv_kernel_norm_product=float(np.prod(kernel_form)) / POSITIONS * readout,
                   input_radius=float(arrays["input_radius"]), input_rms=float(arrays["input_rms"]))
    error, tolerance = max(deviations), min(tolerances)
    outcome, reason = decide(error, tolerance, fail_reasons=fail_reasons,
                             what="max relative |‖T(w)‖_F − √P‖w‖_F| over the conv layers")
    if outcome == "pass":
        reason += (f"; bound ≥ gap for both nets (MLP {details['mlp_bound']:.3g} ≥ {details['mlp_gap']:.3g}, "
                   f"conv {details['conv_bound']:.3g} ≥ {details['conv_gap']:.3g})")
    out["conv_operator_norms"], out["conv_kernel_form_norms"] = np.array(dense_form), np.array(kernel_form)
    return Result(predicted=float(np.prod(kernel_form)), measured=float(np.prod(dense_form)), error=float(error),
                  tolerance=float(tolerance), outcome=outcome, reason=reason, arrays=out, details=details)


def _curves(arrays, config):
    """The bound and the gap at every record, for both nets."""
    curves = {}
    for name in ("mlp", "conv"):
        norms = np.asarray(arrays[f"{name}_norms"], float)
        rho = np.prod(norms, axis=1) if name == "mlp" else _conv_rho(norms)
        curves[name] = (np.array([_bound(r, arrays, config)[0] if np.isfinite(r) and r > 0 else np.nan for r in rho]),
                        np.asarray(arrays[f"{name}_test"] - arrays[f"{name}_train"], float))
    return curves


def plot(config: NormBoundsConfig, result: Result, path) -> None:
    d, a = result.details, result.arrays
    fig, axes = figure(1, 2)
    ax = axes[0, 0]
    if "mlp_bound" in d:
        labels = ["MLP gap", "MLP 2R̂ (GRS)", "MLP bound", "conv gap", "conv 2R̂ (GRS)", "conv bound"]
        values = [d["mlp_gap"], 2 * d["mlp_rademacher"], d["mlp_bound"],
                  d["conv_gap"], 2 * d["conv_rademacher"], d["conv_bound"]]
        colors = ["C2", "C0", "C3"] * 2
        bars = ax.bar(range(6), [max(abs(v), 1e-12) for v in values], color=colors)
        for bar, v in zip(bars, values):
            ax.annotate(f"{v:.2g}", (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center",
                        va="bottom", fontsize=7)
        ax.set_xticks(range(6), labels, rotation=30, fontsize=7)
        ax.set_yscale("log")
        ax.set_ylabel("square loss (|gap| where negative)")
        ax.set_title(f"norm bounds vs gaps (N = {config.samples}, conv ρ carries Π√P = {POSITIONS}): "
                     f"{result.outcome.upper()}", fontsize=8)
    ax = axes[0, 1]
    if "mlp_bound" in d:
        steps = np.linspace(0, config.steps, RECORDS + 1)
        for (name, (bound, gap)), color in zip(_curves(a, config).items(), ("C0", "C1")):
            ax.semilogy(steps, bound, "-", color=color, label=f"{name}: bound")
            ax.semilogy(steps, np.abs(gap), ":", color=color, label=f"{name}: |test − train|")
        ax.set_xlabel("GD step")
        ax.set_ylabel("square loss")
        ax.legend(fontsize=7)
    ratios = [d.get(f"layer{i}_norm_ratio") for i in range(2)]
    ax.set_title("‖T(w)‖_F / √P‖w‖_F: " + ", ".join("n/a" if r is None else f"{r:.15f}" for r in ratios), fontsize=8)
    fig.savefig(path, dpi=110)


def plot_sweep(rows, path) -> None:
    """The bound table of a sweep: bound and |gap| of both nets against the first swept key, each the
    mean over the seeds and any other swept key (log scale)."""
    fig, axes = figure(1, 1)
    ax = axes[0, 0]
    key = next(iter(rows[0]["swept"])) if rows and rows[0].get("swept") else "lr"
    xs = sorted({r["config"][key] for r in rows})
    for name, color in (("mlp", "C0"), ("conv", "C1")):
        for field, style, label in (("bound", "o-", "bound"), ("gap", "s:", "|test − train|")):
            means = []
            for value in xs:
                vals = [abs(r["details"][f"{name}_{field}"]) for r in rows
                        if r["config"][key] == value and r["details"].get(f"{name}_{field}") is not None]
                means.append(np.mean(vals) if vals else np.nan)
            ax.semilogy(range(len(xs)), means, style, color=color, label=f"{name}: {label}")
    ax.set_xticks(range(len(xs)), [str(v) for v in xs])
    ax.set_xlabel(key)
    ax.set_ylabel("square loss (mean over seeds, other keys)")
    passed = sum(r["outcome"] == "pass" for r in rows)
    ax.set_title(f"norm-based bounds beside the generalisation gaps: {passed}/{len(rows)} pass", fontsize=9)
    ax.legend(fontsize=7)
    fig.savefig(path, dpi=110)


CHECK = register(
    Check(
        name="norm_bounds",
        statement="The ρ·B_x(√(2L log 2)+1)/√N square-loss bound exceeds the gap of a conv net and an MLP on digits, "
                  "and a circular conv layer has ‖T(w)‖_F = √P‖w‖_F exactly.",
        source="Golowich, Rakhlin, Shamir, COLT 2018, Thm 1; Xu, Rangamani, Liao, Galanti, Poggio, Research 2023; "
               "Galanti, Xu, Galanti, Poggio, arXiv:2301.12033 (shared/THEORY.md §4)",
        config_type=NormBoundsConfig,
        run=None,
        plot=plot,
        negative_controls=({"padding": "zero"},),
        needs_x64=True,
        quick={"steps": 100, "samples": 128, "width": 32, "channels": 2},
        # every static corner is a new compile (~6 s of XLA for the two nets); the data keys and
        # steps=low, samples=low share the quick compile
        slow_corners=("steps=high", "samples=high", "width=high", "channels=high", "width=low", "channels=low"),
        data_keys=("lr", "init_scale"),
        simulate=simulate,
        verdict=verdict,
        plot_sweep=plot_sweep,
        # lax.map: a vmapped conv over a batch of kernels becomes a grouped convolution, slow on CPU
        batching="map",
    )
)
