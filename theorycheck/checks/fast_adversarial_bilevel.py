"""FAST-AT as linearised bi-level optimisation: the sign step, FAST-BAT's closed form, its implicit gradient.

**Statement.** Adversarial training min_θ E ℓ(θ; x + δ*(θ)) with δ*(θ) solving a lower-level
problem over the ℓ∞ ball C = {‖δ‖∞ ≤ ε}. Zhang, Zhang, Khanduri, Hong, Chang, Liu, "Revisiting and
Advancing Fast Adversarial Training Through The Lens of Bi-Level Optimization" (FAST-BAT), ICML 2022,
arXiv:2112.12376: "the commonly-used Fast-AT is equivalent to using a stochastic gradient algorithm
to solve a linearized BLO problem involving a sign operation". Three exact identities, asserted to
round-off in float64 on a ReLU MLP (64-``width``-``width``-10, cross-entropy) at its initialisation
on ``samples`` test digits (``models.load_digits``), with ℓ_atk = −ℓ the attack loss:

(i) **the sign step solves the linearised lower level**: ε·sign(∇ₓℓ) maximises ⟨∇ₓℓ, δ⟩ over C,
    checked against scipy's HiGHS LP solver (:func:`bounds.linear_lower_level_lp`), not the formula:
    the value gap (LP − sign step)/(ε‖g‖₁) and the LP's vertex against the sign on every coordinate
    with gᵢ ≠ 0.
(ii) **FAST-BAT's lower-level closed form**: δ* = clip(z − ∇_δℓ_atk(θ, z)/λ, −ε, ε) (what
    :func:`dynamics.fast_bat_step` computes) is the minimiser of the linearised, λ-regularised
    problem ⟨∇_δℓ_atk(z), δ − z⟩ + λ‖δ − z‖²/2 over C, checked against scipy's bounded-variable
    least squares (:func:`bounds.box_qp_bvls`). FAST-AT's own step clip(z + α·sign(∇ℓ(z))) (α =
    1.25ε, :func:`dynamics.fast_at_step`) is checked the same way as the minimiser of the problem
    with g replaced by −sign(∇ℓ(z)) and λ = 1/α: the "linearized BLO problem involving a sign
    operation".
(iii) **the implicit gradient**: with z fixed, dδ*/dθ = −(1/λ)·H_C·∂²ℓ_atk/∂θ∂δ (H_C the 0/1 mask
    of the inactive coordinates), :func:`bounds.zhang22_implicit_jvp`, equals the derivative of the
    lower-level solution computed by ``jax.jvp`` *through a solver* (:func:`bounds.box_qp_projected_gradient`,
    projected gradient descent, 80 iterations), along ``directions`` random directions in θ. The
    gradient that FAST-BAT training descends (``jax.jvp`` through :func:`dynamics.fast_bat_attack`'s
    clip, used by :func:`dynamics.adversarial_sgd` with ``differentiate_attack=True``) is compared
    with the same solver.

**What was verified with the search tool.** The abstract (ICML 2022 poster page and OpenReview):
the quotation above, "linearized BLO problem involving a sign operation", an implicit-gradient
algorithm, KKT conditions for the constrained lower level, "without using any gradient sign
method". The authors' code (OPTML-Group/Fast-BAT, ``trainer.py`` and ``train.py``, read in full):
the attack loss is −CE (sum over the batch); FAST-BAT's z is a uniform start in the ball followed by
one non-sign gradient step of size ``attack_lr`` (clipped, detached); δ* = clip(z − attack_lr·∇_δℓ_atk(z));
H is the mask ``z_min + 1e-7 < δ* < z_max − 1e-7``; the extra gradient term is −∇_θ⟨∇_δℓ_atk(θ, z),
H·∇_δℓ(δ*)/λ⟩, i.e. (dδ*/dθ)ᵀ∇_δℓ with dδ*/dθ as in (iii); only the ℓ∞ ball is implemented
(``NotImplementedError`` otherwise). FAST-AT: ``attack_lr = 1.25·ε``. Their pixel box [0, 1] is
dropped here (the digits are standardised, with no pixel box). *Not verified*: the paper's own
equations (its text is not in the stored corpus), so the exact form of its lower-level problem is
taken from the code. **Noticed**: the code uses two different λ: the lower-level step is
``attack_lr`` = 5000/255 (ε ≤ 8/255) while the implicit gradient uses ``lmbda`` = 10, so its extra
term is *not* the exact derivative of its own δ*; (iii) checks the exact one (one λ), and the
trend below follows the code (``train_lam``, ``train_implicit_lam``; one λ = 0.01 collapses training
to 10% clean accuracy, measured at ε ≥ 0.3).

**Tolerances (derived).** u = 2⁻⁵³, d = 64.
(i) Both values are sums of d products, each within γ_d = d·u/(1 − d·u) of exact relative to
ε‖g‖₁; HiGHS runs on g/‖g‖∞ with dual-feasibility tolerance 1e-10, so a coordinate it may leave off
its optimal bound has |gᵢ| ≤ 1e-10·‖g‖∞ and costs at most 2ε|gᵢ|: tolerance 2γ_d + 2·1e-10·d‖g‖∞/‖g‖₁
per sample (the second term enters only through such coordinates; it is ≤ 1.3e-8 for d = 64). The
vertex comparison uses the coordinates with |gᵢ| > 1e-10‖g‖∞ only, where the LP solution is ±ε
to 4u·ε. (ii) The clip computes z − g/λ with error ≤ 2u(|z| + |g|/λ) per coordinate and BVLS solves
the free coordinates by a least-squares solve of √λ·I (backward stable, a few u); tolerance
8u·(ε + ‖z‖∞ + ‖g‖∞/λ) in ∞-norm, relative to ε. (iii) Each solver step halves the derivative's
distance to its limit on an inactive coordinate (exactly 0 on an active one once the iterate stays
clipped), so after K = 80 steps the truncation is 2⁻⁸⁰; each step rounds by ≤ 2u relative and the
halving sums these to ≤ 4u; the formula rounds by ≤ u: tolerance 8u relative to ‖dg‖∞/λ per
direction. Coordinates whose vertex zᵢ − gᵢ/λ lies within 64u·(ε + |zᵢ| + |gᵢ|/λ) of ±ε (where
round-off can flip active ↔ inactive) are left out of (ii) and (iii) and counted.

**Inconclusive.** (i) fewer than 8 samples with a nonzero gradient (a zero gradient makes every
δ a maximiser, and sign(0) ambiguous: raise ``samples``); (iii) fewer than 1% of the coordinates
inactive (the implicit gradient is then ≡ 0 and the identity vacuous: raise ``lam``); more than half
of the coordinates within round-off of the boundary.

**The empirical claim** (``trend=true``; off by default: ~30 s on one core at the defaults). FAST-AT
(:func:`dynamics.fast_at_attack`) and FAST-BAT (:func:`dynamics.fast_bat_attack`, lower-level step
1/``train_lam``, implicit gradient 1/``train_implicit_lam``) train the same MLP from the same
initialisation on the same batches (SGD, momentum 0.9, lr 0.05, batch 64, ``steps``, float32), for
every ε in ``epsilons`` and ``replicates`` seeds in one ``vmap``; robust test accuracy under ℓ∞ PGD
(``pgd_steps`` steps of 2.5ε/steps, random start). The paper's claim, FAST-BAT more robust than
FAST-AT at large ε (where FAST-AT overfits catastrophically on CIFAR-scale nets), is asserted at the
largest ε as a paired comparison: the 95% Student-t interval of RA_BAT − RA_AT over the replicates
must lie above 0 (pass), lie below 0 (fail), or it straddles 0 (inconclusive: raise ``replicates``).
**Scope of the trend (ranges narrowed after a falsify search, quick identity sizes, 2–4 replicates):**
the claim is about strong one-step attacks on trained nets, evaluated by multi-step PGD at large ε,
and outside that it is false or undecidable here, so the ranges exclude it: ``steps`` ≥ 400 (at 50
steps FAST-AT's clean accuracy is 0.31 at ε = 0.6, and RA_BAT − RA_AT = −0.066 ± 0.014 at
``train_lam`` = 1); ``train_lam`` ≤ 0.01 (a lower-level step 1/λ ≥ 100; at λ = 1, 400 steps:
−0.20, both seeds negative; λ = 0.05: +0.009 ± 0.049, a tie; λ = 0.02 at ε = 0.45: +0.014 ± 0.023 with
16 replicates, undecided; λ = 0.01: +0.097; λ = 0.001: +0.041
± 0.032); ``pgd_steps`` ≥ 10 (a one-step evaluation attack: −0.019 ± 0.024); the largest of
``epsilons`` in [0.5, 0.6] (``validate``; at ε = 1.0 FAST-BAT training collapses to chance, clean
accuracy 0.09 on both seeds, and below 0.3 the methods tie, +0.00 ± 0.06 at ε = 0.054).
Measured (exploration script, 4 replicates, 400 steps, ε = 0.1/0.3/0.6/1.0 in standardised pixel
units): RA_AT 0.95/0.75/0.27/0.01, RA_BAT 0.95/0.77/0.35/0.04 (paired differences at ε = 0.6:
+0.08, +0.05, +0.08, +0.10); the check at its defaults (ε = 0.1/0.3/0.6, seed 0): RA_AT
0.92/0.72/0.25, RA_BAT 0.93/0.76/0.34, RA_BAT − RA_AT at 0.6 = +0.097 ± 0.011 (95%), 17 s. FAST-AT's clean accuracy stays 0.96 at ε = 0.6 while its robust
accuracy falls: the gap is real but this small MLP shows no abrupt collapse; "catastrophic
overfitting" as such is not asserted. The gap at each ε is reported in the details.

**Negative control.** ``ball=l2``: the lower level over the ℓ2 ball instead. The sign step (scaled
into the ball, ε·sign(g)/√d) is no longer the maximiser: SLSQP (:func:`bounds.linear_lower_level_l2`,
a feasible point, so its value is a lower bound on the maximum) beats it by ε(‖g‖₂ − ‖g‖₁/√d),
measured 0.043·ε‖g‖₁ (seed 1) and 0.048·ε‖g‖₁ (seed 2), 10⁸× the tolerance: (i) fails, decided by the
simulated gradients. (ii) and (iii) are FAST-BAT's ℓ∞ setting and do not depend on ``ball``.
"""

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from theorycheck import bounds
from theorycheck import dynamics
from theorycheck import models
from theorycheck._check import FAIL, INCONCLUSIVE, PASS, Check, Result, config_field, register

