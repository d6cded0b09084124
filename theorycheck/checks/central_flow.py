"""Central flow: GD's time-averaged loss at the edge of stability is L + σ²/η along the central flow.

**Statement.** At the edge of stability, full-batch GD with step size η oscillates around a
smooth trajectory, the *central flow* w̄(t): dw̄/dt = −η[∇L + ½σ²∇S] with S the sharpness and
σ² ≥ 0 the multiplier that holds S at 2/η (gradient flow below the edge; a k × k multiplier Σ
when k eigenvalues are at the edge). GD's iterate stays close to w̄ (its deviation is the
oscillation, of variance ≈ σ² along the top eigenvector u), and GD's *time-averaged* loss is
L(w̄) + σ²/η (tr Σ/η in general). Cohen, Damian, Talwalkar, Kolter, Lee, "Understanding
Optimization in Deep Learning with Central Flows", ICLR 2025, arXiv:2410.24206. Verified with
the ``search`` tool in the authors' reference code (github.com/centralflows/centralflows,
``minimal.py`` and ``src/sdcp.py``, read, not copied): the flow is discretised by Euler
sub-steps of one GD step (4 per step, the default ``nsubsteps_central = 4``), the critical
eigenvalues are those above 1.95/η, the multiplier solves the SDCP ``A + B[X] ⪰ 0, X ⪰ 0,
⟨X, A + B[X]⟩ = 0`` (whose k = 1 solution carries the restoring term 2(λ − 2/η)/(dt·η‖∇S‖²)),
and the predicted loss is ``loss + Sigma_eig.sum() / lr``, i.e. L + tr Σ/η. The paper's text
was not in the stored corpus; its numbers are not relied on.

**Setup.** GD, the central flow (:func:`dynamics.central_flow`: Euler with ``dt`` = ¼ step,
top-``num_eigs`` Hessian eigenpairs by Lanczos warm-started from the previous eigenvectors,
``lanczos_iterations`` HVPs per sub-step, the k = 1 multiplier in closed form, k ≥ 2 by the SDCP)
and gradient flow (:func:`dynamics.gradient_flow`, diffrax Tsit5 at rtol 1e-7, recorded at the same
times t = η·step; an Euler grid would itself turn unstable once the flow's sharpness passes
2/(η·dt) = 80, which gradient flow reaches here) from the same initialisation, float64.
``architecture=tanh``: Cohen et al. (2021)'s ``regression`` net (one tanh layer of ``width``,
first-layer Xavier gain 1.9) on 20 Chebyshev points labelled by T₅, loss ½·mean(r²), as
:mod:`.edge_of_stability`. ``architecture=gelu``: one GELU hidden layer of ``width``
(``models.mlp``, standard init), same data. GD records its parameters and top-2 Hessian
eigenvalues (Lanczos, 20 HVPs) every ``every`` steps; the central flow records w̄, L(w̄), S(w̄),
σ² and L + σ²/η. Cost (measured on this shared 2-core machine under load, so only indicative):
a central-flow step costs 4 sub-steps × (1 gradient + ``lanczos_iterations`` + k HVPs + k(k+1)/2
third-derivative gradients) ≈ 110 (k = 1) to 150 (k = 2) gradient evaluations; its wall time was
30–45× a GD step's on the 301-parameter tanh net (30 000 GD steps 0.6 s, the flow 19–27 s).

**The window is derived from the run.** GD here does not oscillate steadily: the oscillation
along u dies to round-off and re-ignites in loss spikes (period 850–910 steps at η = 0.1,
≈ 510 at η = 0.2), so GD's loss must be averaged over whole spike periods. The period P is the
median spacing of spike onsets (GD's loss above ``SPIKE`` = 1.5× its running median over
``BASELINE`` = 501 steps; onsets within ``MERGE`` = 50 steps are one spike) between the crossing
and the end of the k = 1 phase; the averaging window is W = ``periods_per_window``·P steps
(default 3), centred, applied alike to GD's loss and to the prediction. A window of a whole number
of periods holds the same number of spikes wherever it starts, so its mean does not depend on
where the window falls (with 200-step windows the same comparison misses by 15–50%).

**Criteria.** The EoS phase is the records from t* + W (t*: the first record where GD's
sharpness ≥ 2/η) to the end of the k = 1 phase (the first record where GD's second Hessian
eigenvalue ≥ 1.95/η, the reference code's critical threshold, or the horizon ``steps``) less W/2.
(1) *Loss*: e_t = |⟨L_GD⟩_W − ⟨L(w̄) + σ²/η⟩_W| / ⟨L(w̄) + σ²/η⟩_W; median e ≤ ``LOSS_TOL`` = 0.05
and 90th percentile ≤ ``2·LOSS_TOL``. (2) *Tracking*: median ‖w_GD − w̄‖/‖w_GD − w_GF‖ ≤
``TRACK_TOL`` = 0.25 (GD at least 4× closer to the central flow than to gradient flow).

**Derived tolerances.** The claim's alternative (the flow's loss without its σ²/η term) misses
by f = ⟨σ²/η⟩/⟨L + σ²/η⟩, which the run measures (0.16–0.19 here); the tolerance separates the
two when the alternative misses by more than 2× the tolerance, so LOSS_TOL = 0.05 requires
f ≥ 0.10 (``f`` below that: inconclusive, "a tolerance too wide to separate the claim from its
alternative"). The theory is a second-order expansion of the loss in the oscillation; a window of
m periods cut at arbitrary phase errs by at most the period jitter (measured ≤ 5% of P) times f,
≤ 1% — the measured median error at the defaults is 0.07–0.30% (p90 0.27–1.3%, 8 seeds). The tracking bound is GD's own
oscillation: ‖w_GD − w̄‖ is about √σ² ≈ 0.05–0.07 while gradient flow drifts to ‖w_GD − w_GF‖ of
order 1 within a few thousand steps; 0.25 is the ratio at which the central flow would explain
only 15/16 of GD's mean-square departure from gradient flow; measured medians are 0.029–0.032
at the defaults (8 seeds), 0.06–0.14 at the quick sizes.

**Reported, not asserted.** GD's mean squared displacement from w̄ along u over σ² (measured
0.97–1.03 at η = 0.1, 8 seeds: the oscillation variance the theory predicts), the sharpness of all three
(the flow's stays at 2/η to 1e-9), the cost ratio of a flow step to a GD step.

**Horizon and range.** The default η = 0.1 and ``steps`` = 30 000 (tanh: crossing near step
10 000, GD's λ₂ reaches 1.95/η near 45 000): about 19 000 steps of EoS, 20 spike periods; the
default run takes 40–70 s on one loaded core. The verdict's window ends where GD's λ₂ reaches
1.95/η. That is not always early enough: on the tanh net at η = 0.15 (seed 202) GD's λ₂ began to
rise about 4 000 steps *before* reaching 1.95/η (from 0.65·2/η at step 13 500 to 0.97·2/η at
17 200) and GD left its loss plateau (averaged loss 0.127 → 0.066) while the k = 1 flow's λ₂ stayed
at 0.65·2/η and its loss on the plateau: a FAIL on the 90th percentile (0.35) with a median error
of 0.002. The prediction is right up to step 13 500 there; it is the k = 1 flow that does not
foresee the second eigen-direction. Hence the narrowed ranges: with ``architecture=tanh``, η ≤ 0.11
(``validate`` rejects more; at η = 0.2 the crossing is near 3 800 and GD's λ₂ reaches 1.95/η near
6 600, less than two windows later), and ``steps`` ≤ 35 000 for both nets (at η = 0.1 the
departure starts near step 40 000). The k = 2 flow (the SDCP, implemented and tested against a
brute-force solve) did *not* fix this in one run at η = 0.2: GD's averaged loss rose 15–20% above
its prediction, with the flow's λ₂ reaching 1.95/η about 2 000 steps after GD's. ``width`` is
[50, 200]: the GELU net's initial sharpness grows with width (≈ 9 at width 100, ≈ 20 at 200), so at
η ≥ 0.1 wide GELU nets often start beyond 2/η, which is inconclusive with that reason (so is
GELU at η = 0.2 for about half the seeds at width 100). The quick sizes are GELU at η = 0.2 for
2 000 steps (crossing near step 440).

**Outcomes.** ``inconclusive`` (with the remedy) when GD never reached 2/η or started beyond it,
the gradient-flow solver stopped early, fewer than 4 spikes
were seen, the EoS phase is shorter than one window, f < 2·LOSS_TOL, a flow's eigenvalues did not
converge, or the flow overflowed; ``fail`` when a criterion was decided and violated, or GD
diverged from a sharpness below 2/η.

**Negative controls.** ``flow=gradient``: gradient flow in place of the central flow keeps
sharpening past 2/η (S ≈ 93 at the default horizon) and its loss departs from GD's averaged loss by a
median 46–49% (4 seeds at the defaults; 40–50% at the quick sizes): criterion (1) fails (and (2) by construction). ``sigma_term=false``: the central flow's
L(w̄) alone, without σ²/η, misses GD's averaged loss by a median 18.5–19.3% (7 seeds): criterion (1) fails.
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

LOSS_TOL = 0.05  # median relative error of the window-averaged loss
P90_FACTOR = 2.0  # the 90th percentile may reach 2·LOSS_TOL
TRACK_TOL = 0.25  # median ‖w_GD − w̄‖ / ‖w_GD − w_GF‖
SEPARATION = 2.0  # the alternative must miss by ≥ 2·LOSS_TOL for the comparison to decide
SPIKE = 1.5  # a spike: GD's loss above 1.5× its running median
BASELINE = 501  # steps in the running median
MERGE = 50  # onsets closer than this are one spike
MIN_SPIKES = 4  # at least 3 periods to measure one
LAMBDA2_EDGE = 1.95  # GD's λ₂ ≥ 1.95/η ends the k = 1 phase (the reference code's threshold)
LANCZOS_RTOL = 1e-3
TANH_MAX_LR = 0.11  # the tanh net's validated step sizes (docstring: "Horizon and range")


@dataclasses.dataclass(frozen=True)
class CentralFlowConfig:
    lr: float = config_field(0.1, low=0.08, high=0.2, help="GD step size η (tanh: at most 0.11; see the docstring)")
    steps: int = config_field(30_000, low=100, high=35_000, help="horizon in GD steps (at most 35 000: the validated "
                              "k = 1 phase; see the docstring)")
    every: int = config_field(10, low=1, high=100, help="record every this many steps")
    architecture: str = config_field("tanh", choices=("tanh", "gelu"), help="tanh: Cohen et al. 2021's net; "
                                     "gelu: one GELU hidden layer")
    width: int = config_field(100, low=50, high=200, help="hidden width")
    dt: float = config_field(0.25, choices=(0.25, 0.5), help="Euler step of the flows, in GD steps")
    num_eigs: int = config_field(2, low=2, high=4, help="Hessian eigenpairs tracked by the flows (≥ 2: λ₂'s "
                                 "arrival is detected)")
    lanczos_iterations: int = config_field(10, low=6, high=40, help="HVPs per flow sub-step (warm-started)")
    periods_per_window: int = config_field(3, low=2, high=6, help="averaging window in spike periods")
    flow: str = config_field("central", choices=("central", "gradient"), help="central, or gradient flow "
                             "(negative control)")
    sigma_term: bool = config_field(True, help="predict L + σ²/η (false: L alone, negative control)")

    def validate(self):
        if self.steps % self.every:
            raise ValueError(f"config key 'every' ({self.every}) must divide 'steps' ({self.steps})")
        if self.architecture == "tanh" and self.lr is not None and self.lr > TANH_MAX_LR:
            raise ValueError(f"config key 'lr' ({self.lr}) must be <= {TANH_MAX_LR} with architecture=tanh: above it GD "
                             "leaves the k = 1 plateau within the horizon while the flow stays on it (see the "
                             "docstring); use architecture=gelu for larger η")


def _problem(architecture: str, width: int):
    x, y = models.chebyshev_regression(5, 20)
    if architecture == "tanh":
        net = models.cohen21_regression_net(width, gain=1.9)
    else:
        net = models.mlp([1, width, 1], jax.nn.gelu)

    def loss(params):
        return 0.5 * jnp.mean((net.apply(params, x) - y) ** 2)

    return x, y, net, loss


def simulate(config: CentralFlowConfig, data, key):
    """GD, the configured flow and gradient flow from one initialisation (``data["lr"]`` traced)."""
    _, _, net, loss = _problem(config.architecture, config.width)
    key_init, key_gd, key_flow, key_gf = jax.random.split(key, 4)
    params0 = net.init(key_init)
    lr = data["lr"]
    flat = lambda p: jax.flatten_util.ravel_pytree(p)[0]  # noqa: E731
    gd = dynamics.gradient_descent(
        loss, dynamics.plain_sgd(lr), num_steps=config.steps, every=config.every,
        observers={"params": dynamics.stateless(lambda p, k: flat(p)),
                   "hessian": dynamics.top_hessian_eigenvalues(loss, k=2, num_iterations=20)},
    )(params0, key_gd)
    # gradient flow as an ODE (diffrax, adaptive): an Euler grid would itself go unstable once the
    # flow's sharpness passes 2/(η·dt), which gradient flow does here (S ≈ 90 at the horizon)
    gf = dynamics.gradient_flow(
        loss, t1=lr * config.steps, num_records=config.steps // config.every + 1, rtol=1e-7, atol=1e-9,
        observers={"params": dynamics.stateless(lambda p, k: flat(p)),
                   "hessian": dynamics.top_hessian_eigenvalues(loss, num_iterations=20)},
    )(params0, key_gf)
    w_gd, w_gf = gd.observations["params"], gf.observations["params"]
    gf_sharpness = gf.observations["hessian"]["eigenvalues"][:, 0]
    out = {
        "gd_losses": gd.losses, "gd_sharpness": gd.observations["hessian"]["eigenvalues"],
        "gd_diverged": gd.diverged, "gd_diverged_at": gd.diverged_at,
        "gf_losses": gf.losses, "gf_sharpness": gf_sharpness, "gf_status": gf.status,
        "dist_gf": jnp.linalg.norm(w_gd - w_gf, axis=1),
    }
    if config.flow == "gradient":  # the control: gradient flow in place of the central flow
        zeros = jnp.zeros_like(gf.losses)
        return dict(
            out, flow_losses=gf.losses, flow_predicted=gf.losses, flow_sigma_trace=zeros, flow_sigma_top=zeros,
            flow_eigenvalues=gf.observations["hessian"]["eigenvalues"],
            flow_lanczos_residuals=gf.observations["hessian"]["residuals"],
            flow_num_critical=jnp.zeros(gf.losses.shape, jnp.int32),
            flow_diverged=gf.diverged | (gf.status == dynamics.STATUS_SOLVER_FAILED),
            dist_flow=out["dist_gf"], displacement_u=jnp.full_like(gf.losses, jnp.nan),
        )
    flow = dynamics.central_flow(
        loss, num_steps=config.steps, every=config.every, dt=config.dt, num_eigs=config.num_eigs,
        lanczos_iterations=config.lanczos_iterations,
    )(params0, key_flow, lr)
    w_flow = flow.observations["params"]
    u = flow.observations["eigenvectors"][:, 0]
    return dict(
        out, flow_losses=flow.losses, flow_predicted=flow.observations["predicted_loss"],
        flow_sigma_trace=flow.observations["sigma_trace"], flow_sigma_top=flow.observations["sigma"][:, 0, 0],
        flow_eigenvalues=flow.observations["eigenvalues"],
        flow_lanczos_residuals=flow.observations["lanczos_residuals"],
        flow_num_critical=flow.observations["num_critical"], flow_diverged=flow.diverged,
        dist_flow=jnp.linalg.norm(w_gd - w_flow, axis=1), displacement_u=jnp.sum(u * (w_gd - w_flow), axis=1) ** 2,
    )


def running_median(values, width: int, stride: int = 10):
    """Centred running median of ``values`` over ``width`` samples, evaluated every ``stride`` and
    interpolated (numpy; the edges use the shorter available window)."""
    values = np.asarray(values, dtype=float)
    centres = np.arange(0, values.size, stride)
    half = width // 2
    medians = np.array([np.median(values[max(0, c - half): c + half + 1]) for c in centres])
    return np.interp(np.arange(values.size), centres, medians)


def spike_onsets(losses, start: int, stop: int):
    """Steps in ``[start, stop)`` where GD's loss first rises above ``SPIKE``× its running median
    (onsets within ``MERGE`` steps of the previous one belong to the same spike)."""
    losses = np.asarray(losses, dtype=float)
    above = losses > SPIKE * running_median(losses, BASELINE)
    onsets = np.flatnonzero(above[1:] & ~above[:-1]) + 1
    onsets = onsets[(onsets >= start) & (onsets < stop)]
    merged = []
    for onset in onsets:
        if not merged or onset - merged[-1] > MERGE:
            merged.append(int(onset))
    return np.array(merged, dtype=int)


def window_mean(series, window: int):
    """Centred moving average over ``window`` samples (``mode="same"``; the edges are not used)."""
    window = max(int(window), 1)
    return np.convolve(np.asarray(series, dtype=float), np.ones(window) / window, mode="same")


def _lambda2_remedy(config: CentralFlowConfig, lr: float) -> str:
    """A setting where λ₂ arrives late (measured: tanh at η = 0.1, ~35 000 steps after the crossing)."""
    if config.architecture == "tanh" and lr > 0.1:
        return "lower lr to 0.1 (λ₂ arrives later)"
    if config.architecture == "tanh":
        return "lower lr to 0.08 (λ₂ arrives later)"
    return "set architecture=tanh and lr=0.1 (λ₂ reaches the edge ~35 000 steps after the crossing there)"


def central_flow_verdict(config: CentralFlowConfig, lr: float, arrays) -> dict:
    """The criteria of the module docstring on :func:`simulate`'s arrays (numpy in, dict out)."""
    threshold = float(bounds.eos_threshold(lr))
    every, steps = config.every, config.steps
    record_steps = np.arange(0, steps + 1, every)
    gd_losses = np.asarray(arrays["gd_losses"], dtype=float)
    sharp = np.asarray(arrays["gd_sharpness"], dtype=float)
    out = {"threshold": threshold, "error": float("nan"), "crossing_step": None}
    initial = float(sharp[0, 0])
    out["initial_sharpness"] = initial
    if bool(arrays["gd_diverged"]):
        at = int(arrays["gd_diverged_at"])
        if initial >= threshold:
            return dict(out, outcome=INCONCLUSIVE,
                        reason=f"GD diverged at step {at}: its initial sharpness {initial:.4g} is already above "
                               f"2/η = {threshold:.4g}; lower lr below {2 / initial:.3g} (within [0.08, 0.2])")
        return dict(out, outcome=FAIL,
                    reason=f"GD diverged at step {at} although its sharpness started below 2/η "
                           f"({initial:.4g} < {threshold:.4g}); the central flow predicts a bounded oscillation")
    if bool(arrays["flow_diverged"]) or not np.all(np.isfinite(arrays["flow_predicted"])):
        return dict(out, outcome=INCONCLUSIVE,
                    reason="the flow's Euler integration overflowed (non-finite loss); set dt=0.25")
    if int(arrays["gf_status"]) == dynamics.STATUS_SOLVER_FAILED:
        return dict(out, outcome=INCONCLUSIVE,
                    reason="the gradient-flow ODE solver stopped early (max_steps); lower steps to <= 100000")
    crossed = sharp[:, 0] >= threshold
    if not np.any(crossed):
        return dict(out, outcome=INCONCLUSIVE,
                    reason=f"GD's sharpness never reached 2/η = {threshold:.4g} (max {np.max(sharp[:, 0]):.4g}) in "
                           f"{steps} steps; raise steps to >= 30000 (η = 0.1) or lr to 0.2")
    crossing = int(record_steps[np.argmax(crossed)])
    out["crossing_step"] = crossing
    if crossing == 0:
        return dict(out, outcome=INCONCLUSIVE,
                    reason=f"GD's initial sharpness {initial:.4g} is already at or above 2/η = {threshold:.4g}: GD starts "
                           f"beyond the edge, with no approach to it for the flow to follow; set lr={max(0.08, 0.1 * np.floor(19 / initial)):.2g}"
                           " or another seed")
    second = sharp[:, 1] >= LAMBDA2_EDGE * threshold / 2.0
    second &= record_steps > crossing
    end = int(record_steps[np.argmax(second)]) if np.any(second) else steps
    out["end_step"] = end
    out["lambda2_arrived"] = bool(np.any(second))
    onsets = spike_onsets(gd_losses, crossing, end)
    out["spikes"] = int(onsets.size)
    phase = (f"between the crossing (step {crossing}) and "
             + (f"GD's λ₂ reaching {LAMBDA2_EDGE}/η (step {end})" if out["lambda2_arrived"] else f"the horizon ({end})"))
    if onsets.size < MIN_SPIKES:
        need = crossing + 8 * 900 if not out["lambda2_arrived"] else None
        remedy = (f"raise steps to >= {int(np.ceil(need / 1000) * 1000)}" if need and need > steps
                  else _lambda2_remedy(config, lr))
        return dict(out, outcome=INCONCLUSIVE,
                    reason=f"{onsets.size} loss spikes {phase}: fewer than {MIN_SPIKES}, so no spike period to "
                           f"average over; {remedy}")
    period = float(np.median(np.diff(onsets)))
    window = int(round(config.periods_per_window * period))
    out.update(period=period, window=window, period_jitter=float(np.std(np.diff(onsets)) / period))
    first, last = crossing + window, end - window // 2
    use = (record_steps >= first) & (record_steps <= last) & (record_steps >= window // 2)
    out["records"] = int(use.sum())
    if last - first < window or not np.any(use):
        need = crossing + 2 * window + window // 2
        remedy = (f"raise steps to >= {int(np.ceil(need / 1000) * 1000)}" if not out["lambda2_arrived"]
                  else _lambda2_remedy(config, lr))
        return dict(out, outcome=INCONCLUSIVE,
                    reason=f"the EoS phase {phase} leaves {max(last - first, 0)} steps for a centred {window}-step "
                           f"window ({config.periods_per_window} spike periods of {period:.0f}), less than one "
                           f"window; {remedy}")
    residuals = np.asarray(arrays["flow_lanczos_residuals"])[use, 0]
    eigs = np.asarray(arrays["flow_eigenvalues"])[use, 0]
    if np.any(residuals > LANCZOS_RTOL * np.abs(eigs)):
        return dict(out, outcome=INCONCLUSIVE,
                    reason=f"{int(np.sum(residuals > LANCZOS_RTOL * np.abs(eigs)))} of the flow's top eigenpairs in "
                           f"the window did not converge (residual > {LANCZOS_RTOL}·λ); raise lanczos_iterations to 20")
    per_record = window // every + (1 - (window // every) % 2)  # odd: centred on the record
    gd_avg = window_mean(gd_losses, window)[np.minimum(record_steps, steps - 1)][use]
    flow_loss = np.asarray(arrays["flow_losses"], dtype=float)
    sigma_trace = np.asarray(arrays["flow_sigma_trace"], dtype=float)
    predicted_full = bounds.cohen25_time_averaged_loss(flow_loss, np.maximum(sigma_trace, 0.0), lr)
    predicted = predicted_full if config.sigma_term else flow_loss
    pred_avg = window_mean(predicted, per_record)[use]
    full_avg = window_mean(predicted_full, per_record)[use]
    errors = np.abs(gd_avg - pred_avg) / pred_avg
    error, p90 = float(np.median(errors)), float(np.quantile(errors, 0.9))
    share = float(np.median(window_mean(sigma_trace / lr, per_record)[use] / full_avg))
    ratio = np.asarray(arrays["dist_flow"])[use] / np.asarray(arrays["dist_gf"])[use]
    tracking = float(np.median(ratio))
    top = np.asarray(arrays["flow_sigma_top"])[use]
    variance_ratio = float(np.mean(np.asarray(arrays["displacement_u"])[use]) / np.mean(top)) if np.mean(top) > 0 \
        else float("nan")
    out.update(error=error, p90_error=p90, sigma_share=share, tracking_ratio=tracking,
               tracking_ratio_p90=float(np.quantile(ratio, 0.9)), variance_ratio=variance_ratio,
               predicted=float(np.median(pred_avg)), measured=float(np.median(gd_avg)))
    if config.flow == "central" and share < SEPARATION * LOSS_TOL:
        return dict(out, outcome=INCONCLUSIVE,
                    reason=f"σ²/η is {share:.3g} of the predicted loss, less than {SEPARATION}×{LOSS_TOL}: the "
                           "tolerance cannot separate L + σ²/η from L alone; set lr=0.1 and architecture=tanh")
    failed = []
    if not error <= LOSS_TOL:
        failed.append(f"loss: GD's {window}-step averaged loss departs from the "
                      f"{'central flow' if config.flow == 'central' else 'gradient flow'}'s "
                      f"{'L + σ²/η' if config.sigma_term and config.flow == 'central' else 'L alone'} by a median {error:.3g} > {LOSS_TOL}")
    if not p90 <= P90_FACTOR * LOSS_TOL:
        failed.append(f"loss: 90th percentile of the relative error {p90:.3g} > {P90_FACTOR * LOSS_TOL:.3g}")
    if not tracking <= TRACK_TOL:
        failed.append(f"tracking: median ‖w_GD − w_flow‖/‖w_GD − w_GF‖ = {tracking:.3g} > {TRACK_TOL}")
    if failed:
        return dict(out, outcome=FAIL, reason=f"over the EoS phase {phase}: " + "; ".join(failed))
    return dict(out, outcome=PASS,
                reason=f"over steps {first}–{last} ({window}-step windows = {config.periods_per_window} spike periods): "
                       f"loss median error {error:.3g} <= {LOSS_TOL} (p90 {p90:.3g}), tracking ratio {tracking:.3g} "
                       f"<= {TRACK_TOL}")


def verdict(config: CentralFlowConfig, data, arrays) -> Result:
    """The criteria of the module docstring on :func:`simulate`'s arrays (the protocol's verdict)."""
    lr = float(data["lr"])
    out = central_flow_verdict(config, lr, arrays)
    details = {k: v for k, v in out.items() if k not in ("outcome", "reason", "error", "predicted", "measured")}
    record_steps = np.arange(0, config.steps + 1, config.every)
    return Result(
        predicted=out.get("predicted", float("nan")),
        measured=out.get("measured", float("nan")),
        error=out["error"],
        tolerance=LOSS_TOL,
        outcome=out["outcome"],
        reason=out["reason"],
        arrays={
            "record_steps": record_steps, "gd_losses": np.asarray(arrays["gd_losses"]),
            "gd_sharpness": np.asarray(arrays["gd_sharpness"])[:, 0],
            "flow_losses": np.asarray(arrays["flow_losses"]), "flow_predicted": np.asarray(arrays["flow_predicted"]),
            "flow_sharpness": np.asarray(arrays["flow_eigenvalues"])[:, 0],
            "gf_losses": np.asarray(arrays["gf_losses"]), "gf_sharpness": np.asarray(arrays["gf_sharpness"]),
            "dist_flow": np.asarray(arrays["dist_flow"]), "dist_gf": np.asarray(arrays["dist_gf"]),
            "window": np.asarray(out.get("window", 0)),
        },
        details=details,
    )


def plot(config: CentralFlowConfig, result: Result, path) -> None:
    """The paper's figure: GD's raw and time-averaged loss, the prediction, gradient flow; sharpness."""
    a = result.arrays
    fig, axes = figure(2, 1, sharex=True, figsize=(6.4, 6.0))
    top, bottom = axes[0, 0], axes[1, 0]
    steps = np.arange(a["gd_losses"].size)
    top.semilogy(steps, a["gd_losses"], lw=0.4, color="0.7", label="GD")
    window = int(a["window"])
    if window > 1:
        top.semilogy(steps, window_mean(a["gd_losses"], window), lw=1.2, color="k", label=f"GD, {window}-step mean")
    name = "central flow" if config.flow == "central" else "gradient flow (control)"
    top.semilogy(a["record_steps"], a["flow_predicted"] if config.sigma_term else a["flow_losses"], lw=1.2,
                 color="C0", label=f"{name}: L + σ²/η" if config.sigma_term else f"{name}: L")
    top.semilogy(a["record_steps"], a["flow_losses"], lw=0.8, ls="--", color="C0", label=f"{name}: L(w̄)")
    top.semilogy(a["record_steps"], a["gf_losses"], lw=1.0, color="C3", label="gradient flow")
    top.set_ylabel("train loss")
    top.set_title(f"central flow (η = {config.lr}, {config.architecture}): {result.outcome.upper()}")
    top.legend(fontsize=7)
    bottom.plot(a["record_steps"], a["gd_sharpness"], lw=0.6, color="0.5", label="GD")
    bottom.plot(a["record_steps"], a["flow_sharpness"], lw=1.2, color="C0", label=name)
    bottom.plot(a["record_steps"], a["gf_sharpness"], lw=1.0, color="C3", label="gradient flow")
    bottom.axhline(2 / config.lr, color="k", ls="--", lw=1, label="2/η")
    bottom.set_xlabel("step")
    bottom.set_ylabel("sharpness")
    bottom.legend(fontsize=7)
    fig.savefig(path, dpi=110)


CHECK = register(
    Check(
        name="central_flow",
        statement="At the edge of stability GD's time-averaged loss is L + σ²/η along the central flow, "
                  "and GD tracks the central flow, not gradient flow.",
        source="Cohen, Damian, Talwalkar, Kolter, Lee, ICLR 2025, arXiv:2410.24206",
        config_type=CentralFlowConfig,
        run=None,
        plot=plot,
        negative_controls=({"flow": "gradient"}, {"sigma_term": False}),
        needs_x64=True,
        quick={"architecture": "gelu", "lr": 0.2, "steps": 2_000, "every": 10},
        slow_corners=("steps=low", "steps=high", "width=high", "width=low", "every=low", "every=high", "lanczos_iterations=high",
                      "lanczos_iterations=low", "num_eigs=high", "periods_per_window=high", "periods_per_window=low",
                      "dt=0.5", "architecture=tanh"),
        data_keys=("lr",),
        simulate=simulate,
        verdict=verdict,
    )
)
