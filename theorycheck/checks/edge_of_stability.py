"""Edge of stability: under full-batch GD the sharpness rises to 2/η and hovers there.

**Statement.** Under full-batch gradient descent with step size η on a neural network with MSE
loss, the sharpness S(θ) = λ_max(∇²L(θ)) rises ("progressive sharpening") until it reaches 2/η
and then hovers right at, or just above, 2/η, while the loss keeps decreasing over long
timescales, non-monotonically. Cohen, Kaur, Li, Kolter, Talwalkar, "Gradient Descent on Neural
Networks Typically Occurs at the Edge of Stability", ICLR 2021, arXiv:2103.00065 (abstract and
§3, verified in shared/THEORY.md §1 [V-src]). The threshold 2/η is the stability limit of GD on a
quadratic (:func:`bounds.eos_threshold`).

**Setup** (the paper's ``regression`` architecture on ``chebyshev-5-20``, THEORY.md §1): one
hidden tanh layer of width 100 (Xavier-normal, first-layer gain 1.9), 20 evenly spaced points on
[-1, 1] labelled by T₅, loss ½·mean(r²), float64. Sharpness by Lanczos (20 exact HVPs,
warm-started, residual recorded) every ``every`` steps.

**Criteria and tolerances.** The paper gives no formal criterion ("hovers right at, or just
above"); the operational one is THEORY.md §1's, fixed before any run here: with t* the first
record where S ≥ 2/η and Δ = ``transient``·steps, every record at t ≥ t* + Δ lies in
[0.85, 1.15]·2/η (``error`` = max |S·η/2 − 1| ≤ ``tolerance`` = 0.15), the median of those
records lies in [0.97, 1.08]·2/η, and the loss falls long-term: the minimum over the last 10% of
steps is below 0.7× the minimum over the 10% of steps after t*. Every Lanczos estimate used must
have converged (residual ≤ 1e-3·|λ|). The sharpness oscillates in a saw-tooth around 2/η whose
amplitude grows with η: sampled every 20 steps at η = 0.2 its peaks reach 1.15–1.17·2/η in
about half of the seeds, at η = 0.1 they stay within ±9% (8 seeds), hence the default η = 0.1.
The run covers the continuous time η·steps = 8000 of THEORY.md's reference run (η = 0.2, 40k
steps): the loss sits on a plateau near 0.09 for a long time after the crossing before it falls
again, and a run half as long ends, for some seeds, still on the plateau.

**Outcomes.** ``fail`` means the band or the median criterion was violated after the crossing,
or the run diverged although the sharpness started below 2/η. The run is ``inconclusive`` (with
the remedy) when it cannot decide: the sharpness never reached 2/η within ``steps``, no record
lies after the transient, a Lanczos estimate in the window did not converge, the loss has not
fallen yet (a plateau is not a refutation of "falls over long timescales"), or the run diverged
from a sharpness already above 2/η (there is no sharpening to observe).

**Momentum and adaptive methods** (``optimizer``; torch's conventions, verified against the
paper code's ``torch.optim.SGD(momentum=β, nesterov=...)`` in locuslab/edge-of-stability
``src/utilities.py``). Each threshold is where the method's linear recurrence on a quadratic
loses stability (derived in :mod:`theorycheck.bounds._gd_quadratic`, asserted against the
companion matrix's spectral radius in theory_tests/test_eos_optimizers.py):

- ``heavy_ball`` (``v ← βv + g``, ``w ← w − ηv``): S = λ₁(H) → 2(1+β)/η (the root −1 of
  r² − (1+β−ηλ)r + β).
- ``nesterov`` (torch: ``v ← βv + g``, ``w ← w − η(g + βv)``): S → 2(1+β)/(η(1+2β)) (the root −1 of
  r² − (1+β−η(1+β)λ)r + β(1−ηλ)).
- ``rmsprop`` (torch, no momentum: ``ν ← αν + (1−α)g²``, ``w ← w − ηg/(√ν + ε)``, no bias
  correction) and ``adam`` (torch: ``w ← w − η m̂/(√ν̂ + ε)`` with both bias corrections): with
  the preconditioner P = diag(√ν + ε) (RMSProp) or diag(√ν̂ + ε), ν̂ = ν/(1−β₂ᵗ) (Adam) held fixed,
  the update is GD (RMSProp) or EMA-momentum heavy ball with step η(1−β₁) (Adam) on the
  preconditioned problem, so the *preconditioned sharpness* S_P = λ₁(P^{-1/2}HP^{-1/2}) =
  λ₁(P^{-1}H) equilibrates at 2/η (RMSProp) and 2(1+β₁)/(η(1−β₁)) (Adam; 38/η at β₁ = 0.9). Cohen,
  Ghorbani, Krishnan, Agarwal, Medapati, Badura, Suo, Cardoze, Nado, Dahl, Gilmer, "Adaptive
  Gradient Methods at the Edge of Stability", arXiv:2207.14484 (verified with the search tool: the
  abstract, on OpenReview and arXiv listings, "for Adam with step size η and β₁ = 0.9, this
  stability threshold is 38/η", of "the maximum eigenvalue of the preconditioned Hessian"; a
  summary of the paper gives λ₁(P^{-1}H) → (2+2β₁)/(η(1−β₁)); a public adaptation of the paper's
  ``src/adam.py`` computes P^{-1/2}HP^{-1/2}v from torch Adam's ``exp_avg_sq``. Not verified:
  whether the paper folds Adam's 1 − β₁ᵗ into P (it is 1 to 1e-20 after 500 steps) and the
  paper's exact RMSProp form). P is read from the optimizer
  state the next update uses (``dynamics.adam_preconditioner``/``rmsprop_preconditioner``);
  before the first update no P exists and that record is NaN. Both S and S_P are recorded.

The band, the median band and the loss criterion are the same for every optimizer (THEORY.md §1's
operational criterion, applied to each method's own quantity and threshold; not re-tuned), and t*
is the first record where the optimizer's own quantity reaches its own threshold. The transient Δ
is 0.05·steps for gd (unchanged) and 0.2·steps for the others (range [0.2, 0.5]). This one is
*measured, not derived*: after the first crossing a momentum run goes through catapult cycles or
a slow return from below, which lasted up to ~10.5k steps in the runs measured (Nesterov at η = 0.1, seed 2:
a saw-tooth between 0.61 and 1.20 of its threshold with loss spikes 0.013 → 0.045 until step
7.5k, one excursion at 10.5k; heavy ball seeds 1–2: a return from 0.77–0.83 until step 7.7k).
Δ is not a tolerance: it only says where the window opens, and the window still covers at least
75% of the run; a Δ too short for a return from below is reported as inconclusive with the Δ it
needs (below), a saw-tooth inside the window as a FAIL.
Measured at the defaults (80k steps, every 40): heavy_ball (η = 0.15, β = 0.5) median 1.00, max
1.03; nesterov (η = 0.06, β = 0.9) median 1.00, max |S/thr − 1| <= 0.034 (3 seeds; at η = 0.07
seeds 1–4 pass and seed 0 is inconclusive: its loss still on a plateau); adam (η = 1e-3, β₁ = 0.9,
β₂ = 0.999) median 0.99, within ±9%; rmsprop (η = 1e-3, α = 0.999) median 1.005, within ±6%.

**Why the momentum transient (the user's 0.83–0.86).** Heavy ball at η = 0.1, β = 0.9 sits at
0.78–0.86 of 2(1+β)/η after 20k steps. Not a sampling artefact: recorded every step, 800-step
windows are flat (0.77–0.79). Not a convention: the torch form and the recurrence above agree
(tested). It is a transient: the sharpness overshoots to 1.08 at the first crossing (the loss
drops to 2e-3), falls back, and returns on the slow sharpening time scale, reaching 0.92 at 20k,
0.97 at 40k and 0.99 at 80k steps. The same slow return appears for Nesterov at η = 0.05 (0.81 →
0.93 over 8–16k steps). Such a run is **inconclusive**, not a failure, when the records below the
band all precede the tail of the window: the head's median lies below 0.97, the last below-band
record lies in the window's first half and the rest has its median in [0.97, 1.08]: the reason
gives the transient (or the steps) after which the window opens in the band.

**Why RMSProp's α and Adam's β₂ are >= 0.999.** The thresholds are derived for a frozen P. With
torch's RMSProp default α = 0.99 the preconditioner follows the gradient within ~100 steps and
S_P overshoots 2/η by up to 1.17–1.21 (η = 5e-4 and 1e-3, 2 seeds); with α = 0.999 it is nearly
frozen on the oscillation's time scale and S_P stays within ±6% (3 seeds). Adam with β₂ = 0.994
(η = 7.8e-4, seed 160) dips to 0.77–0.85 of 38/η dozens of times over the run (β₁ = 0.81 or 0.9
alike), with β₂ = 0.999 it stays within −8%/+4%. Range α, β₂ ∈ [0.999, 0.9999].

**Outcomes.** ``fail`` means the band or the median criterion was violated after the crossing,
or the run diverged although the sharpness started below its threshold. ``inconclusive`` (with
the remedy): never reached the threshold within ``steps``, no record after the transient, an
unconverged Lanczos estimate in the window, an approach from below that outlasts the transient,
the loss not fallen yet, or a divergence from a sharpness already above the threshold.

**Keys.** ``lr``, ``beta``, ``beta2``, ``eps`` default to None: the optimizer's defaults. A key
the optimizer does not use (``beta`` for gd/rmsprop, ``beta2``/``eps`` for gd/heavy_ball/nesterov)
is rejected with a ValueError unless it is 0 (then it changes nothing); each key must lie in
the range validated for its optimizer (``lr`` gd [1e-4, 0.12], heavy_ball [1e-4, 0.15],
nesterov [1e-4, 0.07], rmsprop [1e-4, 1e-3], adam [1e-4, 2e-3]; ``beta`` heavy_ball [0, 0.5],
nesterov [0.5, 0.9], adam [0.8, 0.95]; ``beta2`` rmsprop and adam [0.999, 0.9999];
``eps`` [0, 1e-6]). heavy_ball's β stops at 0.5 because at β = 0.9 the return after the first
overshoot lasts until step ~24k (η = 0.1, seed 0): at the default transient that run is
inconclusive ("raise transient to >= 0.30"), with transient = 0.5 it passes (median 0.989); β in
(0.5, 0.9] was not searched. ``solver=flow``
needs ``optimizer=gd``. Nesterov's η stops at 0.07: at β = 0.9 the saw-tooth after the
crossing grows with η like GD's: η = 0.1 diverged at step 2455 on seed 183 (after the first
overshoot) and ran a 0.61–1.20 saw-tooth until step 7.5k on seed 2; η = 0.08 left the band on
seed 183 (0.84–1.10); η = 0.07 passed there (max |S/thr − 1| = 0.046); the default is 0.06. All four are data: a sweep over them does not recompile.

**Negative controls.** ``solver=flow``: gradient flow (the η → 0 limit, solved by diffrax) over the
same time η·steps keeps sharpening far past 2/η of the same η (THEORY.md §1: S = 36.6 at the
time where GD at η = 0.2 had S ≈ 10), so the same comparison must fail: the cap is η-specific.
``optimizer=heavy_ball threshold=gd``: the momentum run hovers at 2(1+β)/η = 1.5·(2/η), so S
leaves GD's band (median 1.5). ``optimizer=nesterov threshold=gd``: it hovers at
2(1+β)/(η(1+2β)) = 0.68·(2/η) (median 0.68). ``optimizer=adam sharpness=raw``: the raw λ₁(H)
against 38/η: the preconditioner adapts, the raw sharpness does not equilibrate there (median
0.005 of 38/η). Each fails on the band and the median criteria, decided by the recorded series.
"""