from ._common import figure

U = float(np.finfo(np.float64).eps) / 2  # unit round-off, 2^-53
HIGHS_TOL = 1e-10  # HiGHS dual feasibility tolerance on g/‖g‖∞
SOLVER_ITERATIONS = 80  # projected-gradient steps: truncation 2^-80
MIN_SAMPLES = 8  # (i) needs this many samples with g ≠ 0
MIN_INACTIVE = 0.01  # (iii) needs this fraction of inactive coordinates
FAST_AT_STEP = 1.25  # α/ε (Wong et al.; the authors' fast_at mode)
TRAIN_LR, TRAIN_MOMENTUM, TRAIN_BATCH = 0.05, 0.9, 64
TREND_MIN_TOP_EPSILON = 0.5  # the trend's claim is decided at a largest radius in [0.5, 0.6]
T_975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228,
         11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131}  # Student t quantiles, two-sided 95%


@dataclasses.dataclass(frozen=True)
class FastAdversarialBilevelConfig:
    ball: str = config_field("linf", choices=("linf", "l2"),
                             help="the lower level's ball for identity (i): linf (the claim) or l2 (negative control)")
    epsilon: float = config_field(0.3, low=0.01, high=2.0, help="ball radius ε for the identities (standardised pixels)")
    lam: float = config_field(1.0, low=0.1, high=100.0, help="FAST-BAT's λ for identities (ii), (iii)")
    samples: int = config_field(64, low=8, high=449, help="test digits the identities are checked on")
    width: int = config_field(64, low=8, high=512, help="hidden width of the ReLU MLP (two hidden layers)")
    directions: int = config_field(4, low=1, high=32, help="random θ-directions for the implicit-gradient identity")
    trend: bool = config_field(False, help="train FAST-AT and FAST-BAT and compare their PGD robust accuracy (~30 s)")
    epsilons: tuple = config_field((0.1, 0.3, 0.6), low=0.01, high=0.6,
                                   help="training/attack radii of the trend; the claim is decided at the largest "
                                        f"(trend=true: in [{TREND_MIN_TOP_EPSILON:g}, 0.6])")
    replicates: int = config_field(4, low=2, high=16, help="paired seeds of the trend (one vmap)")
    steps: int = config_field(400, low=400, high=5000, help="SGD steps of each adversarial training run")
    pgd_steps: int = config_field(10, low=10, high=50, help="PGD steps of the robust-accuracy attack")
    train_lam: float = config_field(0.01, low=1e-3, high=0.01, help="FAST-BAT's lower-level λ in training (step 1/λ)")
    train_implicit_lam: float = config_field(10.0, low=0.1, high=100.0,
                                             help="FAST-BAT's λ of the implicit gradient in training (the authors' 10)")

    def validate(self):
        if len(self.epsilons) < 1:
            raise ValueError("config key 'epsilons' needs at least one radius, e.g. --set epsilons=0.1,0.3,0.6")
        if self.trend and max(self.epsilons) < TREND_MIN_TOP_EPSILON:
            raise ValueError(f"trend=true decides the claim at the largest of epsilons, {max(self.epsilons):g}: it is "
                             f"about large radii (below {TREND_MIN_TOP_EPSILON:g} the two methods tie); add a radius in "
                             f"[{TREND_MIN_TOP_EPSILON:g}, 0.6], e.g. --set epsilons=0.1,0.3,0.6")


