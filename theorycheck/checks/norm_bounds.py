"""Norm-based generalisation bounds of a conv net and an MLP on digits: the dense bound, the kernel-norm
bound, the factor Π√P_l between them, and ‖T(w)‖_F = √P‖w‖_F.

**Statement.** (a) For a bias-free ReLU net of depth L with ρ = Π_k ‖W_k‖_F the Rademacher
complexity of the class {ρ(f) ≤ ρ} is at most ρ·B_x(√(2L log 2) + 1)/√N (Golowich, Rakhlin,
Shamir, COLT 2018, Thm 1; the form Xu, Rangamani, Liao, Galanti, Poggio, "Dynamics in deep
classifiers trained with the square loss", Research 2023, use; shared/THEORY.md §4), and the
square-loss generalisation gap of every such net obeys the bound of
:func:`bounds.square_loss_gap_bound` (derived there: loss range (a + 1)², loss-Lipschitz constant
2(a + 1) per output, a = rB_x, a factor C for the C outputs, the empirical-Rademacher confidence
term 3(a + 1)²√(log(2/δ_j)/(2N)) made uniform over the dyadic grid r = 2^⌈log₂ρ⌉ ≥ ρ with
δ_j = δ/(3(|j|+1)²)). The observed gap is measured on a finite test set, so Hoeffding's
(a + 1)²√(log(1/δ')/(2N_test)) is added; δ = δ' = 0.025, so each comparison holds with probability
≥ 95% (the three comparisons below jointly with ≥ 85%). A violated bound is a bug (in the bound,
the loss or the norms), not bad luck at 5%: every bound is orders of magnitude above any gap here.
(b) A stride-1 circularly padded conv layer on P positions is the linear map T(w) with
‖T(w)‖_F = √P‖w‖_F exactly (each kernel entry appears once per position; shared/THEORY.md §4 [D];
the same factor d/stride appears in the reference code of Graf et al., NeurIPS 2022, that turns
kernel norms into Toeplitz norms). (c) The kernel-norm bound of Galanti, Xu, Galanti, Poggio
("Norm-based generalization bounds for sparse neural networks", arXiv:2301.12033, NeurIPS 2023):
the conv net's gap also obeys the same square-loss bound with the dense Rademacher term replaced by
:func:`bounds.galanti23_sparse_rademacher_bound`, ρ_k·√(Π_{l≥2} k_l)·B_patch·(1 + √(2(L log 2 +
Σ_{l≥2} log k_l)))/√N, where ρ_k = Π_l max_j ‖w_{l,j}‖_F·‖W_out‖_F is the product of the largest
*filter* norm of each conv layer (the kernel norm, for a shared kernel) and the readout norm,
k_2 = 9 (the 3 × 3 taps a second-layer neuron reads), k_3 = P = 64 (the positions the dense
readout reads), and B_patch the first layer's input-patch norm (3 × 3 patches) instead of the
image norm; the range a = r·√(Π k_l)·B_patch follows from the same peeling. (d) The paper's claim,
"bounds for convolutional layers that are orders of magnitude better than classical bounds for
dense networks", as a measured identity: the dense bound of the same conv net takes the Toeplitz
norms, ρ_d = Π_l ‖T_l‖_F·‖W_out‖_F, the kernel-norm bound the filter norms, and with one shared
kernel per circular layer ρ_d/ρ_k = Π_l √P_l = 64 exactly; the two Rademacher terms then differ by
the predicted 64/√(Π k_l) · (B_x/B_patch) · (√(2L log 2) + 1)/(1 + √(2(L log 2 + Σ log k_l))).

**Source, and what was verified.** The abstract of arXiv:2301.12033 (found with the search tool,
on ar5iv and the MIT CBMM record): the bounds "consider the norms of the convolutional filters
instead of the norms of the associated Toeplitz matrices, independently of weight sharing between
neurons" and "may be orders of magnitude better than standard norm-based generalization bounds".
The paper's theorem text (number, constants) was **not** reachable from here, nor its code
(github lianegalanti/NormBasedBounds: no snapshot); the form of (c) is derived in
:func:`bounds.galanti23_sparse_rademacher_bound` (GRS peeling with a union over each neuron's
children, which puts √k_l in front and log k_l under the root; with no sparse layer it is GRS
exactly) and follows the abstract's structure (filter norms, max over neurons, no dependence on the
Toeplitz dimension beyond the readout's). The GRS constant is verified as stated in
:func:`bounds.golowich18_rademacher_bound`.

**Setup.** scikit-learn's digits (:func:`models.load_digits`: ``samples`` training images, the 449
held-out test images, standardised, one-hot targets), square loss (1/N)Σ‖f(x) − y‖², float64.
Two bias-free ReLU nets trained by full-batch GD (``dynamics.gradient_descent`` with
``plain_sgd(lr)``, no weight decay, no momentum) for ``steps`` steps: an MLP 64 → ``width`` →
``width`` → 10 (L = 3) and a conv net (:func:`models.conv_net`: two 3 × 3 conv layers of
``channels`` channels on the 8 × 8 image with ``padding``, then a dense readout; L = 3;
``weight_sharing=false``: locally connected layers, one kernel per position). Both are
initialised N(0, init_scale²/fan_in); ``lr`` and ``init_scale`` are data (a sweep over them is one
compile, run by ``lax.map``: a vmapped conv over a batch of kernels is a grouped conv, slow on CPU).
The simulator records the per-layer norms, the largest filter norm of each conv layer and the
train/test losses every ``steps``/10 steps. B_x is the largest input norm over all 1797 images
(standardised with the training statistics), B_patch the largest 3 × 3 patch norm over all images
and positions (with the net's padding); the Rademacher terms use the training images'
root-mean-square norm (B_patch: the largest over positions of the patches' root-mean-square norm).
The bounds treat the split as an i.i.d. sample from the uniform distribution on the 1797 images;
it is a sample without replacement, standardised with its own statistics, which the bounds
ignore: far above the gaps, the comparisons are sanity bounds (a violation is a bug), not tests of
those fine points. T(w) is built by :func:`bounds.circular_conv_operator` (or
:func:`bounds.zero_padded_conv_operator`, :func:`bounds.locally_connected_operator`) from the
trained kernels by index arithmetic, independently of the conv routine; the check confirms it is
the operator the net applies by comparing T(w)h with the net's conv output on 64 training images'
feature maps. The filter norms ‖w_{l,j}‖ are read from T's row blocks
(:func:`bounds.neuron_filter_norms`: the weights the neurons at one position apply), not from the
parameters.

**Verdict.** Pass iff (a) dense bound ≥ gap = test loss − train loss for both nets, (b) every conv
layer has |‖T(w)‖_F − √P‖w‖_F| ≤ tolerance·√P‖w‖_F (locally connected: ‖T‖_F = √(Σ_p‖w_p‖²),
each entry once), (c) kernel-norm bound ≥ gap for the conv net, and (d) the factor ρ_d/ρ_k =
Π_l ‖T_l‖_F/max_j ‖w_{l,j}‖_F is Π_l √P_l = 64 to its tolerance; the reported error is (b)'s
largest relative deviation. A non-finite run is inconclusive (lower ``lr`` or ``init_scale``).

**Tolerances (derived).** (b) is exact in real arithmetic; in float64 ‖T‖² and ‖w‖² are sums of
P·|w| and |w| non-negative terms (relative error ≤ that count × ε each), the square roots and the
√P product add 3ε, so the relative deviation is at most ((P + 1)|w|/2 + 3)·ε (|w| = the number of
kernel entries): 1.0e-12 for a 3 × 3 × 4 × 4 kernel on 8 × 8, 2.6e-13 for the first layer's
3 × 3 × 1 × 4. The check uses the smallest such bound over the layers (measured: ≤ 2.1e-16).
Locally connected: both sides sum the same P·|w| squares, (P|w| + 3)ε. (d) per layer the same
count as (b) (‖T_l‖ over P|w_l| squares, each row block over |w_l|, a division), the product over the
two layers one more ε: Σ_l ((P + 1)|w_l|/2 + 3)ε + ε, 1.3e-12 at 4 channels. The operator check:
each output is a sum of m = 9·c_in products in both computations, so
‖conv(h) − T h‖_F ≤ 2mε‖T‖_F‖h‖_F.

**Negative controls.** ``padding=zero``: the net's conv layers pad with zeros, the operator it
applies loses the boundary taps and ‖T(w)‖_F < √P‖w‖_F (≈ 0.9√P‖w‖_F for 3 × 3 on 8 × 8): (b)
fails by ~4e11 tolerances, and so does (d) (the boundary neurons' filters are truncated, the
interior ones are not: the filter norms differ, ρ_d/ρ_k ≈ 0.8·64). Both bounds stay upper bounds
there. ``weight_sharing=false``: locally connected layers with the same receptive fields; the
kernel-norm bound with the largest filter norm still holds (the paper: "independently of weight
sharing") and (b)'s locally connected form is exact, but the P filters of a layer no longer share
one norm, ‖T_l‖_F = √(Σ_p ‖w_p‖²) < √P_l max_p ‖w_p‖, and (d) fails: the dense bound is *not*
Π√P_l above the kernel-norm bound (measured ρ_d/ρ_k = 40.1, 37.3, 42.9, 36.9 at seeds 0, 101, 202,
303 instead of 64; zero padding: 52.8, 53.9, 52.9, 53.2).

**Why the gain here is not orders of magnitude.** Π_l √P_l = 64 for two conv layers on 8 × 8, and
the kernel-norm bound pays √(Π k_l) = √(9·64) = 24 back (the dense readout reads all 64
positions): the Rademacher terms differ by 3.99, 3.92, 4.03, 3.99 (= the predicted ratio to 1e-12;
B_x/B_patch ≈ 7.55/3.0 on the root-mean-square norms), the square-loss bounds by 8.9, 9.5, 9.9,
10.1 (default config, seeds 0, 101, 202, 303). The bounds' range a uses the *largest* patch norm,
128.8, almost the largest image norm, 129: one standardised pixel that is nearly constant on the
training set dominates both, so the patch gains nothing in the range, only in the Rademacher
term. The paper's "orders of magnitude" needs more layers or larger images, Π_l √(P_l/k_l) ≫ 1.
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
DEGREES = (KERNEL**2, POSITIONS)  # children of a second-layer neuron (3 × 3 taps) and of the readout (positions)
FACTOR = float(POSITIONS)  # Π_l √P_l over the two conv layers: ρ_dense/ρ_kernel for shared circular layers
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
    weight_sharing: bool = config_field(True, help="conv layers share one kernel over the positions (false: locally "
                                                   "connected, the control of the factor Π√P_l)")

    def validate(self):
        if self.steps % RECORDS:
            raise ValueError(f"config key 'steps' ({self.steps}) must be a multiple of {RECORDS}")


def _nets(config):
    with jax.ensure_compile_time_eval():
        mlp = models.mlp([POSITIONS, config.width, config.width, CLASSES], bias=False)
        conv = models.conv_net(IMAGE, (config.channels, config.channels), CLASSES, kernel_size=KERNEL,
                               padding=config.padding, weight_sharing=config.weight_sharing)
    return {"mlp": mlp, "conv": conv}


def _largest_filter_norm(w):
    """max over the output positions of the norm of the kernel applied there (one kernel if shared)."""
    if w.ndim == 4:
        return jnp.linalg.norm(w)
    return jnp.sqrt(jnp.max(jnp.sum(w**2, axis=(2, 3, 4, 5))))


def simulate(config: NormBoundsConfig, data, key):
    key_data, key_mlp, key_conv, key_run = jax.random.split(key, 4)
    x, y, x_test, y_test = models.load_digits(key_data, train_size=config.samples)
    # the same permutation and standardisation with every other image held out: B_x over all 1797
    _, _, x_rest, _ = models.load_digits(key_data, test_fraction=(DIGITS - config.samples) / DIGITS,
                                         train_size=config.samples)
    images = jnp.concatenate([x, x_rest])
    # ‖u_q(x)‖²: the squared pixels summed over each 3 × 3 receptive field (with the net's padding)
    patches = models.conv2d((images**2).reshape(-1, *IMAGE, 1), jnp.ones((KERNEL, KERNEL, 1, 1)), config.padding)
    patches = patches.reshape(images.shape[0], POSITIONS)
    arrays = {"input_radius": jnp.max(jnp.linalg.norm(images, axis=1)),
              "input_rms": jnp.sqrt(jnp.mean(jnp.sum(x**2, axis=1))), "n_test": jnp.asarray(x_test.shape[0]),
              "patch_radius": jnp.sqrt(jnp.max(patches)),
              "patch_rms": jnp.sqrt(jnp.max(jnp.mean(patches[: x.shape[0]], axis=0)))}
    for (name, net), key_init in zip(_nets(config).items(), (key_mlp, key_conv)):
        def loss(params, xs=x, ys=y, net=net):
            return jnp.mean(jnp.sum((net.apply(params, xs) - ys) ** 2, axis=1))

        observers = {"norms": dynamics.parameter_norms(),
                     "train": dynamics.loss_observer(loss),
                     "test": dynamics.loss_observer(lambda p, loss=loss: loss(p, x_test, y_test))}
        if name == "conv":
            observers["filters"] = dynamics.stateless(
                lambda p, k: jnp.stack([_largest_filter_norm(layer["w"]) for layer in p[:-1]]))
        params0 = jax.tree.map(lambda w: data["init_scale"] * w, net.init(key_init))
        run = dynamics.gradient_descent(
            loss, dynamics.plain_sgd(data["lr"]), num_steps=config.steps, every=config.steps // RECORDS,
            observers=observers)
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
    arrays["conv_filters"] = traj.observations["filters"]  # (R, 2): the largest filter norm per conv layer
    # the conv layers' inputs and outputs on a probe batch: T(w) must reproduce them
    layer_fn = models.conv2d if config.weight_sharing else models.local_conv2d
    h = x[:PROBE].reshape(PROBE, *IMAGE, 1)
    for i in range(2):
        z = layer_fn(h, arrays[f"conv_w{i}"], config.padding)
        arrays[f"probe_in{i}"], arrays[f"probe_out{i}"] = h.reshape(PROBE, -1), z.reshape(PROBE, -1)
        h = jax.nn.relu(z)
    return arrays


def _operator(config):
    if not config.weight_sharing:
        return lambda w, image: bounds.locally_connected_operator(w, image, config.padding)
    return bounds.circular_conv_operator if config.padding == "circular" else bounds.zero_padded_conv_operator


def _bound(rho, arrays, config, kernel=False):
    """The bound on the observed gap: generalisation bound (δ/2) plus the test-set deviation (δ/2);
    ``kernel``: the kernel-norm bound (patch norms, the degrees of the sparse layers)."""
    radius, rms, degrees = ((arrays["patch_radius"], arrays["patch_rms"], DEGREES) if kernel
                            else (arrays["input_radius"], arrays["input_rms"], ()))
    part = bounds.square_loss_gap_bound(rho, input_radius=float(radius), input_rms=float(rms), depth=DEPTH,
                                        n=config.samples, classes=CLASSES, delta=DELTA / 2, degrees=degrees)
    test = bounds.hoeffding_deviation(part.loss_range, int(arrays["n_test"]), DELTA / 2)
    return part.bound + test, part


def _conv_rho(norms, config):
    """The dense ρ of the conv net from the parameter norms (norms: (..., 3)): Π_l √P‖w_l‖_F·‖W_out‖_F for
    shared kernels, Π_l ‖w_l‖_F·‖W_out‖_F (each entry once in T) for locally connected layers."""
    scale = POSITIONS if config.weight_sharing else 1.0
    return scale * norms[..., 0] * norms[..., 1] * norms[..., 2]


def verdict(config: NormBoundsConfig, data, arrays) -> Result:
    out = dict(arrays)
    finite = all(np.all(np.isfinite(arrays[k])) for k in arrays if k.startswith(("mlp_", "conv_", "patch_")))
    if bool(arrays["mlp_diverged"]) or bool(arrays["conv_diverged"]) or not finite:
        return Result(math.nan, math.nan, math.nan, math.nan, "inconclusive",
                      f"GD diverged at lr={data['lr']:g}, init_scale={data['init_scale']:g}; the bounds are "
                      "about the trained nets: lower lr or init_scale", out, {})
    details, fail_reasons = {}, []
    # (b) the exact relation ‖T(w)‖_F = √P‖w‖_F (locally connected: √(Σ_p‖w_p‖²)), on the operator the net applies
    deviations, tolerances, kernel_form, dense_form, filter_max, factor_tolerance = [], [], [], [], [], EPS
    for i in range(2):
        w = np.asarray(arrays[f"conv_w{i}"], float)
        T = _operator(config)(w, IMAGE)
        if config.weight_sharing:
            predicted = bounds.conv_operator_frobenius_norm(w, POSITIONS)
            per_neuron = w.size
            tolerances.append(((POSITIONS + 1) * w.size / 2 + 3) * EPS)
        else:  # each of the P kernels' entries appears once in T
            predicted = float(np.linalg.norm(w.ravel()))
            per_neuron = w.size // POSITIONS
            tolerances.append((w.size + 3) * EPS)
        measured = float(np.linalg.norm(T.ravel()))
        filters = bounds.neuron_filter_norms(T, POSITIONS)
        deviations.append(abs(measured - predicted) / predicted)
        kernel_form.append(predicted)
        dense_form.append(measured)
        filter_max.append(float(np.max(filters)))
        factor_tolerance += ((POSITIONS + 1) * per_neuron / 2 + 3) * EPS
        h, z = np.asarray(arrays[f"probe_in{i}"], float), np.asarray(arrays[f"probe_out{i}"], float)
        mismatch = np.linalg.norm(z - h @ T.T) / (measured * np.linalg.norm(h))
        limit = 2 * KERNEL**2 * w.shape[-2] * EPS
        details[f"layer{i}_norm_ratio"] = measured / predicted
        details[f"layer{i}_operator_mismatch"] = float(mismatch)
        details[f"layer{i}_filter_norm_max"] = filter_max[-1]
        details[f"layer{i}_filter_norm_min"] = float(np.min(filters))
        details[f"layer{i}_toeplitz_over_sqrt_p_max_filter"] = measured / (math.sqrt(POSITIONS) * filter_max[-1])
        if not mismatch <= limit:
            fail_reasons.append(f"T(w) of conv layer {i} does not reproduce the net's conv "
                                f"({mismatch:.2g} > {limit:.2g}): the operator builder or the layout is wrong")
    readout = float(np.linalg.norm(np.asarray(arrays["conv_w2"], float)))
    # (a) dense bound ≥ gap for both nets, with ρ from the final weights (conv: the Toeplitz norms of T);
    # (c) the kernel-norm bound ≥ gap for the conv net (ρ: the largest filter norms, read from T)
    rhos = {"mlp": float(np.prod([np.linalg.norm(np.asarray(arrays[f"mlp_w{i}"], float)) for i in range(DEPTH)])),
            "conv": float(np.prod(dense_form)) * readout}
    kernel_rho = float(np.prod(filter_max)) * readout
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
    kernel_total, _ = _bound(kernel_rho, arrays, config, kernel=True)
    kernel_rademacher = float(bounds.galanti23_sparse_rademacher_bound(kernel_rho, float(arrays["patch_rms"]), DEPTH,
                                                                      DEGREES, config.samples))
    details.update(conv_kernel_rho=kernel_rho, conv_kernel_bound=kernel_total, conv_kernel_rademacher=kernel_rademacher)
    if not details["conv_gap"] <= kernel_total:
        fail_reasons.append(f"conv: the generalisation gap {details['conv_gap']:.3g} exceeds the kernel-norm bound "
                            f"{kernel_total:.3g} (a bug in the sparse bound, the patch norms or the filter norms)")
    # (d) the factor: ρ_dense/ρ_kernel = Π_l ‖T_l‖_F / max_j ‖w_{l,j}‖_F against Π_l √P_l
    factor = float(np.prod(dense_form) / np.prod(filter_max))
    factor_deviation = abs(factor - FACTOR) / FACTOR
    constants = (math.sqrt(2 * DEPTH * math.log(2)) + 1) / (
        math.sqrt(2 * (DEPTH * math.log(2) + sum(math.log(k) for k in DEGREES))) + 1)
    details.update(conv_factor=factor, conv_factor_predicted=FACTOR, conv_factor_deviation=factor_deviation,
                   conv_factor_tolerance=factor_tolerance,
                   conv_rademacher_ratio=details["conv_rademacher"] / kernel_rademacher,
                   conv_rademacher_ratio_predicted=FACTOR / math.sqrt(math.prod(DEGREES))
                   * float(arrays["input_rms"]) / float(arrays["patch_rms"]) * constants,
                   conv_bound_ratio=details["conv_bound"] / kernel_total)
    if not factor_deviation <= factor_tolerance:
        fail_reasons.append(
            f"the factor ρ_dense/ρ_kernel = Π‖T_l‖_F/max_j‖w_l,j‖_F = {factor:.6g} is not Π√P_l = {FACTOR:g} "
            f"(relative deviation {factor_deviation:.3g} > {factor_tolerance:.3g}): the neurons of a layer do not "
            "all apply one filter norm, so the dense bound is not Π√P_l above the kernel-norm bound "
            f"(‖T_l‖_F/(√P max_j‖w_l,j‖) = {details['layer0_toeplitz_over_sqrt_p_max_filter']:.3g}, "
            f"{details['layer1_toeplitz_over_sqrt_p_max_filter']:.3g})")
    details.update(conv_rho_dense=float(np.prod(dense_form)) * readout,
                   conv_sqrt_p_factor=FACTOR,  # Π_l √P_l over the two conv layers
                   conv_kernel_norm_product=kernel_rho,
                   input_radius=float(arrays["input_radius"]), input_rms=float(arrays["input_rms"]),
                   patch_radius=float(arrays["patch_radius"]), patch_rms=float(arrays["patch_rms"]))
    error, tolerance = max(deviations), min(tolerances)
    what = ("max relative |‖T(w)‖_F − √P‖w‖_F| over the conv layers" if config.weight_sharing
            else "max relative |‖T‖_F − √(Σ_p‖w_p‖²)| over the locally connected layers")
    outcome, reason = decide(error, tolerance, fail_reasons=fail_reasons, what=what)
    if outcome == "pass":
        reason += (f"; bound ≥ gap for both nets (MLP {details['mlp_bound']:.3g} ≥ {details['mlp_gap']:.3g}, "
                   f"conv {details['conv_bound']:.3g} ≥ {details['conv_gap']:.3g}), kernel-norm bound "
                   f"{kernel_total:.3g} ≥ {details['conv_gap']:.3g}; ρ_dense/ρ_kernel = {factor:.15g} = Π√P_l "
                   f"(deviation {factor_deviation:.2g} <= {factor_tolerance:.2g}); the kernel-norm bound is "
                   f"{details['conv_bound_ratio']:.3g}x below the dense one")
    out["conv_operator_norms"], out["conv_kernel_form_norms"] = np.array(dense_form), np.array(kernel_form)
    return Result(predicted=float(np.prod(kernel_form)), measured=float(np.prod(dense_form)), error=float(error),
                  tolerance=float(tolerance), outcome=outcome, reason=reason, arrays=out, details=details)


def _curves(arrays, config):
    """The bounds and the gap at every record: the dense bound of both nets and the conv net's kernel-norm bound."""
    curves = {}
    for name in ("mlp", "conv", "conv kernel-norm"):
        key = "mlp" if name == "mlp" else "conv"
        norms = np.asarray(arrays[f"{key}_norms"], float)
        if name == "mlp":
            rho = np.prod(norms, axis=1)
        elif name == "conv":
            rho = _conv_rho(norms, config)
        else:
            rho = np.prod(np.asarray(arrays["conv_filters"], float), axis=1) * norms[:, 2]
        kernel = name == "conv kernel-norm"
        curves[name] = (np.array([_bound(r, arrays, config, kernel)[0] if np.isfinite(r) and r > 0 else np.nan
                                  for r in rho]),
                        np.asarray(arrays[f"{key}_test"] - arrays[f"{key}_train"], float))
    return curves