import dataclasses
import math

import jax
import jax.flatten_util
import jax.numpy as jnp
import numpy as np

from theorycheck import bounds
from theorycheck import dynamics
from theorycheck import models
from theorycheck._check import FAIL, INCONCLUSIVE, PASS, Check, Result, config_field, register

from ._common import figure

BAND = 0.15  # every record after the transient within ±15% of 2/η
MEDIAN_BAND = (0.97, 1.08)  # the median of those records
LOSS_FALL = 0.7  # the late loss below 0.7× its level just after the crossing


OPTIMIZERS = ("gd", "heavy_ball", "nesterov", "rmsprop", "adam")
ADAPTIVE = ("rmsprop", "adam")
# per optimizer: the default (lr, beta, beta2, eps); a key the optimizer does not use resolves to 0.0
DEFAULTS = {
    "gd": (0.1, 0.0, 0.0, 0.0),
    "heavy_ball": (0.15, 0.5, 0.0, 0.0),
    "nesterov": (0.06, 0.9, 0.0, 0.0),
    "rmsprop": (1e-3, 0.0, 0.999, 1e-8),
    "adam": (1e-3, 0.9, 0.999, 1e-8),
}
# Δ/steps: where the window opens after the crossing (module docstring, "Why the momentum transient")
TRANSIENT = {"gd": 0.05, "heavy_ball": 0.2, "nesterov": 0.2, "rmsprop": 0.2, "adam": 0.2}
USES = {"gd": ("lr",), "heavy_ball": ("lr", "beta"), "nesterov": ("lr", "beta"), "rmsprop": ("lr", "beta2", "eps"),
        "adam": ("lr", "beta", "beta2", "eps")}
