"""Batch norm makes SGD grow every unit's norm by exactly η²‖g‖² and leaves the input span's
complement alone; weight rescaling (WRS) pins the norms at 1.

**Statement.** Let each row w of a first-layer weight W be followed by batch normalisation with
batch statistics and ε = 0 (``models.linear_bn_tanh``), so that every minibatch loss L satisfies
L(c·w) = L(w) for all c > 0. Then (Liu, Cui, Wan, Mao & Chan, "The Implicit Biases of SGD on Deep
Neural Networks with Batch Normalization", arXiv:2102.03497; shared/THEORY.md §5, [D]):

1. ⟨w, ∇_w L⟩ = 0 (differentiate L(cw) at c = 1) — a **batch-norm** property;
2. under plain SGD with coupled weight decay λ, w_{t+1} = (1 − ηλ)w_t − ηg_t, hence
   ‖w_{t+1}‖² = (1 − ηλ)²‖w_t‖² + η²‖g_t‖², i.e. ‖w_{t+1}‖² = ‖w_t‖² + η²‖g_t‖² at λ = 0: the norm
   never shrinks in discrete time — a **batch-norm** property (it needs 1.);
3. with P_⊥ the projector onto the complement of the span of the n < d inputs, every gradient
   row is a combination of inputs, so P_⊥W_t = (1 − ηλ)^t P_⊥W_0 exactly — a property of **any
   linear layer** fed with fixed data (it holds without BN), and of plain SGD (Adam's
   per-coordinate scaling breaks it);
4. with WRS (``dynamics.weight_rescaling``: after each step every row is rescaled to unit norm)
   every unit norm is exactly 1, and P_⊥w only shrinks by a scalar, so its direction is that
   of P_⊥w_0.

Verified against the source: the v2 abstract (weight norms constant in continuous time and
increasing in discrete time; updates only in the input-feature span; WRS "rescaling it to the unit
norm"); the identities 1–3 are re-derived above; WRS's exact form is an implementation choice
(unit norm, every step, no centring: see :func:`dynamics.weight_rescaling`).

**Setup.** THEORY.md §5's minimal setting: n = 16 < d_in = 40 Gaussian inputs, a linear layer to
8 units, BN (batch statistics, ε = 0), tanh, a fixed readout, MSE to random targets; minibatch SGD
(``dynamics.sgd``, B = 8 distinct samples per step, BN on the same minibatch) for ``steps`` steps at
step ``lr`` with coupled weight decay ``weight_decay`` (``optax.add_decayed_weights`` before the
optimizer), float64. Observers at every step: W itself, W P_⊥ (``dynamics.off_span_component``)
and the full-batch residual ⟨w, ∇L⟩ and its cosine (``dynamics.scale_invariance_residual``). The
norm identity uses the step the optimizer actually took: ηg_t := (1 − ηλ)w_t − w_{t+1}, which is
the minibatch gradient step exactly under plain SGD (the simulator's batches are not observable),
so under any other optimizer the identity is a statement about that step and fails.

**Tolerance (derived).** 1e-12 on three relative errors (the largest is reported): (2) per step,
|‖w_{t+1}‖² − (1−ηλ)²‖w_t‖² − ‖ηg_t‖²|/‖w_{t+1}‖²: three rounded 40-term sums, ≤ ~3·d_in·ε ≈ 3e-14;
(1) the cosine ⟨w,∇L⟩/(‖w‖‖∇L‖): BN's backward pass cancels the radial part to ~n·d_in·ε ≈ 1e-13;
(3) max_t ‖P_⊥W_t − (1−ηλ)^t P_⊥W_0‖/max_t ‖W_t‖ (for WRS: the part of P_⊥w_t off the direction of
P_⊥w_0, per unit): each step adds at most ~4ε‖W‖ outside the span (the update, the decay product
and their sum), accumulated linearly over T ≤ 1000 steps ≤ 4·1000·ε ≈ 8.9e-13. Under WRS, (2) is
replaced by max_{t≥1} |‖w_t‖ − 1| (one rounded division, ~d_in·ε).

**Inconclusive** when the run diverged (lower lr), or when a unit norm or the full-batch gradient
is exactly zero (the relative errors are 0/0: lower weight_decay or steps). ``steps`` ≥ 2: with one
step the momentum control is a plain SGD step (its buffer starts at zero) and would pass.

**Negative controls.** ``batch_norm=false`` (no scale invariance: 1. and 2. fail by O(1); 3.
still holds, showing it is not a BN effect), ``optimizer=adam`` (3. fails: per-coordinate scaling
moves W off the span), ``optimizer=momentum`` (2. fails: the step includes past gradients, which
are not orthogonal to the current w).
"""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import optax

