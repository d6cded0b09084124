"""Kernel → rich in a non-linear network: a two-layer tanh net under the lazy scaling α·(f(θ) − f(θ₀)).

**Statement.** Train the centred, scaled predictor α·(f(θ, x) − f(θ₀, x)) of a two-layer network
by gradient descent on the loss scaled by 1/α², L_α(θ) = ‖α(f(θ, X) − f(θ₀, X)) − y‖²/(2nα²), for a
fixed number of steps T, and train its linearisation at θ₀ (the NTK model) the same way. As α
grows, (i) the two predictors approach each other at rate 1/α in function space, (ii) the
relative weight change ‖θ_T − θ₀‖/‖θ₀‖ falls like 1/α, and (iii) the trained network approaches the
kernel ("ridgeless") regression with the empirical NTK at θ₀; as α → 0 it leaves it (the rich
regime). Chizat, Oyallon & Bach, "On Lazy Training in Differentiable Programming", NeurIPS 2019,
arXiv:1812.07956 (the scaling and its finite-horizon bound); Woodworth et al., "Kernel and Rich
Regimes in Overparametrized Models", COLT 2020, arXiv:2002.09277 ("We further demonstrate this
transition empirically for matrix factorization and multilayer non-linear networks").
Verified with ``search`` (pages): the Woodworth sentence (the paper's abstract) and, in Chizat et
al.'s abstract and introduction, that lazy training comes from "a choice of scaling" that makes
"essentially any parametric model ... trained in this lazy regime if its output is close to zero
at initialization" (hence the centring). Recalled, not re-read: the exact statement of their
finite-horizon theorem (sup_{t≤T} ‖αh(w_α(t)) − αh̄(w̄_α(t))‖ = O(1/α) and ‖w_α − w₀‖ = O(1/α) for
gradient flow on (1/α²)R(αh), h(w₀) = 0, Dh Lipschitz). The check does not rely on it: the rate is
re-derived below for gradient descent, which the check runs.

**Derivation (GD at fixed T).** In the displacement v = α(θ − θ₀) one GD step on L_α reads
v ← v − η J(θ₀ + v/α)ᵀ ∇R(α[f(θ₀ + v/α) − f(θ₀)]) with ∇R(p) = (p − y)/n: a smooth map of
(v, 1/α) that equals the linearised model's step (J = J(θ₀), α[f(θ₀ + v/α) − f(θ₀)] = Jv) at
1/α = 0. After T steps, v_T(α) = v̄_T + O(1/α), and the predictor α[f(θ_T) − f(θ₀)] =
J v_T + O(‖v_T‖²/α) = f̄_T + O(1/α) — (i) — while ‖θ_T − θ₀‖ = ‖v_T‖/α = ‖v̄_T‖/α + O(1/α²) —
(ii). The linearised trajectory v̄_k does not depend on α at all, and by the closed form in
:mod:`bounds` (``_lazy_training``) it tends to the minimum-norm interpolant v* = Jᵀ(JJᵀ)⁻¹y as
T → ∞, whose predictions are the ridgeless regression with Θ = JJᵀ — (iii). A smooth activation
is required (Dh Lipschitz; ReLU's Jacobian jumps), hence tanh (default) or softplus.

**Setup.** Teacher: one tanh neuron, y = tanh(2vᵀx), x ~ N(0, I_d), ‖v‖ = 1; n training and
``n_test`` held-out inputs. (The bias-free tanh student is odd in x, so the teacher is odd too: a
centred ReLU teacher's even part |vᵀx|/2 is invisible to both regimes and swamps the test error.) Student: :func:`models.two_layer` in the NTK
parameterisation, f(x) = Σ_r a_r σ(w_rᵀx)/√width, linearised by :func:`models.linearize` (one
jvp). Both are trained by :func:`dynamics.gradient_descent` with plain GD at η =
lr_scale/λ_max(JJᵀ/n) (the linear model's stability limit is 2/λ_max), the same η and T at every α
of a log-spaced sweep α_min … α_max (``num_alphas`` values, one vmap). float64 throughout
(``needs_x64``): the centring subtraction loses α·u·|f| (see the floor below).

**Quantities.** On the test inputs: D(α) = ‖f_α − f̄_α‖/‖f̄_α‖ (nonlinear against linearised, both
trained), ρ(α) = ‖θ_T − θ₀‖/‖θ₀‖, d_K(α) = ‖f_α − f_K‖/‖f_K‖ with f_K = J_t v* from the oracle
(:func:`bounds.linearized_gd_displacement`, a numpy solve on the NTK Gram, not the simulator),
and the test MSE of f_α beside that of f_K (reported, not asserted: which regime generalises
better is not a theorem here).

**Regime rule (a priori, from the oracle).** The expansion parameter is the largest
pre-activation change of the linearised solution at scale α, ε(α) = ε₁/α, ε₁ = max_{i,r}
|(Δw̄_r)ᵀx_i| with Δw̄ the first-layer part of v̄_T: where ε ≪ 1, tanh is close to linear along the
whole trajectory. The slope claims are fitted over the sweep points with ε(α) ≤ 0.2 (the
``lazy`` points; ``regime = lazy`` uses every point); at least 3 of them spanning ≥ 2 decades are
needed, else ``inconclusive`` with the α_max that gives them.

**Tolerances.**
* Slopes: fitted log-log slopes of D and ρ over the lazy points must lie in −1 ± 0.25. The
  nearest alternative exponents are integers (0: not lazy; −2: a vanishing first-order term;
  the expansion is in powers of 1/α), so ±0.25 keeps each ≥ 0.75 away. The band must contain the
  pre-asymptotic bias: with α·D(α) = c₁(1 + κε(α) + O(ε²)), the least-squares slope of a monotone
  log-correction of total variation V over a span L = ln(α_last/α_first) is at most 1.5·V/L
  (the continuous step-function worst case), so |bias| ≤ 1.5·κ·0.2/ln 100 = 0.065κ, inside half
  the band for κ ≤ 1.9. κ ≤ 1 is an assumption (|tanh''| ≤ 0.77 against a first-order term of
  size ~1), reported as ``kappa`` (measured 0.04–0.5, see below) and checked by a test.
* Closeness at α_max: d_K(α_max) ≤ 0.05 ("approaches" read as within 5 %, the resolution of
  ``kernel_rich_matrix``). It needs the linearised model itself to have settled on f_K: the
  closed-form gap ‖f̄_T − f_K‖/‖f_K‖ must be ≤ 0.005 (a tenth of the tolerance), else
  ``inconclusive`` with the steps the oracle's bound needs (:func:`bounds.linearized_gd_steps_to_interpolant`).
* Separation: the claim must separate from its alternative (the rich end): d_K(α_min) ≥ 0.1
  (2 × the tolerance), else ``inconclusive`` ("lower alpha_min to <= ε₁", where the linearised
  solution moves pre-activations by ≥ 1).
* Round-off floor: float64 evaluation and the T rounded updates perturb α(f(θ_T) − f(θ₀)) by at
  most α·u·(√T + 2)·‖A‖/‖f̄‖ relative, A(x) = Σ_p |∂_p f(θ₀, x)||θ₀,p|, u = 2⁻⁵³
  (:func:`bounds.lazy_roundoff_floor`): it grows like α while D falls like 1/α. Every lazy point
  must have D ≥ 10 × floor, else ``inconclusive`` with the largest α_max that keeps the margin
  (seed 0 at the defaults: the floor estimate is 7.8e-14·α relative and D = 0.087/α, so the
  margin ends at α ≈ 3.3e5; the estimate is conservative: α·D at α = 1e6 differs from its value
  at 1e4 by 6e-4 relative, an actual round-off of ≈ 5e-17·α).

**Measured** (defaults: d = 10, n = 20, width 100, T = 500, α = 0.01, 0.158, 2.51, 39.8, 631, 1e4).
Seeds 0–4: all pass; distance slope −0.9997, −0.9993, −1.0000, −1.0002, −0.9994; weight slope
−1.0000, −1.0000, −1.0000, −0.9999, −0.9999; d_K(1e4) = 8.7e-6, 1.0e-5, 8.0e-6, 8.4e-6, 1.1e-5;
ε₁ = 1.58, 1.01, 1.46, 1.21, 1.51 (lazy points from α = 39.8); κ = 0.042, 0.16, 0.003, 0.035,
0.088; d_K(0.01) = 0.55, 1.31, 0.80, 0.50, 0.83 (the rich end). Seed 0's sweep: D = 0.55, 0.22,
0.034, 2.2e-3, 1.4e-4, 8.7e-6 and ρ = 12.7, 0.39, 0.026, 1.6e-3, 1.0e-4, 6.5e-6. Test MSE at
α = 0.01 against the NTK regression's (variance ≈ 0.62): 0.106/0.143, 0.135/0.254, 0.179/0.185,
0.110/0.154, 0.127/0.247 — the rich end generalises better on all five seeds here (the teacher is
one neuron, which feature learning can find), but this is reported, not asserted: no theorem
here says by how much. Round-off margin min D/floor ≈ 8e3–1.1e4 at α = 1e4. The linear model in
the simulator matches the oracle's closed form to ~5e-11 (relative) at α = 1e4. About 10 s on
one CPU core (mostly the compile), 0.4 s once compiled.

**Negative control.** ``{"regime": "lazy", "alpha_min": 0.003, "alpha_max": 0.3}``: the closeness
claim forced at α_max = 0.3, where the network is not lazy (ε(0.3) ≈ 3–5): must fail on d_K.
Measured d_K(0.3) = 0.16, 0.26, 0.14, 0.21, 0.23 on seeds 0, 1, 2, 417, 858 (tolerance 0.05); the
distance slope (−0.27 to −0.38) fails too, the reason naming d_K first.

**Ranges.** α ≥ 1e-3: on the rich side the loss's curvature grows like |y|·‖∇²f‖/α, and GD at
the linear model's step size diverges there (softplus at α = 0.005 and 0.01 measured; tanh ran at
0.003) — inconclusive, with lr_scale or α_min named. α ≤ 1e6: the conservative round-off
estimate (7.8e-14·α relative at the defaults, seed 0) meets D/10 near α ≈ 3.3e5, past which the
verdict is inconclusive ("lower alpha_max to <= 3.33e+05" at α_max = 1e6, seed 0). width ≤ 400,
d ≤ 30, n_test ≤ 500: the check forms the test Jacobian (n_test × width·(d + 1)) for the oracle.
d ≥ 5 and n ≤ 50: the tanh NTK Gram of Gaussian inputs is ill-conditioned in low dimension, and
the linear model must reach f_K within steps ≤ 20000. The oracle's bound on the steps needed
(worst of 3 seeds, width 100): d = 5: 66, 243, 2868 at n = 10, 20, 50; d = 4: 551, 5954, 63469;
d = 3: 9110, 1.0e5, 6.1e6; d = 2, n = 50: a numerically singular Gram. Where the Gram is singular
or the steps exceed 20000 the verdict is inconclusive and says so. softplus's NTK is worse
conditioned than tanh's: it needs more steps (named by the verdict).
"""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from theorycheck import bounds
from theorycheck import dynamics
from theorycheck import models
from theorycheck._check import Check, Result, config_field, decide, register