def _problem(width):
    net = models.mlp((64, width, width, 10), "relu")

    def sample_loss(params, x, y):
        return -jnp.sum(jax.nn.log_softmax(net.apply(params, x)) * y, axis=-1)

    return net, sample_loss


def _trend(config, key):
    """FAST-AT and FAST-BAT robust/clean test accuracy, shape (methods=2, len(epsilons), replicates)."""
    net, sample_loss = _problem(config.width)
    key_data, key_runs = jax.random.split(key)
    x_tr, y_tr, x_te, y_te = (a.astype(jnp.float32) for a in models.load_digits(key_data))
    labels = jnp.argmax(y_te, axis=1)

    def one(run_key, eps, bat):
        key_init, key_train, key_attack = jax.random.split(run_key, 3)
        params0 = jax.tree.map(lambda a: a.astype(jnp.float32), net.init(key_init))
        if bat:
            attack = dynamics.fast_bat_attack(sample_loss, eps, config.train_lam, config.train_implicit_lam)
        else:
            attack = dynamics.fast_at_attack(sample_loss, eps)
        run = dynamics.adversarial_sgd(
            sample_loss, attack, dynamics.plain_sgd(TRAIN_LR, momentum=TRAIN_MOMENTUM), (x_tr, y_tr),
            batch_size=TRAIN_BATCH, num_steps=config.steps, every=config.steps, differentiate_attack=bat)
        params = run(params0, key_train).final_params
        delta = dynamics.pgd_attack(sample_loss, eps, steps=config.pgd_steps)(params, x_te, y_te, key_attack)
        accuracy = lambda x: jnp.mean(jnp.argmax(net.apply(params, x), axis=1) == labels)  # noqa: E731
        return accuracy(x_te + delta), accuracy(x_te)

    keys = jax.random.split(key_runs, config.replicates)  # the same keys for both methods: paired
    eps = jnp.asarray(config.epsilons, dtype=jnp.float32)
    out = [jax.vmap(lambda e, b=b: jax.vmap(lambda k: one(k, e, b))(keys))(eps) for b in (False, True)]
    return jnp.stack([o[0] for o in out]), jnp.stack([o[1] for o in out])