# per optimizer: the validated ranges (module docstring, "Ranges")
RANGES = {
    "gd": {"transient": (0.0, 0.5), "lr": (1e-4, 0.12)},
    "heavy_ball": {"transient": (0.2, 0.5), "lr": (1e-4, 0.15), "beta": (0.0, 0.5)},
    "nesterov": {"transient": (0.2, 0.5), "lr": (1e-4, 0.07), "beta": (0.5, 0.9)},
    "rmsprop": {"transient": (0.2, 0.5), "lr": (1e-4, 1e-3), "beta2": (0.999, 0.9999), "eps": (0.0, 1e-6)},
    "adam": {"transient": (0.2, 0.5), "lr": (1e-4, 2e-3), "beta": (0.8, 0.95), "beta2": (0.999, 0.9999), "eps": (0.0, 1e-6)},
}
THRESHOLD_TEXT = {"gd": "2/η", "heavy_ball": "2(1+β)/η", "nesterov": "2(1+β)/(η(1+2β))", "rmsprop": "2/η",
                  "adam": "2(1+β₁)/(η(1−β₁))"}


@dataclasses.dataclass(frozen=True)
class EdgeOfStabilityConfig:
    lr: float = config_field(None, low=1e-4, high=0.15, help="step size η (None: the optimizer's default, gd 0.1, "
                             "heavy_ball 0.15, nesterov 0.06, rmsprop 1e-3, adam 1e-3); validated ranges per optimizer: "
                             "gd [1e-4, 0.12] (the saw-tooth of S around 2/η grows with η and its peaks leave the band for "
                             "some seeds from η ≈ 0.2), heavy_ball [1e-4, 0.15], nesterov [1e-4, 0.07], rmsprop [1e-4, 1e-3], "
                             "adam [1e-4, 2e-3]")
    steps: int = config_field(80_000, low=100, high=10_000_000, help="number of steps (flow: t1 = lr·steps)")
    every: int = config_field(40, low=1, high=100_000, help="record the sharpness every this many steps")
    width: int = config_field(100, low=1, high=100_000, help="hidden width of the tanh net")
    gain: float = config_field(1.9, low=1e-3, high=100.0, help="Xavier gain of the first layer")
    degree: int = config_field(5, low=0, high=50, help="Chebyshev degree of the targets")
    n: int = config_field(20, low=2, high=100_000, help="number of training points")
    solver: str = config_field("gd", choices=("gd", "flow"), help="gd (the discrete optimizer), or gradient flow "
                               "(negative control; optimizer=gd only)")
    lanczos_iterations: int = config_field(20, low=2, high=1000, help="HVPs per sharpness estimate")
    transient: float = config_field(None, low=0.0, high=0.5, help="Δ after the crossing, as a fraction of the run "
                                    "(None: gd 0.05, the others 0.2; validated: gd [0, 0.5], the others [0.2, 0.5])")
    optimizer: str = config_field("gd", choices=OPTIMIZERS, help="gd, heavy_ball (torch SGD momentum), nesterov "
                                  "(torch form), rmsprop (torch form) or adam (torch form, bias-corrected)")
    beta: float = config_field(None, low=0.0, high=0.95, help="momentum β (heavy_ball [0, 0.5], default 0.5; "
                               "nesterov [0.5, 0.9], default 0.9) or Adam's β₁ ([0.8, 0.95], default 0.9); rejected "
                               "for gd and rmsprop")
    beta2: float = config_field(None, low=0.999, high=0.9999, help="the second-moment decay: RMSProp's α (default 0.999) "
                                "or Adam's β₂ (default 0.999), validated [0.999, 0.9999] for both; rejected for gd, heavy_ball, "
                                "nesterov")
    eps: float = config_field(None, low=0.0, high=1e-6, help="ε added to √ν (rmsprop, adam; default 1e-8); rejected "
                              "for gd, heavy_ball, nesterov")
    threshold: str = config_field("optimizer", choices=("optimizer", "gd"), help="compare with the optimizer's own "
                                  "threshold, or with GD's 2/η (negative control for a momentum run)")
    sharpness: str = config_field("preconditioned", choices=("preconditioned", "raw"), help="rmsprop/adam: compare "
                                  "λ₁(P^{-1/2}HP^{-1/2}) or the raw λ₁(H) (negative control); the two are the same "
                                  "for gd, heavy_ball, nesterov (P = I)")

    def __post_init__(self):
        if self.optimizer not in DEFAULTS:
            return  # make_config rejects it (choices)
        if self.transient is None:
            object.__setattr__(self, "transient", TRANSIENT[self.optimizer])
        for key, default in zip(("lr", "beta", "beta2", "eps"), DEFAULTS[self.optimizer]):
            value = getattr(self, key)
            if value is None:
                object.__setattr__(self, key, default)
            elif key not in USES[self.optimizer] and value != default:
                raise ValueError(
                    f"config key {key!r} does not apply to optimizer={self.optimizer!r} (it uses "
                    f"{', '.join(USES[self.optimizer])}); drop --set {key}=..., or choose an optimizer that uses it"
                )

    def validate(self):
        if self.steps % self.every:
            raise ValueError(
                f"config key 'every' ({self.every}) must divide 'steps' ({self.steps})"
            )
        if self.solver == "flow" and self.optimizer != "gd":
            raise ValueError(f"config key 'solver'=flow is the η → 0 limit of GD only; set optimizer=gd "
                             f"(got optimizer={self.optimizer!r})")
        for key, (low, high) in RANGES[self.optimizer].items():
            value = getattr(self, key)
            if not low <= value <= high:
                raise ValueError(
                    f"config key {key!r}={value} is outside [{low}, {high}], the range validated for "
                    f"optimizer={self.optimizer!r} (`theorycheck show edge_of_stability` says why); choose {key} in it"
                )