from ._common import figure

CLOSE_TOLERANCE = 0.05
SLOPE_BAND = 0.25
EPS_LAZY = 0.2
MIN_LAZY_POINTS = 3
MIN_LAZY_SPAN = 100.0
SETTLE_FRACTION = 0.1
ROUNDOFF_MARGIN = 10.0
ALPHA_LOW, ALPHA_HIGH = 1e-3, 1e6


@dataclasses.dataclass(frozen=True)
class KernelRichNonlinearConfig:
    alpha_min: float = config_field(0.01, low=ALPHA_LOW, high=1e4, help="smallest α of the sweep (rich end)")
    alpha_max: float = config_field(1e4, low=0.1, high=ALPHA_HIGH, help="largest α of the sweep (lazy end)")
    num_alphas: int = config_field(6, low=4, high=8, help="number of log-spaced α values")
    regime: str = config_field("auto", choices=("auto", "lazy"),
                               help="auto: slope claims on the points with ε(α) <= 0.2; lazy: on every point")
    activation: str = config_field("tanh", choices=("tanh", "softplus"), help="smooth activation of the student")
    d: int = config_field(10, low=5, high=30, help="input dimension (>= 5: below, the NTK Gram is too ill-conditioned)")
    n: int = config_field(20, low=2, high=50, help="training samples")
    n_test: int = config_field(200, low=10, high=500, help="held-out test samples")
    width: int = config_field(100, low=8, high=400, help="hidden units")
    steps: int = config_field(500, low=10, high=20000, help="GD steps T (the same at every α)")
    lr_scale: float = config_field(1.0, low=0.01, high=1.5, help="η = lr_scale/λ_max(JJᵀ/n)")

    def validate(self):
        if self.alpha_min is not None and self.alpha_max is not None and self.alpha_max < 100 * self.alpha_min:
            raise ValueError(f"config key 'alpha_max' ({self.alpha_max}) must be >= 100 × 'alpha_min' "
                             f"({self.alpha_min}): the slopes are fitted over >= 2 decades of α")
        if self.n > self.width * (self.d + 1):
            raise ValueError(f"config key 'n' ({self.n}) must be <= width·(d + 1) = {self.width * (self.d + 1)} "
                             "(the parameter count): the NTK Gram must be invertible")