def simulate(config: FastAdversarialBilevelConfig, data, key):
    """The input gradients, both lower-level steps and the implicit-gradient tangents at θ₀ (float64)."""
    eps, lam = data["epsilon"], data["lam"]
    key_data, key_init, key_z, key_u, key_trend = jax.random.split(key, 5)
    net, sample_loss = _problem(config.width)
    _, _, x_te, y_te = models.load_digits(key_data)
    x, y = x_te[: config.samples], y_te[: config.samples]
    params = net.init(key_init)
    grad_clean = dynamics.input_gradient(sample_loss, params, x, y, jnp.zeros_like(x))  # ∇ₓℓ: (i)
    z = jax.random.uniform(key_z, x.shape, x.dtype, -1.0, 1.0) * eps
    grad_z = dynamics.input_gradient(sample_loss, params, x, y, z)  # ∇_δℓ(θ, z) = −∇_δℓ_atk
    delta_bat = dynamics.fast_bat_step(z, grad_z, eps, lam)
    delta_at = dynamics.fast_at_step(z, grad_z, eps, FAST_AT_STEP * eps)
    flat, unravel = ravel_pytree(params)
    directions = jax.random.normal(key_u, (config.directions, flat.size), flat.dtype)

    def g_atk(theta):  # ∇_δ ℓ_atk(θ, z), z fixed
        return -dynamics.input_gradient(sample_loss, unravel(theta), x, y, z)

    def tangents(u):
        _, dg = jax.jvp(g_atk, (flat,), (u,))
        _, d_solver = jax.jvp(lambda t: bounds.box_qp_projected_gradient(z, g_atk(t), lam, eps, SOLVER_ITERATIONS),
                              (flat,), (u,))
        _, d_train = jax.jvp(lambda t: dynamics.fast_bat_step(z, -g_atk(t), eps, lam), (flat,), (u,))
        return dg, d_solver, d_train

    dg, d_solver, d_train = jax.lax.map(tangents, directions)
    arrays = {"grad_clean": grad_clean, "z": z, "grad_z": grad_z, "delta_bat": delta_bat, "delta_at": delta_at,
              "dg": dg, "d_solver": d_solver, "d_train": d_train}
    if config.trend:
        robust, clean = _trend(config, key_trend)
        arrays.update(robust_accuracy=robust, clean_accuracy=clean)
    return arrays