def _problem(width: int, gain: float, degree: int, n: int):
    x, y = models.chebyshev_regression(degree, n)
    net = models.cohen21_regression_net(width, gain=gain)

    def loss(params):
        return 0.5 * jnp.mean((net.apply(params, x) - y) ** 2)

    return x, y, net, loss


def _optimizer(config, data):
    lr, beta, beta2, eps = (data[k] for k in ("lr", "beta", "beta2", "eps"))
    if config.optimizer == "gd":
        return dynamics.plain_sgd(lr)
    if config.optimizer == "heavy_ball":
        return dynamics.plain_sgd(lr, momentum=beta)
    if config.optimizer == "nesterov":
        return dynamics.plain_sgd(lr, momentum=beta, nesterov=True)
    if config.optimizer == "rmsprop":
        return dynamics.rmsprop(lr, decay=beta2, eps=eps)
    return dynamics.adam(lr, b1=beta, b2=beta2, eps=eps)


def simulate(config: EdgeOfStabilityConfig, data, key):
    """The optimizer (or the flow) from the paper's initialisation, with the sharpness observers.

    ``data`` holds ``lr``, ``beta``, ``beta2`` and ``eps``, traced, so a new value (or a sweep over
    them) does not recompile; returns the recorded series as arrays (the sweep protocol's
    ``simulate``). RMSProp and Adam also record the preconditioned sharpness.
    """
    _, _, net, loss = _problem(config.width, config.gain, config.degree, config.n)
    observers = {"sharpness": dynamics.top_hessian_eigenvalues(loss, num_iterations=config.lanczos_iterations)}
    if config.optimizer in ADAPTIVE:
        preconditioner = (dynamics.adam_preconditioner() if config.optimizer == "adam"
                          else dynamics.rmsprop_preconditioner())
        observers["preconditioned"] = dynamics.top_preconditioned_hessian_eigenvalues(
            loss, preconditioner, num_iterations=config.lanczos_iterations)
    key_init, key_run = jax.random.split(key)
    params0 = net.init(key_init)
    lr = data["lr"]
    if config.solver == "gd":
        run = dynamics.gradient_descent(
            loss, _optimizer(config, data), num_steps=config.steps, every=config.every, observers=observers
        )
    else:  # the same continuous time, recorded at the same times t = η·step
        run = dynamics.gradient_flow(
            loss, t1=lr * config.steps, num_records=config.steps // config.every + 1, observers=observers,
            rtol=1e-7, atol=1e-9,
        )
    trajectory = run(params0, key_run)
    sharp = trajectory.observations["sharpness"]
    flat = lambda p: jax.flatten_util.ravel_pytree(p)[0]  # noqa: E731
    arrays = {
        "times": trajectory.times, "sharpness": sharp["eigenvalues"][:, 0],
        "lanczos_residuals": sharp["residuals"][:, 0], "lanczos_converged": sharp["converged"][:, 0],
        "losses": trajectory.losses, "diverged": trajectory.diverged, "diverged_at": trajectory.diverged_at,
        "status": trajectory.status, "params_initial": flat(params0), "params_final": flat(trajectory.final_params),
    }
    if config.optimizer in ADAPTIVE:
        pre = trajectory.observations["preconditioned"]
        arrays.update(preconditioned_sharpness=pre["eigenvalues"][:, 0],
                      preconditioned_residuals=pre["residuals"][:, 0],
                      preconditioned_converged=pre["converged"][:, 0])
    return arrays