def teacher_data(key, d: int, n: int, n_test: int):
    """``(x, y, x_test, y_test, v)``: one tanh neuron y = tanh(2vᵀx), ‖v‖ = 1, on Gaussian inputs."""
    key_v, key_x, key_t = jax.random.split(key, 3)
    v = jax.random.normal(key_v, (d,))
    v = v / jnp.linalg.norm(v)
    x = jax.random.normal(key_x, (n, d))
    x_test = jax.random.normal(key_t, (n_test, d))

    def teacher(z):
        return jnp.tanh(2.0 * (z @ v))

    return x, teacher(x), x_test, teacher(x_test), v


def alpha_grid(alpha_min, alpha_max, num: int):
    """``num`` log-spaced values from ``alpha_min`` to ``alpha_max`` (jnp or numpy inputs)."""
    xp = jnp if isinstance(alpha_min, jax.Array) or isinstance(alpha_max, jax.Array) else np
    return xp.exp(xp.linspace(xp.log(alpha_min), xp.log(alpha_max), num))


def simulate(config: KernelRichNonlinearConfig, data, key):
    """The network and its linearisation, trained by GD at every α of the sweep (one vmap)."""
    key_data, key_init, key_run = jax.random.split(key, 3)
    x, y, x_test, y_test, v = teacher_data(key_data, config.d, config.n, config.n_test)
    net = models.two_layer(config.d, config.width, activation=config.activation)
    params0 = net.init(key_init)
    flat0, unravel = ravel_pytree(params0)

    def f(params, inputs):
        return net.apply(params, inputs)[:, 0]

    f_lin = models.linearize(f, params0)
    f0_train, f0_test = f(params0, x), f(params0, x_test)
    jac_train = jax.jacrev(lambda th: f(unravel(th), x))(flat0)
    jac_test = jax.jacrev(lambda th: f(unravel(th), x_test))(flat0)
    lam_max = jnp.linalg.eigvalsh(jac_train @ jac_train.T / config.n)[-1]
    lr = data["lr_scale"] / lam_max
    alphas = alpha_grid(data["alpha_min"], data["alpha_max"], config.num_alphas)

    def train(model, alpha):
        def loss(params):
            return 0.5 * jnp.mean((alpha * (model(params, x) - f0_train) - y) ** 2) / alpha**2

        run = dynamics.gradient_descent(loss, dynamics.plain_sgd(lr), num_steps=config.steps, every=config.steps)
        traj = run(params0, key_run)
        p = traj.final_params
        change = jnp.linalg.norm(ravel_pytree(p)[0] - flat0) / jnp.linalg.norm(flat0)
        return (alpha * (model(p, x_test) - f0_test), alpha * (model(p, x) - f0_train), change, traj.status,
                traj.losses[-1])

    def one(alpha):
        return train(f, alpha), train(f_lin, alpha)

    nonlinear, linear = jax.vmap(one)(alphas)
    arrays = {"x": x, "y": y, "x_test": x_test, "y_test": y_test, "teacher_v": v, "params0": flat0,
              "jac_train": jac_train, "jac_test": jac_test, "lr": lr, "alphas": alphas}
    for prefix, out in (("", nonlinear), ("lin_", linear)):
        for name, value in zip(("pred_test", "pred_train", "weight_change", "status", "final_loss"), out):
            arrays[prefix + name] = value
    return arrays


