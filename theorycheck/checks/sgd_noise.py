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
F is computed independently from the 64 per-sample gradients
(:func:`dynamics.per_sample_gradient_variance`) at every iterate of the last tenth of the run
(:func:`dynamics.from_record`), F² = μ²c_B·mean V(W_t), c_B = (N − B)/(B(N − 1)): the split holds
step by step, so averaged over the same steps R_late² ≥ F² exactly in expectation (V at the last
iterate alone is off by its own fluctuation: at B = 1, μ = 0.05, seed 0, F(W_T) was 1.19× the
late RMS step, a false "below the floor"). R_late and R_mid are the root-mean-square step over
the last tenth of the run and over the tenth before its middle.

**Tolerance.** Main: ``error`` = 1 − F/R_late, the fraction of the late step that the noise floor
does not account for; at most ½ (a plateau *on the noise floor*: at least half the late step is
batch noise, not descent still under way). Secondary, a bound that must hold:
R_late ≥ (1 − 0.15)·F (exact: a violation fails at any length); 0.15 covers the sampling error of
R_late² (a mean over T/10 ≥ 400 steps of ‖ΔW_t‖², whose coefficient of variation is below 1 here,
so ~5%/√(T/4000)) and the drift of V over the window (a few % on the plateau).

**Plateau.** The claim is that the noise persists *asymptotically*; its alternative (no weight
decay, or B = N) is a step that keeps falling. On this interpolable set that fall is a power law:
at λ = 0 the per-sample gradients vanish at interpolation and the RMS step decays like t^(−1)
(measured: the RMS over the tenths of a run, from the second to the last, falls with fitted
exponents 1.0–1.2 in 3 runs at B = 1 and 8; THEORY.md §3 (iv)). Between the windows centred at 0.45T (R_mid, the tenth before the middle) and
0.95T (R_late) a t^(−1) fall gives R_late/R_mid = 0.45/0.95 = 0.47 and a plateau gives 1; the
criterion R_late ≥ √(0.45/0.95)·R_mid = 0.69·R_mid is the geometric midpoint of the two, so each
side is a factor 1.45 from the line. (The former line ½ sat on the alternative itself: λ = 0
runs measured 0.35–0.62, either side of it.) A step falling while it is *noise* (F ≥ μD_T, D_T =
‖∇L(W_T) + 2λW_T‖ measured at the last iterate) is the floor itself decaying: a refutation. A step
falling, or not yet on the floor, while it is still *descent* (μD_T > F) is "not yet".

**Not yet is not no.** Weight decay relaxes W on the time τ = 1/(2μλ) (25 000 steps at μ = 0.01,
λ = 0.002), and V moves with W, so the late windows are stationary only after several τ: a run
shorter than 8τ = 4/(μλ) (at most 200 000 inside the ranges: ``steps`` reaches it) whose step is
still falling or not yet on the floor is ``inconclusive`` ("raise steps to >= 8τ"); at 8τ the
middle window starts after 3.2τ, where e^(−3.2) = 4% of the initial excess of W is left (at 4τ,
the former horizon, B = 60, λ = 0.05, μ = 0.01 still fell to 0.65·R_mid). A run at least 8τ long
whose late step is still mostly descent (μD_T > F: B close to N, where F is tiny and full-batch
GD's slow directions outlast τ) is ``inconclusive`` too (lower batch_size, which raises F as
√((N − B)/B)). A net whose weights fell to the zero stationary point (‖W_T‖ ≤ 1e-3‖W_0‖: every
per-sample gradient vanishes there) is ``inconclusive`` (lower weight_decay); a diverged run too.

**Range.** B ≤ N − 1 = 63 (the hypothesis B < N). At B = N the floor is 0 *by its formula*, so a
run there would fail whatever the simulation did: it decides nothing, and is outside the claim.