def hovering_verdict(sharpness, converged, steps_of_records, losses, loss_steps, lr, config, *,
                     threshold=None, edge_ratio=None, names=("S", "2/η")):
    """The criteria of the module docstring on recorded series (numpy in, dict out).

    ``sharpness`` is the series compared with ``threshold`` (default 2/η). ``edge_ratio`` is the
    optimizer's own stability quantity over its own threshold (default ``sharpness/threshold``):
    its first record >= 1 is the crossing t*, where the run reached its edge of stability.
    ``names`` = (the compared quantity, the threshold) as the reasons write them.

    ``outcome`` is ``inconclusive`` when the run cannot decide (the run never reached its edge,
    no record after the transient, an unconverged Lanczos estimate in the window, or the loss
    has not fallen yet), ``fail`` when the band or median criterion is violated, else ``pass``.
    """
    what, label = names
    threshold = float(bounds.eos_threshold(lr)) if threshold is None else float(threshold)
    ratio = sharpness / threshold
    edge = ratio if edge_ratio is None else edge_ratio
    crossed = bool(np.any(edge >= 1.0))
    out = {"threshold": threshold, "crossed": crossed, "max_ratio": float(np.nanmax(ratio)) if ratio.size else float("nan")}
    if not crossed:
        edge_max = float(np.nanmax(edge)) if edge.size else float("nan")
        return dict(out, outcome=INCONCLUSIVE, error=float("nan"), crossing_step=None,
                    reason=f"the sharpness never reached its threshold (max {edge_max:.3g}× the optimizer's threshold, "
                           f"{label} = {threshold:.4g} for {what}) in {config.steps} steps; raise steps to >= "
                           f"{2 * config.steps} (or lr)")
    crossing_step = float(steps_of_records[np.argmax(edge >= 1.0)])
    window = steps_of_records >= crossing_step + config.transient * config.steps
    post = ratio[window]
    out.update(crossing_step=crossing_step, records_after_transient=int(post.size))
    if not post.size:
        return dict(out, outcome=INCONCLUSIVE, error=float("nan"),
                    reason=f"crossed {label} at step {crossing_step:.0f}, leaving no record after the transient; "
                           "raise steps or lower transient")
    error = float(np.max(np.abs(post - 1.0)))
    median = float(np.median(post))
    out.update(error=error, median_ratio=median, min_ratio=float(post.min()), max_ratio=float(post.max()))
    unconverged = int(np.sum(~converged[window]))
    if unconverged:
        return dict(out, outcome=INCONCLUSIVE, lanczos_converged=False,
                    reason=f"{unconverged} sharpness estimates after the crossing did not converge "
                           "(residual > 1e-3·|λ|); raise lanczos_iterations")
    out["lanczos_converged"] = True
    span = 0.1 * config.steps
    late = losses[loss_steps >= config.steps - span]
    early = losses[(loss_steps >= crossing_step) & (loss_steps < crossing_step + span)]
    loss_falls = bool(late.size and early.size and np.min(late) < LOSS_FALL * np.min(early))
    out["loss_falls"] = loss_falls
    failed = []
    if error > BAND:
        failed.append(f"the sharpness left the band after the crossing: max |{what}/({label}) − 1| = {error:.3g} > {BAND}")
    if not MEDIAN_BAND[0] <= median <= MEDIAN_BAND[1]:
        failed.append(f"median {what}/({label}) after the crossing {median:.3g} outside {list(MEDIAN_BAND)}")
    below, above = post < 1.0 - BAND, post > 1.0 + BAND
    if np.any(below) and not np.any(above):
        last = int(np.flatnonzero(below)[-1])
        tail = post[last + 1:]
        head = post[:last + 1]
        if (2 * tail.size >= post.size and float(np.median(head)) < MEDIAN_BAND[0]
                and MEDIAN_BAND[0] <= float(np.median(tail)) <= MEDIAN_BAND[1]):
            # still approaching from below (a slow return after the first overshoot), then in the band
            entered = float(steps_of_records[window][last + 1])
            needed = math.ceil(20 * (entered - crossing_step) / config.steps) / 20
            remedy = (f"raise transient to >= {needed:.2f}" if needed <= 0.5 else
                      f"raise steps to >= {math.ceil(2 * (entered - crossing_step) / config.every) * config.every}"
                      " and transient to 0.5")
            out["approach_until_step"] = entered
            return dict(out, outcome=INCONCLUSIVE,
                        reason=f"the sharpness was still approaching {label} from below until step {entered:.0f} "
                               f"(min {float(post.min()):.3g}× {label}), then stayed in the band: the transient "
                               f"outlasts Δ = {config.transient}·steps; {remedy}")
    if failed:
        return dict(out, outcome=FAIL, reason="; ".join(failed))
    if not loss_falls:
        return dict(out, outcome=INCONCLUSIVE,
                    reason=f"the sharpness hovers (max |{what}/({label}) − 1| = {error:.3g}) but the loss has not yet "
                           f"fallen below {LOSS_FALL}× its level after the crossing (a plateau); raise steps to >= "
                           f"{2 * config.steps}")
    return dict(out, outcome=PASS,
                reason=f"after the crossing at step {crossing_step:.0f}: max |{what}/({label}) − 1| = {error:.3g} <= "
                       f"{BAND}, median {median:.3g} in {list(MEDIAN_BAND)}, loss falls")