def _rel(a, b) -> float:
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def preactivation_scale(displacement, x, width: int) -> float:
    """ε₁ = max_{i,r} |(Δw_r)ᵀx_i| for a flat displacement of :func:`models.two_layer`'s
    parameters (``ravel_pytree`` order: ``a`` (width,), then ``w`` (d, width) row-major)."""
    dw = np.asarray(displacement)[width:].reshape(x.shape[1], width)
    return float(np.max(np.abs(np.asarray(x) @ dw)))


def lazy_mask(alphas, eps1: float, regime: str):
    """The sweep points whose slope claims apply: ε(α) = ε₁/α ≤ EPS_LAZY (every point if lazy)."""
    alphas = np.asarray(alphas)
    return np.ones(alphas.shape, bool) if regime == "lazy" else eps1 / alphas <= EPS_LAZY


def _enough(alphas, mask) -> bool:
    lazy = np.asarray(alphas)[mask]
    return lazy.size >= MIN_LAZY_POINTS and lazy.max() / lazy.min() >= MIN_LAZY_SPAN * (1 - 1e-9)


def lazy_remedy(alpha_min: float, alpha_max: float, num: int, eps1: float) -> str:
    """A change of one sweep key that gives enough lazy points: α_max first, then num_alphas, then
    α_min (each searched inside its advertised range); "" if none does."""
    def works(lo, hi, k):
        grid = alpha_grid(lo, hi, k)
        return hi >= 100 * lo * (1 - 1e-9) and _enough(grid, lazy_mask(grid, eps1, "auto"))

    for candidate in np.geomspace(max(alpha_max, 0.1), ALPHA_HIGH, 241):
        if works(alpha_min, candidate, num):
            return f"raise alpha_max to >= {candidate:.3g}"
    for k in range(num + 1, 9):
        if works(alpha_min, alpha_max, k):
            return f"raise num_alphas to >= {k}"
    for candidate in np.geomspace(alpha_min, alpha_max / 100, 121):
        if works(candidate, alpha_max, num):
            return f"raise alpha_min to >= {candidate:.3g}"
    return ""