from theorycheck import dynamics
from theorycheck import models
from theorycheck._check import Check, Result, config_field, decide, register

from ._common import figure

N, D_IN, WIDTH, BATCH = 16, 40, 8, 8
TOLERANCE = 1e-12
MOMENTUM = 0.9


@dataclasses.dataclass(frozen=True)
class BnScaleInvarianceConfig:
    optimizer: str = config_field("sgd", choices=("sgd", "momentum", "adam"),
                                  help="plain SGD (the theorem), heavy-ball momentum 0.9, or Adam")
    batch_norm: bool = config_field(True, help="batch norm (batch statistics, ε = 0) after the first layer")
    weight_decay: float = config_field(0.0, low=0.0, high=0.1, help="coupled weight decay λ (w ← (1−ηλ)w − ηg)")
    wrs: bool = config_field(False, help="weight rescaling: every unit rescaled to unit norm after each step "
                             "(needs batch_norm=true)")
    steps: int = config_field(200, low=2, high=1000, help="SGD steps T (≥ 2: momentum's first step is a "
                              "plain SGD step, so one step cannot tell the momentum control from the theorem; "
                              "≤ 1000: the 1e-12 tolerance covers 4ε of rounding per step)")
    lr: float = config_field(0.5, low=1e-3, high=1.0, help="step size η")

    def validate(self):
        if self.wrs and not self.batch_norm:
            raise ValueError("config key 'wrs' needs scale-invariant units: set batch_norm=true "
                             "(without BN rescaling changes the function)")


def _optimizer(config, lr, weight_decay):
    if config.optimizer == "adam":
        inner = optax.adam(lr)
    else:
        inner = optax.sgd(lr, momentum=MOMENTUM if config.optimizer == "momentum" else None)
    parts = [optax.add_decayed_weights(weight_decay), inner]
    if config.wrs:
        parts.append(dynamics.weight_rescaling({"w": 1}))
    return optax.chain(*parts)


def simulate(config: BnScaleInvarianceConfig, data, key):
    key_x, key_y, key_readout, key_init, key_run = jax.random.split(key, 5)
    x = jax.random.normal(key_x, (N, D_IN))
    y = jax.random.normal(key_y, (N,))
    readout = jax.random.normal(key_readout, (WIDTH,)) / jnp.sqrt(WIDTH)
    net = models.linear_bn_tanh(D_IN, WIDTH, readout, batch_norm_layer=config.batch_norm)

    def loss(params, batch):
        inputs, targets = batch
        return 0.5 * jnp.mean((net.apply(params, inputs) - targets) ** 2)

    def weight(p):
        return p["w"]

    observers = {
        "w": dynamics.stateless(lambda p, k: p["w"]),
        "off_span": dynamics.off_span_component(weight, x),
        "residual": dynamics.scale_invariance_residual(lambda p: loss(p, (x, y)), weight),
    }
    run = dynamics.sgd(loss, _optimizer(config, data["lr"], data["weight_decay"]), (x, y),
                       batch_size=BATCH, num_steps=config.steps, every=1, observers=observers)
    params0 = net.init(key_init)
    if config.wrs:  # start on the sphere that WRS keeps the units on
        params0 = {"w": params0["w"] / jnp.linalg.norm(params0["w"], axis=1, keepdims=True)}
    trajectory = run(params0, key_run)
    obs = trajectory.observations
    return {
        "x": x, "y": y, "readout": readout, "w": obs["w"], "w_off_span": obs["off_span"]["weight"],
        "residual_cosine": obs["residual"]["cosine"], "losses": trajectory.losses,
        "diverged": trajectory.diverged,
    }


def _norm_identity_error(w, lr, weight_decay):
    decay = 1.0 - lr * weight_decay
    step = decay * w[:-1] - w[1:]  # ηg_t under plain SGD
    lhs = np.sum(w[1:] ** 2, axis=2)
    rhs = decay**2 * np.sum(w[:-1] ** 2, axis=2) + np.sum(step**2, axis=2)
    return np.abs(lhs - rhs) / lhs  # (T, units)


def _span_error(config, off, w, lr, weight_decay):
    scale = np.max(np.linalg.norm(w, axis=(1, 2)))
    if config.wrs:  # the direction of P_⊥w is that of P_⊥w_0
        u = off[0] / np.linalg.norm(off[0], axis=1, keepdims=True)
        along = np.sum(off * u[None], axis=2, keepdims=True)
        return np.linalg.norm(off - along * u[None], axis=2).max(axis=1) / scale
    factors = (1.0 - lr * weight_decay) ** np.arange(off.shape[0])
    return np.linalg.norm(off - factors[:, None, None] * off[0][None], axis=(1, 2)) / scale