def thresholds(config, data) -> tuple[float, float, str]:
    """``(compared, own, label)``: the threshold the sharpness is compared with (``threshold`` key),
    the optimizer's own threshold (where its run reaches its edge), and the former's formula."""
    lr, beta = float(data["lr"]), float(data.get("beta", 0.0))
    own = float(bounds.eos_threshold(lr, beta if config.optimizer in ("heavy_ball", "nesterov", "adam") else 0.0,
                                     optimizer=config.optimizer))
    if config.threshold == "gd":
        return float(bounds.eos_threshold(lr)), own, "2/η"
    return own, own, THRESHOLD_TEXT[config.optimizer]


def verdict(config: EdgeOfStabilityConfig, data, arrays) -> Result:
    """The criteria of the module docstring on :func:`simulate`'s arrays (the protocol's verdict)."""
    lr = float(data["lr"])
    x, y, _, _ = _problem(config.width, config.gain, config.degree, config.n)
    raw, raw_converged, losses = arrays["sharpness"], arrays["lanczos_converged"], arrays["losses"]
    adaptive = config.optimizer in ADAPTIVE
    # the optimizer's stability quantity: λ₁(P^{-1/2}HP^{-1/2}) for RMSProp/Adam, λ₁(H) otherwise
    stable = arrays["preconditioned_sharpness"] if adaptive else raw
    if adaptive and config.sharpness == "preconditioned":
        sharpness, converged, what = stable, arrays["preconditioned_converged"], "S_P"
    else:
        sharpness, converged, what = raw, raw_converged, "S"
    compared, own, label = thresholds(config, data)
    if config.solver == "gd":
        record_steps = np.asarray(arrays["times"], dtype=float)
        loss_steps = np.arange(config.steps, dtype=float)
    else:  # continuous time t corresponds to step t/η
        record_steps = np.asarray(arrays["times"]) / lr
        loss_steps = record_steps
    diverged = bool(arrays["diverged"])
    diverged_at = float(arrays["diverged_at"]) / (1.0 if config.solver == "gd" else lr)
    # records after a divergence are NaN, and the preconditioned ones before the first update
    finite = np.isfinite(sharpness) & np.isfinite(stable)
    outcome = hovering_verdict(sharpness[finite], converged[finite], record_steps[finite],
                               losses[np.isfinite(losses)], loss_steps[np.isfinite(losses)], lr, config,
                               threshold=compared, edge_ratio=stable[finite] / own, names=(what, label))
    if diverged:
        # the optimizer's own threshold decides whether there was any sharpening to observe
        initial = float(stable[finite][0]) if np.any(finite) else float("inf")
        threshold = own
        if initial >= threshold:
            outcome.update(outcome=INCONCLUSIVE, error=float("nan"),
                           reason=f"diverged at step {diverged_at:.0f}: the initial sharpness {initial:.4g} is "
                                  f"already above {THRESHOLD_TEXT[config.optimizer]} = {own:.4g}, so there is no "
                                  f"sharpening to observe; lower lr below {lr * own / initial:.3g}"
                                  if np.isfinite(initial) else
                                  f"diverged at step {diverged_at:.0f} before any sharpness was recorded; lower lr "
                                  f"below {lr / 2:.3g}")
        else:
            outcome.update(outcome=FAIL,
                           reason=f"diverged at step {diverged_at:.0f} although the sharpness started below "
                                  f"{THRESHOLD_TEXT[config.optimizer]} ({initial:.4g} < {own:.4g}): it did not hover at "
                                  f"{THRESHOLD_TEXT[config.optimizer]}")
    crossed = outcome["crossed"]
    window = record_steps >= (outcome["crossing_step"] or 0.0) + config.transient * config.steps
    measured = (float(np.nanmedian(sharpness[window & finite])) if crossed and np.any(window & finite)
                else float(np.nanmax(sharpness)) if np.any(np.isfinite(sharpness)) else float("nan"))
    details = {k: v for k, v in outcome.items() if k not in ("outcome", "reason", "error", "threshold")}
    if config.solver == "gd" and crossed:
        after = loss_steps[1:] >= outcome["crossing_step"]
        with np.errstate(invalid="ignore"):  # inf − inf after a divergence
            details["fraction_loss_increases"] = float(np.mean(np.diff(losses)[after[: losses.size - 1]] > 0))
    details.update(diverged=diverged, diverged_at=diverged_at if diverged else None,
                   status=int(arrays["status"]), initial_sharpness=float(raw[0]), optimizer=config.optimizer,
                   own_threshold=own, compared=what)
    if adaptive:
        window_all = window & finite
        details.update(raw_median_ratio=float(np.median(raw[window_all]) / own) if crossed and np.any(window_all)
                       else None)
    return Result(
        predicted=compared,
        measured=measured,
        error=outcome["error"],
        tolerance=BAND,
        outcome=outcome["outcome"],
        reason=outcome["reason"],
        arrays={
            "x": np.asarray(x), "y": np.asarray(y),
            "params_initial": arrays["params_initial"], "params_final": arrays["params_final"],
            "record_steps": record_steps, "sharpness": sharpness,
            "lanczos_residuals": arrays["lanczos_residuals"], "lanczos_converged": converged,
            "loss_steps": loss_steps, "losses": losses, "threshold": np.asarray(compared),
            "diverged_at": np.asarray(diverged_at if diverged else -1.0),
            **({"preconditioned_sharpness": stable, "preconditioned_converged": arrays["preconditioned_converged"],
                "preconditioned_residuals": arrays["preconditioned_residuals"], "own_threshold": np.asarray(own),
                "raw_sharpness": raw}
               if adaptive else {}),
        },
        details=details,
    )