def plot(config: NormBoundsConfig, result: Result, path) -> None:
    d, a = result.details, result.arrays
    fig, axes = figure(1, 2)
    ax = axes[0, 0]
    if "mlp_bound" in d:
        labels = ["MLP gap", "MLP 2R̂ (GRS)", "MLP bound", "conv gap", "conv 2R̂ (GRS)", "conv bound",
                  "conv 2R̂ (kernel)", "conv kernel bound"]
        values = [d["mlp_gap"], 2 * d["mlp_rademacher"], d["mlp_bound"],
                  d["conv_gap"], 2 * d["conv_rademacher"], d["conv_bound"],
                  2 * d["conv_kernel_rademacher"], d["conv_kernel_bound"]]
        colors = ["C2", "C0", "C3"] * 2 + ["C4", "C5"]
        bars = ax.bar(range(len(values)), [max(abs(v), 1e-12) for v in values], color=colors)
        for bar, v in zip(bars, values):
            ax.annotate(f"{v:.2g}", (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center",
                        va="bottom", fontsize=7)
        ax.set_xticks(range(len(values)), labels, rotation=30, fontsize=7)
        ax.set_yscale("log")
        ax.set_ylabel("square loss (|gap| where negative)")
        ax.set_title(f"norm bounds vs gaps (N = {config.samples}; ρ_dense/ρ_kernel = {d['conv_factor']:.4g}, "
                     f"Π√P = {POSITIONS:g}): {result.outcome.upper()}", fontsize=8)
    ax = axes[0, 1]
    if "mlp_bound" in d:
        steps = np.linspace(0, config.steps, RECORDS + 1)
        for (name, (bound, gap)), color in zip(_curves(a, config).items(), ("C0", "C1", "C5")):
            ax.semilogy(steps, bound, "-", color=color, label=f"{name}: bound")
            if name != "conv kernel-norm":  # the same net's gap as "conv"
                ax.semilogy(steps, np.abs(gap), ":", color=color, label=f"{name}: |test − train|")
        ax.set_xlabel("GD step")
        ax.set_ylabel("square loss")
        ax.legend(fontsize=7)
    ratios = [d.get(f"layer{i}_norm_ratio") for i in range(2)]
    ax.set_title("‖T(w)‖_F / √P‖w‖_F: " + ", ".join("n/a" if r is None else f"{r:.15f}" for r in ratios), fontsize=8)
    fig.savefig(path, dpi=110)


def plot_sweep(rows, path) -> None:
    """The bound table of a sweep: the dense bound and |gap| of both nets and the conv net's kernel-norm
    bound against the first swept key, each the mean over the seeds and any other swept key (log scale)."""
    fig, axes = figure(1, 1)
    ax = axes[0, 0]
    key = next(iter(rows[0]["swept"])) if rows and rows[0].get("swept") else "lr"
    xs = sorted({r["config"][key] for r in rows})
    for name, color, fields in (("mlp", "C0", ("bound", "gap")), ("conv", "C1", ("bound", "gap")),
                                ("conv_kernel", "C5", ("bound",))):
        for field, style, label in (("bound", "o-", "bound"), ("gap", "s:", "|test − train|")):
            if field not in fields:
                continue
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
        statement="The dense ρ·B_x(√(2L log 2)+1)/√N and the kernel-norm square-loss bounds exceed the gaps of a conv "
                  "net and an MLP on digits; a circular conv layer has ‖T(w)‖_F = √P‖w‖_F, so the dense bound's ρ "
                  "is Π√P_l above the kernel-norm bound's.",
        source="Golowich, Rakhlin, Shamir, COLT 2018, Thm 1; Xu, Rangamani, Liao, Galanti, Poggio, Research 2023; "
               "Galanti, Xu, Galanti, Poggio, arXiv:2301.12033 (shared/THEORY.md §4)",
        config_type=NormBoundsConfig,
        run=None,
        plot=plot,
        negative_controls=({"padding": "zero"}, {"weight_sharing": False}),
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