def verdict(config: BnScaleInvarianceConfig, data, arrays) -> Result:
    lr, wd = data["lr"], data["weight_decay"]
    w, off = arrays["w"], arrays["w_off_span"]
    if bool(arrays["diverged"]):
        nan = float("nan")
        return Result(nan, nan, nan, TOLERANCE, "inconclusive",
                      f"the run diverged (non-finite loss); lower lr below {lr:g}", dict(arrays), {})
    norms = np.linalg.norm(w, axis=2)
    collapsed = not np.all(norms > 0) or not np.all(np.isfinite(arrays["residual_cosine"]))
    if collapsed:  # ‖w‖ = 0 or ∇L = 0: the relative errors are 0/0
        nan = float("nan")
        return Result(nan, nan, nan, TOLERANCE, "inconclusive",
                      "a unit or the full-batch gradient collapsed to zero (0/0 in the relative errors): the net "
                      f"collapsed to zero; lower weight_decay (now {wd:g}) or lr (now {lr:g})",
                      dict(arrays), {})
    if config.wrs:
        norm_error = np.abs(np.linalg.norm(w[1:], axis=2) - 1.0)
        norm_what = "max_t≥1 |‖w_t‖ − 1| (WRS)"
    else:
        norm_error = _norm_identity_error(w, lr, wd)
        norm_what = "‖w_{t+1}‖² = (1−ηλ)²‖w_t‖² + η²‖g_t‖²"
    residual = np.abs(arrays["residual_cosine"])
    span = _span_error(config, off, w, lr, wd)
    errors = {"norm": float(norm_error.max()), "residual": float(residual.max()), "span": float(span.max())}
    error = max(errors.values())
    names = {
        "norm": f"{norm_what} (batch norm)",
        "residual": "⟨w, ∇L⟩/(‖w‖‖∇L‖) = 0 (batch norm)",
        "span": "P_⊥W_t = (1−ηλ)^t P_⊥W_0 (any linear first layer under SGD)" if not config.wrs
        else "P_⊥w_t ∥ P_⊥w_0 under WRS (any linear first layer under SGD)",
    }
    fail_reasons = [f"{names[k]} off by {v:.3g}" for k, v in errors.items() if v > TOLERANCE]
    outcome, reason = decide(error, TOLERANCE, fail_reasons=fail_reasons[1:] if error > TOLERANCE else [],
                             what="largest relative residual of the scale-invariance identities")
    if outcome == "fail":
        reason = "; ".join(fail_reasons)
    details = {
        **{f"error_{k}": v for k, v in errors.items()},
        "holds": {names[k]: bool(v <= TOLERANCE) for k, v in errors.items()},
        "norm_growth": float(np.mean(norms[-1] / norms[0])),
        "off_span_norm_0": float(np.linalg.norm(off[0])),
        "off_span_norm_T": float(np.linalg.norm(off[-1])),
        "final_loss": float(arrays["losses"][-1]),
    }
    return Result(
        predicted=0.0, measured=error, error=error, tolerance=TOLERANCE, outcome=outcome, reason=reason,
        arrays=dict(arrays), details=details,
    )


def plot(config: BnScaleInvarianceConfig, result: Result, path) -> None:
    a = result.arrays
    fig, axes = figure(1, 2)
    norms = np.linalg.norm(a["w"], axis=2)
    axes[0, 0].plot(norms, lw=1)
    axes[0, 0].set_xlabel("step")
    axes[0, 0].set_ylabel("unit norm ‖w_t‖")
    axes[0, 0].set_title(f"{config.optimizer}, BN={config.batch_norm}, WRS={config.wrs}: {result.outcome.upper()}")
    axes[0, 1].semilogy(np.linalg.norm(a["w_off_span"], axis=(1, 2)), label="‖P_⊥W_t‖")
    axes[0, 1].set_xlabel("step")
    axes[0, 1].legend()
    fig.savefig(path, dpi=110)


CHECK = register(
    Check(
        name="bn_scale_invariance",
        statement="With batch norm, ⟨w,g⟩ = 0 and ‖w_{t+1}‖² = ‖w_t‖² + η²‖g_t‖² under SGD; first-layer "
                  "updates stay in the input span (P_⊥W_t = (1−ηλ)^t P_⊥W_0); WRS keeps unit norms at 1.",
        source="Liu, Cui, Wan, Mao & Chan, arXiv:2102.03497 (v2: Weight Rescaling) (shared/THEORY.md §5)",
        config_type=BnScaleInvarianceConfig,
        run=None,
        plot=plot,
        negative_controls=({"batch_norm": False}, {"optimizer": "adam"}, {"optimizer": "momentum"}),
        needs_x64=True,
        quick={"steps": 50},
        data_keys=("lr", "weight_decay"),
        simulate=simulate,
        verdict=verdict,
    )
)
