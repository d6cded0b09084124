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

**Negative control.** ``solver=flow``: gradient flow (the η → 0 limit, solved by diffrax) over the
same time η·steps keeps sharpening far past 2/η of the same η (THEORY.md §1: S = 36.6 at the
time where GD at η = 0.2 had S ≈ 10), so the same comparison must fail: the cap is η-specific.
"""

import dataclasses

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


@dataclasses.dataclass(frozen=True)
class EdgeOfStabilityConfig:
    lr: float = config_field(0.1, low=1e-4, high=0.12, help="GD step size η (at most 0.12: the ±15% band was "
                             "validated for η in [0.08, 0.12]; the saw-tooth of S around 2/η grows with η and "
                             "its peaks leave the band for some seeds from η ≈ 0.2)")
    steps: int = config_field(80_000, low=100, high=10_000_000, help="number of GD steps (flow: t1 = lr·steps)")
    every: int = config_field(40, low=1, high=100_000, help="record the sharpness every this many steps")
    width: int = config_field(100, low=1, high=100_000, help="hidden width of the tanh net")
    gain: float = config_field(1.9, low=1e-3, high=100.0, help="Xavier gain of the first layer")
    degree: int = config_field(5, low=0, high=50, help="Chebyshev degree of the targets")
    n: int = config_field(20, low=2, high=100_000, help="number of training points")
    solver: str = config_field("gd", choices=("gd", "flow"), help="gd, or gradient flow (negative control)")
    lanczos_iterations: int = config_field(20, low=2, high=1000, help="HVPs per sharpness estimate")
    transient: float = config_field(0.05, low=0.0, high=0.5, help="Δ after the crossing, as a fraction of the run")

    def validate(self):
        if self.steps % self.every:
            raise ValueError(
                f"config key 'every' ({self.every}) must divide 'steps' ({self.steps})"
            )


def _problem(width: int, gain: float, degree: int, n: int):
    x, y = models.chebyshev_regression(degree, n)
    net = models.cohen21_regression_net(width, gain=gain)

    def loss(params):
        return 0.5 * jnp.mean((net.apply(params, x) - y) ** 2)

    return x, y, net, loss


def simulate(config: EdgeOfStabilityConfig, data, key):
    """GD (or the flow) from the paper's initialisation, with the sharpness observer.

    ``data["lr"]`` is traced, so a new η (or a sweep over η) does not recompile; returns the
    recorded series as arrays (the sweep protocol's ``simulate``).
    """
    _, _, net, loss = _problem(config.width, config.gain, config.degree, config.n)
    observers = {"sharpness": dynamics.top_hessian_eigenvalues(loss, num_iterations=config.lanczos_iterations)}
    key_init, key_run = jax.random.split(key)
    params0 = net.init(key_init)
    lr = data["lr"]
    if config.solver == "gd":
        run = dynamics.gradient_descent(
            loss, dynamics.plain_sgd(lr), num_steps=config.steps, every=config.every, observers=observers
        )
    else:  # the same continuous time, recorded at the same times t = η·step
        run = dynamics.gradient_flow(
            loss, t1=lr * config.steps, num_records=config.steps // config.every + 1, observers=observers,
            rtol=1e-7, atol=1e-9,
        )
    trajectory = run(params0, key_run)
    sharp = trajectory.observations["sharpness"]
    flat = lambda p: jax.flatten_util.ravel_pytree(p)[0]  # noqa: E731
    return {
        "times": trajectory.times, "sharpness": sharp["eigenvalues"][:, 0],
        "lanczos_residuals": sharp["residuals"][:, 0], "lanczos_converged": sharp["converged"][:, 0],
        "losses": trajectory.losses, "diverged": trajectory.diverged, "diverged_at": trajectory.diverged_at,
        "status": trajectory.status, "params_initial": flat(params0), "params_final": flat(trajectory.final_params),
    }


def hovering_verdict(sharpness, converged, steps_of_records, losses, loss_steps, lr, config):
    """The criteria of the module docstring on recorded series (numpy in, dict out).

    ``outcome`` is ``inconclusive`` when the run cannot decide (the sharpness never reached 2/η,
    no record after the transient, an unconverged Lanczos estimate in the window, or the loss
    has not fallen yet), ``fail`` when the band or median criterion is violated, else ``pass``.
    """
    threshold = float(bounds.eos_threshold(lr))
    ratio = sharpness / threshold
    crossed = bool(np.any(ratio >= 1.0))
    out = {"threshold": threshold, "crossed": crossed, "max_ratio": float(np.nanmax(ratio))}
    if not crossed:
        return dict(out, outcome=INCONCLUSIVE, error=float("nan"), crossing_step=None,
                    reason=f"the sharpness never reached 2/η = {threshold:.4g} (max {out['max_ratio']:.3g}·2/η) "
                           f"in {config.steps} steps; raise steps (or lr)")
    crossing_step = float(steps_of_records[np.argmax(ratio >= 1.0)])
    window = steps_of_records >= crossing_step + config.transient * config.steps
    post = ratio[window]
    out.update(crossing_step=crossing_step, records_after_transient=int(post.size))
    if not post.size:
        return dict(out, outcome=INCONCLUSIVE, error=float("nan"),
                    reason=f"crossed 2/η at step {crossing_step:.0f}, leaving no record after the transient; "
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
        failed.append(f"the sharpness left the band after the crossing: max |S·η/2 − 1| = {error:.3g} > {BAND}")
    if not MEDIAN_BAND[0] <= median <= MEDIAN_BAND[1]:
        failed.append(f"median S·η/2 after the crossing {median:.3g} outside {list(MEDIAN_BAND)}")
    if failed:
        return dict(out, outcome=FAIL, reason="; ".join(failed))
    if not loss_falls:
        return dict(out, outcome=INCONCLUSIVE,
                    reason=f"the sharpness hovers (max |S·η/2 − 1| = {error:.3g}) but the loss has not yet fallen "
                           f"below {LOSS_FALL}× its level after the crossing (a plateau); raise steps")
    return dict(out, outcome=PASS,
                reason=f"after the crossing at step {crossing_step:.0f}: max |S·η/2 − 1| = {error:.3g} <= {BAND}, "
                       f"median {median:.3g} in {list(MEDIAN_BAND)}, loss falls")


def verdict(config: EdgeOfStabilityConfig, data, arrays) -> Result:
    """The criteria of the module docstring on :func:`simulate`'s arrays (the protocol's verdict)."""
    lr = float(data["lr"])
    x, y, _, _ = _problem(config.width, config.gain, config.degree, config.n)
    sharpness, converged, losses = arrays["sharpness"], arrays["lanczos_converged"], arrays["losses"]
    if config.solver == "gd":
        record_steps = np.asarray(arrays["times"], dtype=float)
        loss_steps = np.arange(config.steps, dtype=float)
    else:  # continuous time t corresponds to step t/η
        record_steps = np.asarray(arrays["times"]) / lr
        loss_steps = record_steps
    diverged = bool(arrays["diverged"])
    diverged_at = float(arrays["diverged_at"]) / (1.0 if config.solver == "gd" else lr)
    finite = np.isfinite(sharpness)  # records after a divergence are NaN
    outcome = hovering_verdict(sharpness[finite], converged[finite], record_steps[finite],
                               losses[np.isfinite(losses)], loss_steps[np.isfinite(losses)], lr, config)
    threshold = outcome["threshold"]
    if diverged:
        initial = float(sharpness[0])
        if initial >= threshold:
            outcome.update(outcome=INCONCLUSIVE, error=float("nan"),
                           reason=f"diverged at step {diverged_at:.0f}: the initial sharpness {initial:.4g} is "
                                  f"already above 2/η = {threshold:.4g}, so there is no sharpening to observe; "
                                  f"lower lr below {2 / initial:.3g}")
        else:
            outcome.update(outcome=FAIL,
                           reason=f"diverged at step {diverged_at:.0f} although the sharpness started below 2/η "
                                  f"({initial:.4g} < {threshold:.4g}): it did not hover at 2/η")
    crossed = outcome["crossed"]
    window = record_steps >= (outcome["crossing_step"] or 0.0) + config.transient * config.steps
    measured = (float(np.nanmedian(sharpness[window])) if crossed and np.any(window & finite)
                else float(np.nanmax(sharpness)))
    details = {k: v for k, v in outcome.items() if k not in ("outcome", "reason", "error", "threshold")}
    if config.solver == "gd" and crossed:
        after = loss_steps[1:] >= outcome["crossing_step"]
        with np.errstate(invalid="ignore"):  # inf − inf after a divergence
            details["fraction_loss_increases"] = float(np.mean(np.diff(losses)[after[: losses.size - 1]] > 0))
    details.update(diverged=diverged, diverged_at=diverged_at if diverged else None,
                   status=int(arrays["status"]), initial_sharpness=float(sharpness[0]))
    return Result(
        predicted=threshold,
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
            "loss_steps": loss_steps, "losses": losses, "threshold": np.asarray(threshold),
            "diverged_at": np.asarray(diverged_at if diverged else -1.0),
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
    top.plot(a["record_steps"], a["sharpness"], lw=1, label="sharpness λ_max(∇²L)")
    top.axhline(result.predicted, color="k", ls="--", lw=1, label="2/η")
    top.axhspan((1 - BAND) * result.predicted, (1 + BAND) * result.predicted, color="k", alpha=0.08,
                label=f"±{BAND:.0%}")
    top.set_ylabel("sharpness")
    top.set_title(f"edge of stability ({config.solver}, η = {config.lr}): "
                  f"{result.outcome.upper()}")
    top.legend(loc="lower right", fontsize=8)
    bottom.semilogy(a["loss_steps"], a["losses"], lw=0.8)
    bottom.set_xlabel("step" if config.solver == "gd" else "time / η")
    bottom.set_ylabel("train loss")
    fig.savefig(path, dpi=110)


CHECK = register(
    Check(
        name="edge_of_stability",
        statement="Under full-batch GD the sharpness rises to 2/η and then hovers at 2/η while the loss keeps falling.",
        source="Cohen et al., ICLR 2021, arXiv:2103.00065 (shared/THEORY.md §1)",
        config_type=EdgeOfStabilityConfig,
        run=None,
        plot=plot,
        negative_controls=({"solver": "flow"},),
        needs_x64=True,
        quick={"steps": 20_000, "every": 40},
        slow_corners=("steps=high", "width=high", "n=high", "every=low", "lanczos_iterations=high"),
        data_keys=("lr",),
        simulate=simulate,
        verdict=verdict,
        plot_sweep=plot_sweep,
    )
)