def identity_sign_step(grad, epsilon, ball):
    """(i) per sample: (relative value gap, its tolerance, vertex mismatches, informative)."""
    d = grad.shape[1]
    gamma = d * U / (1 - d * U)
    gaps, tols, mismatches, informative = [], [], 0, []
    for g in grad:
        l1, linf = float(np.sum(np.abs(g))), float(np.max(np.abs(g)))
        informative.append(linf > 0.0)
        if linf == 0.0:
            gaps.append(0.0), tols.append(0.0)
            continue
        if ball == "linf":
            delta, value = bounds.linear_lower_level_lp(-g, epsilon)  # min ⟨−g, δ⟩ = −max ⟨g, δ⟩
            sign_step = dynamics.fgsm_perturbation(g, epsilon)
            clear = np.abs(g) > HIGHS_TOL * linf
            mismatches += int(np.sum(np.abs(delta[clear] - np.asarray(sign_step)[clear]) > 4 * U * epsilon))
        else:
            delta, value = bounds.linear_lower_level_l2(-g, epsilon)
            sign_step = np.asarray(dynamics.fgsm_perturbation(g, epsilon)) / math.sqrt(d)
        best = -value  # the solver's feasible value of ⟨g, δ⟩
        gaps.append((best - float(g @ np.asarray(sign_step))) / (epsilon * l1))
        tols.append(2 * gamma + 2 * HIGHS_TOL * d * linf / l1)
    return np.asarray(gaps), np.asarray(tols), mismatches, np.asarray(informative)