def plot_sweep(rows, path) -> None:
    """Sharpness after the crossing, as a multiple of 2/η, against η (one marker per seed)."""
    fig, axes = figure(1, 1)
    ax = axes[0, 0]
    lrs = np.array([r["config"]["lr"] for r in rows])
    for key, marker, label in (("median_ratio", "o", "median"), ("min_ratio", "v", "min"), ("max_ratio", "^", "max")):
        values = np.array([np.nan if r["details"].get(key) is None else r["details"][key] for r in rows])
        ax.semilogx(lrs, values, marker, ls="none", alpha=0.7, label=f"{label} of S·η/2 after the crossing")
    ax.axhline(1.0, color="k", ls="--", lw=1, label="S = 2/η")
    ax.axhspan(1 - BAND, 1 + BAND, color="k", alpha=0.08, label=f"±{BAND:.0%}")
    ax.set_xlabel("step size η")
    ax.set_ylabel("sharpness / (2/η)")
    ax.set_title(f"edge of stability: {sum(r['outcome'] == PASS for r in rows)}/{len(rows)} runs pass")
    ax.legend(fontsize=8)
    fig.savefig(path, dpi=110)


def plot(config: EdgeOfStabilityConfig, result: Result, path) -> None:
    a = result.arrays
    fig, axes = figure(2, 1, sharex=True, figsize=(6.4, 5.6))
    top, bottom = axes[0, 0], axes[1, 0]
    compared = result.details.get("compared", "S")
    top.plot(a["record_steps"], a["sharpness"], lw=1,
             label="preconditioned sharpness λ₁(P^{-1/2}HP^{-1/2})" if compared == "S_P" else "sharpness λ_max(∇²L)")
    top.axhline(result.predicted, color="k", ls="--", lw=1,
                label="2/η" if config.threshold == "gd" else THRESHOLD_TEXT[config.optimizer])
    top.axhspan((1 - BAND) * result.predicted, (1 + BAND) * result.predicted, color="k", alpha=0.08,
                label=f"±{BAND:.0%}")
    top.set_ylabel("sharpness")
    top.set_title(f"edge of stability ({config.solver if config.solver == 'flow' else config.optimizer}, "
                  f"η = {config.lr:g}): "
                  f"{result.outcome.upper()}")
    top.legend(loc="lower right", fontsize=8)
    bottom.semilogy(a["loss_steps"], a["losses"], lw=0.8)
    bottom.set_xlabel("step" if config.solver == "gd" else "time / η")
    bottom.set_ylabel("train loss")
    fig.savefig(path, dpi=110)