**Negative control.** ``weight_decay=0`` breaks "incorporate weight decay": on this interpolable
set SGD then drives every per-sample gradient to 0, the step is still mostly noise (F/R_late ≈
0.9) but the noise itself decays, R_late/R_mid = 0.35–0.51 < 0.69 (13 seeds, B = 8), and the
plateau criterion fails. Decided by the simulation: the floor's formula is blind to λ. (At B = 1,
μ = 0.05 the λ = 0 noise is large enough that the fall had not begun by step 20 000 in one seed of
six, R_late/R_mid = 1.03: the control is declared at the default B = 8.) (The former
control ``batch_size=64`` = N failed by F's formula, F = 0, not by anything simulated.)
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
TOLERANCE, FLOOR_SLACK = 0.5, 0.15
PLATEAU = float(np.sqrt(0.45 / 0.95))  # geometric midpoint of a plateau (1) and a t^(-1) fall (0.47)
MIN_WEIGHT_DECAY = 0.002  # a positive λ below this needs more than 200 000 steps at μ = 0.01
COLLAPSED = 1e-3  # ‖W_T‖/‖W_0‖ at or below this: the net fell to the zero stationary point


def relaxation_steps(lr, weight_decay) -> int | None:
    """8 weight-decay relaxation times 8/(2μλ), rounded up to a multiple of 10: the shortest run
    whose plateau criterion can refute (at most 200 000 inside the ranges). ``None`` at λ = 0:
    without weight decay there is no equilibrium to wait for (the control)."""
    if float(weight_decay) == 0.0:
        return None
    return int(np.ceil(4.0 / (float(lr) * float(weight_decay)) / 10.0 - 1e-9)) * 10


@dataclasses.dataclass(frozen=True)
class SgdNoiseConfig:
    weight_decay: float = config_field(0.01, low=0.0, high=0.05,
                                       help="the paper's λ in L + λ‖W‖² (plain_sgd weight_decay = 2λ): 0 (the negative control, "
                                            "breaking the claim's hypothesis) or in [0.002, 0.05]")
    batch_size: int = config_field(8, low=1, high=SAMPLES - 1,
                                   help=f"minibatch size B < N = {SAMPLES} (at B = N the floor is 0 by its formula)")
    steps: int = config_field(20_000, low=4000, high=200_000, help="SGD steps T (multiple of 10)")
    lr: float = config_field(0.05, low=0.01, high=0.05, help="step size μ (B = 1 diverges above ~0.05 here)")

    def validate(self):
        if 0.0 < self.weight_decay < MIN_WEIGHT_DECAY:
            raise ValueError(
                f"config key 'weight_decay' ({self.weight_decay}) must be 0 (the control) or >= {MIN_WEIGHT_DECAY}: "
                f"below it 8 relaxation times 4/(μλ) exceed the 200000 steps the range allows at μ = 0.01"
            )
        if self.steps % 10:
            raise ValueError(f"config key 'steps' ({self.steps}) must be a multiple of 10 (the windows are tenths)")


def simulate(config: SgdNoiseConfig, data, key):
    key_data, key_init, key_run = jax.random.split(key, 3)
    x, y, _, _ = models.load_digits(key_data, train_size=SAMPLES)
    with jax.ensure_compile_time_eval():  # models.mlp validates init_scale with jnp (a tracer under jit)
        net = models.mlp([64, WIDTH, WIDTH, 10], bias=False, init_scale=INIT_SCALE)

    def loss(params, batch):
        return jnp.mean(jnp.sum((net.apply(params, batch[0]) - batch[1]) ** 2, axis=1))

    variance = dynamics.per_sample_gradient_variance(loss, (x, y))
    late = config.steps - config.steps // 10  # V(W_t) over the last tenth, the window of R_late
    run = dynamics.sgd(loss, dynamics.plain_sgd(data["lr"], weight_decay=2 * data["weight_decay"]), (x, y),
                       batch_size=config.batch_size, num_steps=config.steps, every=1,
                       observers={"step": dynamics.step_norm(),
                                  "variance": dynamics.from_record(dynamics.stateless(lambda p, k: variance(p)), late)})
    traj = run(net.init(key_init), key_run)
    final = traj.final_params
    full_grad = jax.grad(loss)(final, (x, y))
    descent = jnp.sqrt(sum(jnp.sum((g["w"] + 2 * data["weight_decay"] * p["w"]) ** 2) for g, p in zip(full_grad, final)))
    norm = lambda params: jnp.sqrt(sum(jnp.sum(p["w"] ** 2) for p in params))  # noqa: E731
    return {
        "param_norm_initial": norm(net.init(key_init)), "param_norm_final": norm(final),
        "step_norms": traj.observations["step"][1:],  # ‖W_t − W_{t−1}‖, t = 1..T
        # mean V(W_t) over the late window: E‖ΔW_t‖² ≥ μ²c_B·V(W_t) holds step by step, so R_late² ≥ F² with
        # F² = μ²c_B·mean V over the same steps (V at the last iterate alone is off by its fluctuation:
        # B = 1, seed 0 had V(W_T) 43% above the window's RMS step²)
        "variance": jnp.mean(traj.observations["variance"][late:config.steps]),  # V(W_t) before each late step
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
    descent = float(lr * arrays["descent_gradient"])  # μ‖∇L(W_T) + 2λW_T‖, the step's descent part
    details.update(relaxation_steps=needed, descent_step_at_T=descent)
    error = 1.0 - floor / r_late if r_late > 0 else 1.0
    falling = r_late < PLATEAU * r_mid
    noise_dominated = floor >= descent
    fail_reasons, not_yet = [], []
    below = r_late < (1 - FLOOR_SLACK) * floor
    if below:
        fail_reasons.append(f"the RMS step {r_late:.3g} is below the floor F = {floor:.3g} (E‖ΔW‖² ≥ F² is exact: a bug)")
    unsettled = falling or error > TOLERANCE
    if falling and noise_dominated:
        fail_reasons.append(f"the step norm is still falling (R_late/R_mid = {r_late / r_mid:.2f} < {PLATEAU:.2f}) "
                            f"while it is noise (F = {floor:.3g} >= μ‖∇L + 2λW_T‖ = {descent:.3g}): the noise "
                            "floor itself decays")
    if needed is not None and config.steps < needed and unsettled and not below:
        # "not yet" is not "no": weight decay relaxes W on the time 1/(2μλ); the run must span 8 of them
        not_yet.append(f"the run ({config.steps} steps) is shorter than 8 weight-decay relaxation times "
                       f"8/(2μλ) = {needed} and the step has not settled on the floor (R_late/R_mid = "
                       f"{r_late / r_mid:.2f}, 1 − F/R_late = {error:.2f}); raise steps to >= {needed}")
    elif unsettled and not noise_dominated and not below:
        not_yet.append(f"the late step is still mostly descent (μ‖∇L + 2λW_T‖ = {descent:.3g} > F = {floor:.3g}, "
                       f"1 − F/R_late = {error:.2f}): full-batch-like descent has not finished; lower batch_size "
                       f"(F grows as √((N − B)/B)) or raise steps")
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
                  "μ·sqrt((N−B)/(B(N−1))·V); without weight decay the noise itself dies out.",
        source="Galanti, Siegel, Gupte, Poggio, arXiv:2206.05794 (CPAL 2025), SGD noise (shared/THEORY.md §3 (iv))",
        config_type=SgdNoiseConfig,
        run=None,
        plot=plot,
        negative_controls=({"weight_decay": 0.0},),
        needs_x64=True,
        quick={"steps": 8000},
        slow_corners=("steps=high",),
        data_keys=("lr", "weight_decay"),
        simulate=simulate,
        verdict=verdict,
    )
)