def verdict(config: FastAdversarialBilevelConfig, data, arrays) -> Result:
    eps, lam = float(data["epsilon"]), float(data["lam"])
    a = {k: np.asarray(v) for k, v in arrays.items()}
    failed, inconclusive, ratios = [], [], []
    details = {}
    # (i) the sign step against the LP
    gaps, tols, mismatches, informative = identity_sign_step(a["grad_clean"], eps, config.ball)
    n_informative = int(informative.sum())
    details.update(i_max_gap=float(gaps.max()), i_tolerance=float(tols[informative].min()) if n_informative else None,
                   i_vertex_mismatches=mismatches, i_informative_samples=n_informative)
    if n_informative < MIN_SAMPLES:
        need = math.ceil(MIN_SAMPLES * config.samples / max(n_informative, 1))
        inconclusive.append(f"(i) only {n_informative} of {config.samples} samples have a nonzero input gradient "
                            f"(sign(0) is ambiguous, every δ maximises ⟨0, δ⟩); raise samples to >= {min(need, 449)}")
    else:
        ratio = gaps[informative] / tols[informative]
        ratios.append(float(ratio.max()))
        if ratio.max() > 1.0:
            failed.append(f"(i) the sign step is not the maximiser of the linearised {config.ball} lower level: the "
                          f"independent solver's value beats it by {gaps.max():.3g}·ε‖g‖₁ > tolerance "
                          f"{tols[informative][np.argmax(ratio)]:.2g}")
        elif ratio.min() < -1.0:
            inconclusive.append(f"(i) the independent solver stopped short of the optimum (its value is below the sign "
                                f"step's by {-gaps.min():.3g}·ε‖g‖₁); it cannot certify the maximum")
        if mismatches:
            failed.append(f"(i) the LP's vertex differs from ε·sign(g) on {mismatches} coordinates with gᵢ ≠ 0")
    # (ii) FAST-BAT's and FAST-AT's closed forms against BVLS
    z, g = a["z"], -a["grad_z"]  # g = ∇_δ ℓ_atk
    vertex = z - g / lam
    slack = 64 * U * (eps + np.abs(z) + np.abs(g) / lam)
    borderline = np.abs(np.abs(vertex) - eps) <= slack
    alpha = FAST_AT_STEP * eps
    sign_vertex = z + alpha * np.sign(-g)
    borderline_at = np.abs(np.abs(sign_vertex) - eps) <= 64 * U * (eps + np.abs(z) + alpha)
    err_bat, err_at = 0.0, 0.0
    tol_bat = 8 * U * (eps + float(np.max(np.abs(z))) + float(np.max(np.abs(g))) / lam) / eps
    tol_at = 8 * U * (2 * eps + alpha) / eps
    for i in range(z.shape[0]):
        qp = bounds.box_qp_bvls(z[i], g[i], lam, eps)
        keep = ~borderline[i]
        err_bat = max(err_bat, float(np.max(np.abs(a["delta_bat"][i] - qp)[keep], initial=0.0)) / eps)
        qp_at = bounds.box_qp_bvls(z[i], np.sign(g[i]), 1.0 / alpha, eps)
        keep = ~borderline_at[i]
        err_at = max(err_at, float(np.max(np.abs(a["delta_at"][i] - qp_at)[keep], initial=0.0)) / eps)
    ratios += [err_bat / tol_bat, err_at / tol_at]
    details.update(ii_fast_bat_error=err_bat, ii_fast_bat_tolerance=tol_bat, ii_fast_at_error=err_at,
                   ii_fast_at_tolerance=tol_at, borderline_coordinates=int(borderline.sum()))
    if err_bat > tol_bat:
        failed.append(f"(ii) FAST-BAT's closed form clip(z − g/λ) is not the minimiser of the linearised regularised "
                      f"problem: max |δ* − δ_BVLS|/ε = {err_bat:.3g} > {tol_bat:.2g}")
    if err_at > tol_at:
        failed.append(f"(ii) FAST-AT's step clip(z + α·sign(∇ℓ)) is not the minimiser of the sign-linearised problem: "
                      f"max |δ − δ_BVLS|/ε = {err_at:.3g} > {tol_at:.2g}")
    if borderline.mean() > 0.5:
        inconclusive.append(f"(ii)/(iii) {borderline.mean():.0%} of the coordinates lie within round-off of the "
                            "ball's boundary (active set undecided); change lam by a factor of 2")
    # (iii) the implicit gradient against autodiff through the solver
    inactive = (np.abs(a["delta_bat"]) < eps) & ~borderline
    frac_inactive = float(inactive.mean())
    err_ig, err_train = 0.0, 0.0
    for k in range(a["dg"].shape[0]):
        formula = bounds.zhang22_implicit_jvp(a["delta_bat"], a["dg"][k], lam, eps)
        scale = float(np.max(np.abs(a["dg"][k]))) / lam
        keep = ~borderline
        if scale > 0:
            err_ig = max(err_ig, float(np.max(np.abs(formula - a["d_solver"][k])[keep], initial=0.0)) / scale)
            err_train = max(err_train, float(np.max(np.abs(a["d_train"][k] - a["d_solver"][k])[keep], initial=0.0)) / scale)
    tol_ig = 8 * U
    details.update(iii_formula_error=err_ig, iii_training_gradient_error=err_train, iii_tolerance=tol_ig,
                   iii_inactive_fraction=frac_inactive)
    if frac_inactive < MIN_INACTIVE:
        target = min(100.0, 10.0 * lam)
        inconclusive.append(f"(iii) only {frac_inactive:.2%} of the coordinates are inactive at λ = {lam:g} (the implicit "
                            f"gradient is then ≡ 0 and the identity vacuous); raise lam to >= {target:g}")
    else:
        ratios += [err_ig / tol_ig, err_train / tol_ig]
        if err_ig > tol_ig:
            failed.append(f"(iii) the implicit gradient −(1/λ)H_C∂²ℓ_atk/∂θ∂δ differs from the derivative through the "
                          f"solver: {err_ig:.3g} > {tol_ig:.2g} (relative to ‖dg‖∞/λ)")
        if err_train > tol_ig:
            failed.append(f"(iii) FAST-BAT's training gradient (autodiff through the clip) differs from the derivative "
                          f"through the solver: {err_train:.3g} > {tol_ig:.2g}")
    # the trend
    out = {"gaps": gaps, "grad_clean": a["grad_clean"], "delta_bat": a["delta_bat"], "z": z, "grad_z": a["grad_z"]}
    predicted = measured = float("nan")
    if "robust_accuracy" in a:
        robust, clean = a["robust_accuracy"], a["clean_accuracy"]
        out.update(robust_accuracy=robust, clean_accuracy=clean)
        diff = robust[1] - robust[0]  # (len(epsilons), replicates)
        r = diff.shape[1]
        mean = diff.mean(axis=1)
        half = T_975[r - 1] * diff.std(axis=1, ddof=1) / math.sqrt(r)
        details.update(trend_epsilons=list(config.epsilons), trend_mean_difference=mean.tolist(),
                       trend_half_width=half.tolist(), robust_fast_at=robust[0].mean(axis=1).tolist(),
                       robust_fast_bat=robust[1].mean(axis=1).tolist(), clean_fast_at=clean[0].mean(axis=1).tolist(),
                       clean_fast_bat=clean[1].mean(axis=1).tolist())
        top = int(np.argmax(config.epsilons))
        m, h = float(mean[top]), float(half[top])
        predicted, measured = 0.0, m
        if not np.all(np.isfinite(diff[top])):
            inconclusive.append("trend: a training run diverged (non-finite accuracy); lower the largest of epsilons")
        elif m - h > 0:
            pass
        elif m + h < 0:
            failed.append(f"trend: at ε = {config.epsilons[top]:g} FAST-BAT is less robust than FAST-AT: RA_BAT − RA_AT = "
                          f"{m:+.3f} ± {h:.3f} (95%, {r} paired replicates)")
        else:
            sd = float(diff[top].std(ddof=1))  # the smallest n whose interval at this mean and spread clears 0
            need = next((n for n in range(r + 1, 17) if T_975[n - 1] * sd / math.sqrt(n) < abs(m)), 16)
            remedy = (f"raise replicates to >= {need}" if r < 16 else
                      f"the gap is below what {r} replicates resolve: use the defaults' train_lam and epsilons")
            inconclusive.append(f"trend: the 95% interval of RA_BAT − RA_AT at ε = {config.epsilons[top]:g}, "
                                f"{m:+.3f} ± {h:.3f}, straddles 0; {remedy}")
    error = max(ratios) if ratios else float("nan")
    if failed:
        outcome, reason = FAIL, "; ".join(failed)
    elif inconclusive:
        outcome, reason = INCONCLUSIVE, "; ".join(inconclusive)
    else:
        outcome = PASS
        reason = (f"(i) sign step = LP maximiser (gap ≤ {gaps.max():.2g}·ε‖g‖₁), (ii) closed forms = BVLS "
                  f"({max(err_bat, err_at):.2g}·ε), (iii) implicit gradient = derivative through the solver "
                  f"({max(err_ig, err_train):.2g}); worst criterion at {error:.2g}× its tolerance")
        if "robust_accuracy" in a:
            reason += f"; FAST-BAT more robust at ε = {max(config.epsilons):g} ({measured:+.3f}, 95% CI above 0)"
    return Result(predicted=predicted, measured=measured, error=error, tolerance=1.0, outcome=outcome,
                  reason=reason, arrays=out, details=details)