CHECK = register(
    Check(
        name="edge_of_stability",
        statement="Under full-batch GD the sharpness rises to 2/η and then hovers at 2/η while the loss keeps falling "
                  "(momentum: at 2(1+β)/η or 2(1+β)/(η(1+2β)); RMSProp/Adam: the preconditioned sharpness at 2/η or "
                  "2(1+β₁)/(η(1−β₁))).",
        source="Cohen et al., ICLR 2021, arXiv:2103.00065 (shared/THEORY.md §1); Cohen et al., \"Adaptive Gradient "
               "Methods at the Edge of Stability\", arXiv:2207.14484",
        config_type=EdgeOfStabilityConfig,
        run=None,
        plot=plot,
        negative_controls=(
            {"solver": "flow"},
            {"optimizer": "heavy_ball", "threshold": "gd"},
            {"optimizer": "nesterov", "threshold": "gd"},
            {"optimizer": "adam", "sharpness": "raw"},
        ),
        needs_x64=True,
        quick={"steps": 20_000, "every": 40},
        slow_corners=("steps=high", "width=high", "n=high", "every=low", "lanczos_iterations=high"),
        data_keys=("lr", "beta", "beta2", "eps"),
        simulate=simulate,
        verdict=verdict,
        plot_sweep=plot_sweep,
    )
)