def slope(alphas, values) -> float:
    """Least-squares slope of log(values) against log(alphas)."""
    return float(np.polyfit(np.log(alphas), np.log(values), 1)[0])


def verdict(config: KernelRichNonlinearConfig, data, arrays) -> Result:
    """Slopes of D and ρ over the lazy points, and d_K at α_max against the NTK oracle.

    A diverged rich-end run leaves huge or non-finite predictions; their arithmetic is silenced
    here (the run is reported as inconclusive by name)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return _verdict(config, data, arrays)


def _verdict(config: KernelRichNonlinearConfig, data, arrays) -> Result:
    alphas = np.asarray(arrays["alphas"], np.float64)
    x, y, y_test = (np.asarray(arrays[k], np.float64) for k in ("x", "y", "y_test"))
    jac, jac_test, theta0 = (np.asarray(arrays[k], np.float64) for k in ("jac_train", "jac_test", "params0"))
    lr = float(arrays["lr"])
    pred, lin_pred = np.asarray(arrays["pred_test"], np.float64), np.asarray(arrays["lin_pred_test"], np.float64)
    rho = np.asarray(arrays["weight_change"], np.float64)
    status = np.concatenate([np.asarray(arrays["status"]).ravel(), np.asarray(arrays["lin_status"]).ravel()])
    finite = bool(np.all(np.isfinite(pred)) and np.all(np.isfinite(lin_pred)) and np.all(np.isfinite(rho)))

    gram = np.linalg.eigvalsh(jac @ jac.T / jac.shape[0])
    if not (np.all(np.isfinite(gram)) and gram[0] > 1e-12 * gram[-1]):
        rank = int(np.sum(gram > 1e-12 * gram[-1])) if np.all(np.isfinite(gram)) else 0
        return Result.inconclusive(
            f"the empirical NTK Gram JJᵀ/n is numerically singular (λ_min/λ_max = {gram[0] / gram[-1]:.2g}, "
            f"numerical rank {rank} of n = {jac.shape[0]}): no kernel interpolant to compare with; lower n to "
            f"<= {max(rank // 2, 2)} or raise d", tolerance=CLOSE_TOLERANCE,
            details={"gram_condition": float(gram[-1] / max(gram[0], 1e-300)), "regime": config.regime})
    v_t = bounds.linearized_gd_displacement(jac, y, lr, config.steps)
    f_kernel = jac_test @ bounds.linearized_gd_displacement(jac, y)
    f_bar = jac_test @ v_t
    eps1 = preactivation_scale(v_t, x, config.width)
    settle = _rel(f_bar, f_kernel)
    distance = np.array([_rel(p, q) for p, q in zip(pred, lin_pred)]) if finite else np.full(alphas.shape, np.nan)
    d_k = np.array([_rel(p, f_kernel) for p in pred]) if finite else np.full(alphas.shape, np.nan)
    floor = np.array([bounds.lazy_roundoff_floor(a, jac_test, theta0, f_bar, config.steps) for a in alphas])
    test_error = np.mean((pred - y_test[None, :]) ** 2, axis=1)
    kernel_test_error = float(np.mean((f_kernel - y_test) ** 2))
    mask = lazy_mask(alphas, eps1, config.regime)
    undecided = []
    if not finite or np.any(status != dynamics.STATUS_COMPLETED):
        bad = alphas[(np.asarray(arrays["status"]) != dynamics.STATUS_COMPLETED)
                     | (np.asarray(arrays["lin_status"]) != dynamics.STATUS_COMPLETED)]
        above = alphas[alphas > bad.max()] if bad.size else alphas[:0]
        lower = min(0.5, 0.5 * float(data["lr_scale"]))
        try:  # the steps the linear model then needs to settle (the oracle's bound at the lower step size)
            slow = bounds.linearized_gd_steps_to_interpolant(
                jac, jac_test, y, lr * lower / float(data["lr_scale"]),
                SETTLE_FRACTION * CLOSE_TOLERANCE * np.linalg.norm(jac_test @ bounds.linearized_gd_displacement(jac, y)))
        except ValueError:
            slow = float("inf")
        undecided.append(f"GD diverged or stopped at α = {', '.join(f'{a:.3g}' for a in bad) or '?'} (on the rich "
                         f"side the loss's curvature grows like |y|·‖∇²f‖/α): lower lr_scale to <= {lower:.3g}"
                         + (f" with steps >= {int(max(slow, config.steps))}" if np.isfinite(slow) and slow <= 20000 else "")
                         + (f", or raise alpha_min to >= {above[0]:.3g}" if above.size and above[0] <= 1e4 else ""))
    if not settle <= SETTLE_FRACTION * CLOSE_TOLERANCE:
        target = SETTLE_FRACTION * CLOSE_TOLERANCE * np.linalg.norm(f_kernel)
        need = bounds.linearized_gd_steps_to_interpolant(jac, jac_test, y, lr, target)
        lr_one = lr / float(data["lr_scale"])  # η at lr_scale = 1
        need_one = need if float(data["lr_scale"]) >= 1 else bounds.linearized_gd_steps_to_interpolant(
            jac, jac_test, y, lr_one, target)
        if need <= 20000:
            remedy = f"raise steps to >= {int(need)}"
        elif need_one <= 20000:
            remedy = f"raise lr_scale to 1 and steps to >= {int(need_one)}"
        else:
            remedy = (f"the NTK Gram is ill-conditioned (λ_max/λ_min = {gram[-1] / gram[0]:.3g}; the oracle's bound "
                      f"needs {min(need, need_one):.3g} > 20000 steps): lower n to <= {max(jac.shape[0] // 2, 2)} "
                      "or raise d")
        undecided.append(f"the linearised model is still {settle:.2g} from the kernel interpolant f_K after "
                         f"{config.steps} steps (> {SETTLE_FRACTION * CLOSE_TOLERANCE:.3g}): {remedy}")
    if not _enough(alphas, mask):
        remedy = lazy_remedy(float(alphas[0]), float(alphas[-1]), config.num_alphas, eps1)
        undecided.append(
            f"only {int(mask.sum())} sweep point(s) are lazy (ε(α) = {eps1:.3g}/α <= {EPS_LAZY}); the slopes need "
            f">= {MIN_LAZY_POINTS} spanning >= {MIN_LAZY_SPAN:g}×: "
            + (remedy or f"no sweep inside α <= {ALPHA_HIGH:g} has them; raise width (ε₁ falls like 1/√width "
                             "in the NTK parameterisation)"))
    elif finite:
        low_margin = mask & ~(distance >= ROUNDOFF_MARGIN * floor)
        if np.any(low_margin):
            first = int(np.argmax(mask))
            c1 = distance[first] * alphas[first]
            # D ≈ c₁/α meets ROUNDOFF_MARGIN·floor(α) at √(c₁/(margin·floor(1))); half of it keeps a 4× margin
            limit = 0.5 * float(np.sqrt(c1 / (ROUNDOFF_MARGIN * floor[-1] / alphas[-1])))
            undecided.append(f"round-off: at α = {alphas[low_margin][0]:.3g} the distance D = "
                             f"{distance[low_margin][0]:.2g} is < {ROUNDOFF_MARGIN:g} × the float64 floor "
                             f"{floor[low_margin][0]:.2g}: lower alpha_max to <= {limit:.3g}")
    if finite and not d_k[0] >= 2 * CLOSE_TOLERANCE:
        undecided.append(f"the rich end is only d_K = {d_k[0]:.2g} from f_K at α_min = {alphas[0]:.3g} (< 2 × "
                         f"{CLOSE_TOLERANCE}): the kernel claim cannot be told from the rich one; lower alpha_min "
                         f"to <= {max(min(eps1, alphas[0] / 10), ALPHA_LOW):.3g}")
    fails = []
    slope_d = slope_rho = float("nan")
    if finite and mask.sum() >= 2:
        slope_d, slope_rho = slope(alphas[mask], distance[mask]), slope(alphas[mask], rho[mask])
        if not abs(slope_d + 1) <= SLOPE_BAND:
            fails.append(f"distance slope d log D/d log α = {slope_d:.3g} outside −1 ± {SLOPE_BAND}")
        if not abs(slope_rho + 1) <= SLOPE_BAND:
            fails.append(f"weight-change slope d log ρ/d log α = {slope_rho:.3g} outside −1 ± {SLOPE_BAND}")
    error = float(d_k[-1])
    outcome, reason = decide(error, CLOSE_TOLERANCE, fail_reasons=fails, inconclusive_reasons=undecided,
                             what=f"d_K = ‖f − f_K‖/‖f_K‖ at α_max = {alphas[-1]:.3g}")
    kappa = float("nan")
    by_eps = np.flatnonzero(lazy_mask(alphas, eps1, "auto") & (distance >= ROUNDOFF_MARGIN * floor))
    if finite and by_eps.size >= 2:  # κ from the first lazy point (the largest ε: the best-resolved correction)
        first, last = by_eps[0], by_eps[-1]
        kappa = float(abs(np.log(alphas[first] * distance[first] / (alphas[last] * distance[last])))
                      / (eps1 / alphas[first]))
    lin_gap = _rel(np.asarray(arrays["lin_pred_test"])[-1], f_bar)
    out = {
        "alphas": alphas, "distance": distance, "weight_change": rho, "d_K": d_k, "test_error": test_error,
        "roundoff_floor": floor, "eps": eps1 / alphas, "lazy": mask, "f_kernel": f_kernel, "f_bar": f_bar,
        "pred_test": pred, "lin_pred_test": lin_pred, "y_test": y_test, "x": x, "y": y,
        "lin_weight_change": np.asarray(arrays["lin_weight_change"]), "params0": theta0,
    }
    return Result(
        predicted=float(np.linalg.norm(f_kernel)),
        measured=float(np.linalg.norm(pred[-1])) if finite else float("nan"),
        error=error,
        tolerance=CLOSE_TOLERANCE,
        outcome=outcome,
        reason=reason,
        arrays=out,
        details={
            "distance_slope": slope_d, "weight_slope": slope_rho, "d_K": error, "d_K_alpha_min": float(d_k[0]),
            "eps1": eps1, "lazy_points": int(mask.sum()), "kappa": kappa, "settle": settle,
            "lin_sim_vs_closed_form": lin_gap, "lr": lr,
            "roundoff_margin": float(np.min(distance[mask] / floor[mask])) if finite and mask.any() else float("nan"),
            "test_error_alpha_min": float(test_error[0]), "test_error_alpha_max": float(test_error[-1]),
            "test_error_kernel": kernel_test_error, "test_variance": float(np.var(y_test)),
            "regime": config.regime, "gram_condition": float(gram[-1] / gram[0]),
        },
    )


def plot(config: KernelRichNonlinearConfig, result: Result, path) -> None:
    """Left: D, ρ and d_K against α (log-log; lazy points filled, a slope −1 guide). Right: the
    test error against α beside the kernel regression's."""
    a = result.arrays
    fig, axes = figure(1, 2)
    left, right = axes[0]
    if "distance" not in a:  # decided before any comparison (a singular NTK Gram)
        left.text(0.02, 0.5, f"{result.outcome.upper()}: {result.reason}"[:300], wrap=True, fontsize=8)
        fig.savefig(path, dpi=110)
        return
    alphas, lazy = a["alphas"], np.asarray(a["lazy"], bool)
    for key, marker, label in (("distance", "o", "D: ‖f − f̄‖/‖f̄‖ (to the linearised net)"),
                               ("weight_change", "s", "ρ: ‖θ_T − θ₀‖/‖θ₀‖"),
                               ("d_K", "^", "d_K: to the NTK ridgeless regression")):
        values = np.maximum(np.asarray(a[key], float), 1e-300)
        line, = left.loglog(alphas, values, marker + "-", mfc="none", label=label)
        left.loglog(alphas[lazy], values[lazy], marker, color=line.get_color())
    if lazy.any():
        ref = np.asarray(a["distance"])[lazy][0] * alphas[lazy][0]
        left.loglog(alphas, ref / alphas, "k:", lw=1, label="slope −1")
    left.loglog(alphas, np.asarray(a["roundoff_floor"]), "C7--", lw=1, label="round-off floor (estimate)")
    left.axhline(CLOSE_TOLERANCE, color="k", ls="--", lw=1, label="d_K tolerance")
    left.set_xlabel("scale α")
    left.legend(fontsize=6)
    left.set_title(f"{result.outcome.upper()}: {result.reason}"[:95], fontsize=7)
    right.semilogx(alphas, a["test_error"], "o-", label="trained net, test MSE")
    right.axhline(float(result.details["test_error_kernel"]), color="C1", ls="--", label="NTK ridgeless, test MSE")
    right.axhline(float(result.details["test_variance"]), color="k", ls=":", lw=1, label="predict 0 (variance)")
    right.set_xlabel("scale α")
    right.set_ylabel("test MSE")
    right.legend(fontsize=7)
    fig.savefig(path, dpi=110)