def plot(config: FastAdversarialBilevelConfig, result: Result, path) -> None:
    a = result.arrays
    trend = "robust_accuracy" in a
    fig, axes = figure(1, 3 if trend else 2)
    ax = axes[0, 0]
    ax.semilogy(np.maximum(np.abs(a["gaps"]), 1e-18), "o", ms=3)
    ax.axhline(result.details.get("i_tolerance") or np.nan, color="r", ls="--", lw=0.8, label="tolerance")
    ax.set_xlabel("sample")
    ax.set_ylabel("(solver − sign step)/(ε‖g‖₁)")
    ax.set_title(f"(i) {config.ball} ball: {result.outcome.upper()}")
    ax.legend(fontsize=8)
    ax = axes[0, 1]
    g = -a["grad_z"].ravel()
    ax.plot(a["z"].ravel() - g / config.lam, a["delta_bat"].ravel(), ".", ms=2)
    ax.axvline(config.epsilon, color="k", lw=0.5)
    ax.axvline(-config.epsilon, color="k", lw=0.5)
    ax.set_xlabel("vertex z − g/λ")
    ax.set_ylabel("δ* (FAST-BAT)")
    ax.set_title("(ii) δ* = clip(z − g/λ)")
    if trend:
        ax = axes[0, 2]
        eps = np.asarray(config.epsilons)
        for i, name in enumerate(("FAST-AT", "FAST-BAT")):
            r = a["robust_accuracy"][i]
            ax.errorbar(eps, r.mean(axis=1), yerr=r.std(axis=1), marker="o", capsize=3, label=name)
        ax.set_xlabel("ε (standardised pixels)")
        ax.set_ylabel("PGD robust test accuracy")
        ax.legend(fontsize=8)
    fig.savefig(path, dpi=110)


