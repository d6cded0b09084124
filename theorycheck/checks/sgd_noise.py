"""SGD noise: with weight decay and B < N the SGD step norm plateaus on a floor set by the batch variance.

**Statement.** Galanti, Siegel, Gupte, Poggio (arXiv:2206.05794, abstract, v7 and the ICLR'23 text:
"SGD noise must always be present, even asymptotically, as long as we incorporate weight decay and
the batch size is smaller than the total number of training samples"; shared/THEORY.md §3 (iv)).
Made quantitative here by an exact bias–variance split (derived in
:func:`bounds.galanti23_sgd_noise_floor`): a plain SGD step on L + λ‖W‖² (the paper's λ;
``plain_sgd(μ, weight_decay=2λ)``) is ΔW = −μ(∇L_S(W) + 2λW), and over the batch S

    E_S‖ΔW‖² = μ²‖∇L(W) + 2λW‖² + μ²·(N − B)/(B(N − 1))·V(W)  ≥  F(W)² := μ²(N − B)/(B(N − 1))·V(W),

V the per-sample gradient variance. The descent term can go to 0 (a stationary point of the full
objective); the noise term cannot unless every per-sample gradient is the same, so the step norm
plateaus on F. With B = N the factor is 0 and full-batch GD converges: the steps go to 0.

**Setup.** 64 training digits (:func:`models.load_digits`), bias-free ReLU MLP 64 → 32 → 32 → 10 at
init scale 0.5, square loss, float64; ``dynamics.sgd`` with ``plain_sgd(lr, weight_decay=2λ)`` for
``steps`` steps and the :func:`dynamics.step_norm` observer at ``every = 1`` (one scalar per step).
F is computed independently at the final iterate from the 64 per-sample gradients
(:func:`dynamics.per_sample_gradient_variance`). R_late and R_mid are the root-mean-square step
over the last tenth of the run and over the tenth before its middle.

**Tolerance.** Main: ``error`` = 1 − F/R_late, the fraction of the late step that the noise floor
does not account for; at most ½ (a plateau *on the noise floor*: at least half the late step is
batch noise, not descent still under way). Secondary, a bound that must hold:
R_late ≥ (1 − 0.15)·F (exact: a violation fails at any length); 0.15 covers the sampling error of R_late² (a mean over T/10 ≥ 400 steps
of ‖ΔW_t‖², whose coefficient of variation is below 1 here, so ~5%/√(T/4000)) and the drift of V
over the window (a few % on the plateau). Plateau: R_late ≥ ½R_mid (the step norm has stopped
falling). "Not yet" is not "no": weight decay relaxes W on the time τ = 1/(2μλ) (25 000 steps at
μ = 0.01, λ = 0.002), so a run shorter than 4τ = 2/(μλ) (at most 100 000 inside the ranges) whose
step is still falling or not yet on the floor is ``inconclusive`` ("raise steps to >= 4τ").
A net whose weights fell to the zero stationary point (‖W_T‖ ≤ 1e-3‖W_0‖: every per-sample
gradient vanishes there) is ``inconclusive`` (lower weight_decay); a diverged run too.

**Negative control.** ``batch_size=64`` (= N): F = 0, the run is full-batch GD with weight decay,
whose steps keep shrinking toward its stationary point; the late step is descent, not noise, and
the check fails (error = 1). This control is decided by the floor's formula, not by the
simulation (issue 19 asks for one the simulation decides; none was found: at B = N the full-batch
step norm does not fall in the ranges' budgets, R_late/R_mid = 0.95 at the defaults, 0.58 at
μ = 0.01, 0.99–1.14 at λ = 0.05, so the plateau criterion cannot refute it). (With λ = 0 on this interpolable set the floor also decays, as the
per-sample gradients vanish at interpolation: THEORY.md §3 (iv).)
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

SAMPLES, WIDTH, INIT_SCALE = 64, 32, 0.5
TOLERANCE, FLOOR_SLACK, PLATEAU = 0.5, 0.15, 0.5
COLLAPSED = 1e-3  # ‖W_T‖/‖W_0‖ at or below this: the net fell to the zero stationary point


def relaxation_steps(lr, weight_decay) -> int:
    """4 weight-decay relaxation times 4/(2μλ), rounded up to a multiple of 10: the shortest run
    whose plateau criterion can refute (at most 100 000 inside the ranges)."""
    return int(np.ceil(2.0 / (float(lr) * float(weight_decay)) / 10.0 - 1e-9)) * 10


@dataclasses.dataclass(frozen=True)
class SgdNoiseConfig:
    weight_decay: float = config_field(0.01, low=0.002, high=0.05,
                                       help="the paper's λ in L + λ‖W‖² (plain_sgd weight_decay = 2λ); "
                                            "λ = 0 is not a hypothesis of the claim")
    batch_size: int = config_field(8, low=1, high=SAMPLES, help=f"minibatch size B (B = N = {SAMPLES} is the control)")
    steps: int = config_field(20_000, low=4000, high=100_000, help="SGD steps T (multiple of 10)")
    lr: float = config_field(0.05, low=0.01, high=0.05, help="step size μ (B = 1 diverges above ~0.05 here)")

    def validate(self):
        if self.steps % 10:
            raise ValueError(f"config key 'steps' ({self.steps}) must be a multiple of 10 (the windows are tenths)")


def simulate(config: SgdNoiseConfig, data, key):
    key_data, key_init, key_run = jax.random.split(key, 3)
    x, y, _, _ = models.load_digits(key_data, train_size=SAMPLES)
    with jax.ensure_compile_time_eval():  # models.mlp validates init_scale with jnp (a tracer under jit)
        net = models.mlp([64, WIDTH, WIDTH, 10], bias=False, init_scale=INIT_SCALE)

    def loss(params, batch):
        return jnp.mean(jnp.sum((net.apply(params, batch[0]) - batch[1]) ** 2, axis=1))

    run = dynamics.sgd(loss, dynamics.plain_sgd(data["lr"], weight_decay=2 * data["weight_decay"]), (x, y),
                       batch_size=config.batch_size, num_steps=config.steps, every=1,
                       observers={"step": dynamics.step_norm()})
    traj = run(net.init(key_init), key_run)
    final = traj.final_params
    full_grad = jax.grad(loss)(final, (x, y))
    descent = jnp.sqrt(sum(jnp.sum((g["w"] + 2 * data["weight_decay"] * p["w"]) ** 2) for g, p in zip(full_grad, final)))
    norm = lambda params: jnp.sqrt(sum(jnp.sum(p["w"] ** 2) for p in params))  # noqa: E731
    return {
        "param_norm_initial": norm(net.init(key_init)), "param_norm_final": norm(final),
        "step_norms": traj.observations["step"][1:],  # ‖W_t − W_{t−1}‖, t = 1..T
        "variance": dynamics.per_sample_gradient_variance(loss, (x, y))(final),
        "descent_gradient": descent,
        "losses": traj.losses,
        "diverged": traj.diverged,
    }


def verdict(config: SgdNoiseConfig, data, arrays) -> Result:
    lr = data["lr"]
    steps = arrays["step_norms"]
    window = config.steps // 10
    rms = lambda a: float(np.sqrt(np.mean(a**2)))  # noqa: E731
    r_late, r_mid = rms(steps[-window:]), rms(steps[config.steps // 2 - window: config.steps // 2])
    floor = float(bounds.galanti23_sgd_noise_floor(arrays["variance"], SAMPLES, config.batch_size, lr))
    predicted_rms = float(np.hypot(lr * arrays["descent_gradient"], floor))
    details = {"rms_step_late": r_late, "rms_step_mid": r_mid, "noise_floor": floor,
               "predicted_rms_at_T": predicted_rms, "final_loss": float(np.mean(arrays["losses"][-window:]))}
    if bool(arrays["diverged"]) or not np.isfinite(r_late) or not np.isfinite(floor):
        return Result(floor, np.nan, np.nan, TOLERANCE, INCONCLUSIVE,
                      f"SGD diverged at lr={lr:g}: lower lr", dict(arrays), details)
    shrink = float(arrays["param_norm_final"] / arrays["param_norm_initial"])
    details["param_norm_ratio"] = shrink
    if not shrink > COLLAPSED:
        return Result(floor, r_late, np.nan, TOLERANCE, INCONCLUSIVE,
                      f"the net collapsed to zero (‖W_T‖/‖W_0‖ = {shrink:.2g}), the stationary point where every "
                      "per-sample gradient vanishes and there is no floor to observe; lower weight_decay",
                      dict(arrays), details)
    needed = relaxation_steps(lr, data["weight_decay"])
    details["relaxation_steps"] = needed
    error = 1.0 - floor / r_late if r_late > 0 else 1.0
    falling = r_late < PLATEAU * r_mid
    fail_reasons, not_yet = [], []
    below = r_late < (1 - FLOOR_SLACK) * floor
    if below:
        fail_reasons.append(f"the RMS step {r_late:.3g} is below the floor F = {floor:.3g} (E‖ΔW‖² ≥ F² is exact: a bug)")
    if falling:
        fail_reasons.append(f"the step norm is still falling (R_late/R_mid = {r_late / r_mid:.2f} < {PLATEAU})")
    if config.steps < needed and (falling or error > TOLERANCE) and not below:
        # "not yet" is not "no": weight decay relaxes W on the time 1/(2μλ); the run must span 4 of them
        not_yet.append(f"the run ({config.steps} steps) is shorter than 4 weight-decay relaxation times "
                       f"4/(2μλ) = {needed} and the step has not settled on the floor (R_late/R_mid = "
                       f"{r_late / r_mid:.2f}, 1 − F/R_late = {error:.2f}); raise steps to >= {needed}")
    outcome, reason = decide(error, TOLERANCE, fail_reasons=fail_reasons, inconclusive_reasons=not_yet,
                             what="1 − F/R_late (share of the late step not explained by SGD noise)")
    return Result(predicted=floor, measured=r_late, error=float(error), tolerance=TOLERANCE, outcome=outcome,
                  reason=reason, arrays=dict(arrays), details=details)


def plot(config: SgdNoiseConfig, result: Result, path) -> None:
    a = result.arrays
    fig, axes = figure(1, 1)
    ax = axes[0, 0]
    steps = a["step_norms"]
    window = max(config.steps // 200, 1)
    smooth = np.sqrt(np.convolve(steps**2, np.ones(window) / window, mode="valid"))
    ax.semilogy(np.arange(1, steps.size + 1), steps, lw=0.3, alpha=0.4, label="‖ΔW_t‖")
    ax.semilogy(np.arange(window, steps.size + 1), smooth, lw=1.5, label=f"RMS over {window} steps")
    ax.axhline(result.predicted, color="k", ls="--", label="noise floor F(W_T)")
    ax.set_xlabel("SGD step")
    ax.set_ylabel("step norm")
    ax.set_title(f"SGD noise, B = {config.batch_size}, λ = {config.weight_decay}: {result.outcome.upper()}", fontsize=9)
    ax.legend(fontsize=7)
    fig.savefig(path, dpi=110)


CHECK = register(
    Check(
        name="sgd_noise",
        statement="With weight decay and B < N the SGD step norm plateaus on the batch-noise floor "
                  "μ·sqrt((N−B)/(B(N−1))·V); with B = N it keeps falling.",
        source="Galanti, Siegel, Gupte, Poggio, arXiv:2206.05794 (CPAL 2025), SGD noise (shared/THEORY.md §3 (iv))",
        config_type=SgdNoiseConfig,
        run=None,
        plot=plot,
        negative_controls=({"batch_size": SAMPLES},),
        needs_x64=True,
        quick={"steps": 8000},
        slow_corners=("steps=high",),
        data_keys=("lr", "weight_decay"),
        simulate=simulate,
        verdict=verdict,
    )
)