def _record_curve(row, key):
    """A sweep record's kept per-α array (``sweep_arrays``), or None for a store without it."""
    arrays = row.get("arrays") or {}
    if key not in arrays:
        return None
    value = np.asarray(arrays[key], float)
    return value[0] if value.ndim == 2 else value


def plot_sweep(rows, path) -> None:
    """Left: each record's D(α) (the network against its linearisation) on log-log axes, lazy
    points filled, with a slope −1 guide (records without kept arrays: d_K at α_max against
    α_max). Right: each record's fitted slopes of D and ρ against the band −1 ± 0.25; letters mark
    non-pass records."""
    fig, axes = figure(1, 2)
    left, right = axes[0]
    swept = sorted({k for r in rows for k in r.get("swept", ())} or {"alpha_max"})
    for i, r in enumerate(rows):
        alphas, distance = _record_curve(r, "alphas"), _record_curve(r, "distance")
        label = ", ".join(f"{k}={r['config'].get(k)}" for k in swept) + f", seed {r.get('seed')}"
        if alphas is not None and distance is not None:
            line, = left.loglog(alphas, np.maximum(distance, 1e-300), "o-", mfc="none", ms=4, label=label)
            lazy = _record_curve(r, "lazy")
            if lazy is not None:
                on = lazy.astype(bool)
                left.loglog(alphas[on], distance[on], "o", ms=4, color=line.get_color())
        else:
            left.loglog([r["config"]["alpha_max"]], [max(r["details"].get("d_K", np.nan), 1e-300)], "o", label=label)
    left.set_xlabel("scale α")
    left.set_ylabel("D = ‖f − f̄‖/‖f̄‖ (or d_K at α_max)")
    left.legend(fontsize=6)
    idx = np.arange(len(rows))
    for key, marker in (("distance_slope", "o"), ("weight_slope", "s")):
        right.plot(idx, [r["details"].get(key, np.nan) for r in rows], marker, label=key)
    for i, r in enumerate(rows):
        if r["outcome"] != "pass":
            right.annotate(r["outcome"][0].upper(), (i, r["details"].get("distance_slope", -1.0)))
    right.axhspan(-1 - SLOPE_BAND, -1 + SLOPE_BAND, color="C2", alpha=0.2, label="−1 ± 0.25")
    right.set_xlabel("record")
    right.set_ylabel("log-log slope over the lazy points")
    right.legend(fontsize=8)
    fig.savefig(path, dpi=110)


CHECK = register(
    Check(
        name="kernel_rich_nonlinear",
        statement="A two-layer tanh net trained by GD as α(f(θ) − f(θ₀)) on the loss/α² stays within O(1/α) of its "
                  "linearisation (weights move O(1/α)) and tends to the NTK ridgeless regression as α grows.",
        source="Chizat, Oyallon & Bach, NeurIPS 2019, arXiv:1812.07956; Woodworth et al., COLT 2020, arXiv:2002.09277",
        config_type=KernelRichNonlinearConfig,
        run=None,
        plot=plot,
        negative_controls=({"regime": "lazy", "alpha_min": 0.003, "alpha_max": 0.3},),
        needs_x64=True,
        quick={"width": 32, "d": 5, "n": 10, "n_test": 50, "steps": 400},
        data_keys=("alpha_min", "alpha_max", "lr_scale"),
        simulate=simulate,
        verdict=verdict,
        plot_sweep=plot_sweep,
        sweep_arrays=("alphas", "distance", "lazy"),
    )
)