def plot_sweep(rows, path) -> None:
    fig, axes = figure(1, 1)
    ax = axes[0, 0]
    xs = [r["config"]["epsilon"] for r in rows]
    ys = [r["error"] if r["error"] is not None else np.nan for r in rows]
    colors = ["C2" if r["outcome"] == "pass" else "C3" if r["outcome"] == "fail" else "C7" for r in rows]
    ax.scatter(xs, ys, c=colors)
    ax.axhline(1.0, color="r", ls="--", lw=0.8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("ε")
    ax.set_ylabel("worst criterion / its tolerance")
    fig.savefig(path, dpi=110)


CHECK = register(
    Check(
        name="fast_adversarial_bilevel",
        statement="FAST-AT's sign step maximises the linearised ℓ∞ lower level; FAST-BAT's clip(z − g/λ) minimises "
                  "the linearised λ-regularised one and its implicit gradient −(1/λ)H_C∂²ℓ/∂θ∂δ is the derivative of "
                  "that solution (exact, float64); trend=true: FAST-BAT more robust than FAST-AT at large ε.",
        source="Zhang, Zhang, Khanduri, Hong, Chang, Liu, ICML 2022, arXiv:2112.12376 (FAST-BAT); "
               "code OPTML-Group/Fast-BAT",
        config_type=FastAdversarialBilevelConfig,
        plot=plot,
        plot_sweep=plot_sweep,
        negative_controls=({"ball": "l2"},),
        needs_x64=True,
        quick={"samples": 16, "width": 16, "directions": 2},  # the trend's keys stay at their in-scope defaults
        # keys read only by the trend (off at quick sizes): their corners only recompile the identities
        slow_corners=("trend=high", *(f"{k}={end}" for k in ("epsilons", "replicates", "steps", "pgd_steps", "train_lam",
                                                              "train_implicit_lam") for end in ("low", "high"))),
        data_keys=("epsilon", "lam"),
        simulate=simulate,
        verdict=verdict,
    )
)
