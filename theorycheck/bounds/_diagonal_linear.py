"""Implicit regulariser of diagonal linear networks (Woodworth et al., COLT 2020), in float64 numpy.

**Derivation** (checked here; THEORY.md §2 tags the paper's statement as recalled). Let
β = w₊^D − w₋^D, w₊(0) = w₋(0) = α·1, and run gradient flow on a loss L(β) with
g(t) = ∇_β L = Xᵀ r(t) for some r(t) ∈ ℝⁿ (true for any loss of Xβ, e.g. squared loss).
By the chain rule dw₊/dt = −D w₊^{D−1} g and dw₋/dt = +D w₋^{D−1} g (elementwise). Write
s(t) = ∫₀ᵗ r, so ∫₀ᵗ g = Xᵀ s(t).

* D ≥ 3: d(w₊^{2−D})/dt = (2−D) w₊^{1−D} · (−D w₊^{D−1} g) = D(D−2) g, and likewise
  d(w₋^{2−D})/dt = −D(D−2) g. Hence w₊^{2−D} = α^{2−D}(1 − z), w₋^{2−D} = α^{2−D}(1 + z) with
  z = Xᵀν, ν = −D(D−2) α^{D−2} s(t). Raising to the power −D/(D−2):
  β = α^D [(1−z)^{−D/(D−2)} − (1+z)^{−D/(D−2)}] = α^D h_D(Xᵀν), and |z| < 1 as long as w₊, w₋
  stay finite and positive.
* D = 2: d(log w₊)/dt = −2g, so w₊ = α e^{−2Xᵀs}, w₋ = α e^{2Xᵀs}, β = α² h₂(Xᵀν) with
  h₂ = 2 sinh and ν = −4s.

If the flow converges to an interpolant (Xβ∞ = y), then β∞ = α^D h_D(Xᵀν∞) with Xβ∞ = y. These are
exactly the KKT conditions of min Q_α^D(β) s.t. Xβ = y with Q_α^D(β) = α^D Σᵢ q_D(βᵢ/α^D) and
q_D' = h_D^{−1}: ∇Q = h_D^{−1}(β/α^D) = Xᵀν ∈ range(Xᵀ). Since h_D is strictly increasing, q_D is
strictly convex, so the minimiser is unique and equals β∞.

Closed forms (integration by parts, q(u) = ∫₀^{h⁻¹(u)} z h'(z) dz = u h⁻¹(u) − H(h⁻¹(u)), H' = h,
H(0) = 0): H₂(z) = 2 cosh z − 2, H_D(z) = (D−2)/2 [(1−z)^{−r} + (1+z)^{−r}] − (D−2), r = 2/(D−2).
H_D is the convex conjugate of q_D, so the dual of the constrained problem is
max_ν yᵀν − α^D Σᵢ H_D(xᵢᵀν) (xᵢ = column i of X), whose stationarity is α^D X h_D(Xᵀν) = y.

Numerics use the "angle" a = atanh(z) (a = z for D = 2), in which every quantity has a
cancellation-free form: h_D = sign(a)·((1 + e^{−2|a|})/2)^p·expm1(2p|a|) with p = D/(D−2), and
H_D = (D−2)[expm1(r·log cosh a)·cosh(r a) + 2 sinh²(r a/2)] (H₂ = 4 sinh²(a/2)).
"""

import math
from typing import NamedTuple

import numpy as np
import scipy.linalg
import scipy.optimize
from jaxtyping import ArrayLike, Bool, Float, Int

_EPS = np.finfo(np.float64).eps


# ------------------------------------------------------------------------------------- validation
def _depth(depth) -> int:
    numeric = not isinstance(depth, bool) and isinstance(depth, (int, float, np.integer, np.floating))
    if not numeric or not math.isfinite(depth) or depth != int(depth) or depth < 2:
        raise ValueError(f"depth must be an integer >= 2, got {depth!r}; pass e.g. depth=2 or depth=3")
    return int(depth)


def _array(name: str, value) -> np.ndarray:
    array = np.asarray(value, dtype=np.float64)
    if np.any(np.isnan(array)):
        raise ValueError(f"{name} contains NaN; pass finite values")
    return array


def _alpha(alpha) -> float:
    a = np.asarray(alpha, dtype=np.float64)
    if a.ndim != 0 or not np.isfinite(a) or a <= 0:
        raise ValueError(f"alpha must be a finite scalar > 0 (the initialisation scale), got {alpha!r}")
    return float(a)


def _data(X, y) -> tuple[np.ndarray, np.ndarray]:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n samples × d features), got shape {X.shape}; reshape it")
    y = np.asarray(y, dtype=np.float64)
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape (n,) = ({X.shape[0]},) to match X, got {y.shape}; pass y.ravel()")
    for name, value in (("X", X), ("y", y)):
        if not np.all(np.isfinite(value)):
            raise ValueError(f"{name} contains NaN or inf; pass finite values")
    return X, y


# ---------------------------------------------------------------------------------- scalar maps
def _link_from_angle(a: np.ndarray, depth: int) -> np.ndarray:
    """h_D(tanh a) (h₂(a) for D = 2), odd, relatively accurate for every a."""
    if depth == 2:
        return 2.0 * np.sinh(a)
    p = depth / (depth - 2)
    b = np.abs(a)
    with np.errstate(over="ignore"):
        return np.sign(a) * (0.5 * (1.0 + np.exp(-2.0 * b))) ** p * np.expm1(2.0 * p * b)


def _conjugate_from_angle(a: np.ndarray, depth: int) -> np.ndarray:
    """H_D(tanh a) (H₂(a) for D = 2), even, ≥ 0, without cancellation."""
    if depth == 2:
        return 4.0 * np.sinh(0.5 * a) ** 2
    r = 2.0 / (depth - 2)
    b = np.abs(a)
    with np.errstate(over="ignore"):
        log_cosh = np.where(b < 20.0, np.log1p(2.0 * np.sinh(0.5 * np.minimum(b, 20.0)) ** 2),
                            b - math.log(2.0) + np.log1p(np.exp(-2.0 * b)))
        return (depth - 2) * (np.expm1(r * log_cosh) * np.cosh(r * b) + 2.0 * np.sinh(0.5 * r * b) ** 2)


def _inverse_angle(v: np.ndarray, depth: int) -> np.ndarray:
    """a ≥ 0 with h_D(tanh a) = v for v ≥ 0 (D ≥ 3): safeguarded Newton on log h(tanh a) − log v.

    Bracket: h = c·expm1(2pa) with c = ((1 + e^{−2a})/2)^p ∈ [2^{−p}, 1], so
    2pa ∈ [log1p(v), log1p(2^p v)]. φ(a) = log h − log v is smooth with slope
    2p[1/(1 − e^{−2pa}) − 1/(1 + e^{2a})] ≥ p > 0, so Newton converges quadratically; a step that
    leaves the bracket is replaced by bisection. Stops at |Δa| ≤ 4 eps·a (relative accuracy of a,
    hence of z = tanh a). φ is evaluated as log(h/v) for small a, keeping relative accuracy at tiny v.
    """
    p, shape, v = depth / (depth - 2), v.shape, v.ravel()
    out = np.where(np.isinf(v), np.inf, 0.0)
    idx = np.flatnonzero((v > 0) & np.isfinite(v))
    w = v[idx]
    lo = np.log1p(w) / (2 * p)
    hi = np.where(w < 1.0, np.log1p(2.0**p * np.minimum(w, 1.0)), np.log1p(w) + p * math.log(2.0)) / (2 * p)
    a, log_w = lo.copy(), np.log(w)
    for _ in range(100):
        x = 2 * p * a
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            ratio = (0.5 * (1.0 + np.exp(-2 * a))) ** p * np.expm1(np.minimum(x, 30)) / w
            phi = np.where(x < 30, np.log(ratio),
                           p * (np.log1p(np.exp(-2 * a)) - math.log(2.0)) + x + np.log1p(-np.exp(-x)) - log_w)
            slope = 2 * p * (1.0 / -np.expm1(-x) - 1.0 / (1.0 + np.exp(2 * a)))
        lo, hi = np.where(phi < 0, a, lo), np.where(phi > 0, a, hi)
        new = a - phi / slope
        new = np.where((new > lo) & (new < hi), new, 0.5 * (lo + hi))
        done = np.abs(new - a) <= 4 * _EPS * a
        a = new
        if np.all(done | (hi - lo <= 4 * _EPS * hi)):
            break
    out[idx] = a
    return out.reshape(shape)


def _inverse_angle_signed(u: np.ndarray, depth: int) -> np.ndarray:
    if depth == 2:
        return np.arcsinh(0.5 * u)
    return np.sign(u) * _inverse_angle(np.abs(u), depth)


# ------------------------------------------------------------------------------------ public maps
def woodworth20_link(z: Float[ArrayLike, "*shape"], depth: int) -> Float[np.ndarray, "*shape"]:
    """The link h_D mapping the dual variable Xᵀν to β∞/α^D.

    **Statement:** gradient flow on the depth-D diagonal network β = w₊^D − w₋^D from
    w₊ = w₋ = α·1 keeps β(t) = α^D h_D(Xᵀν(t)), h₂(z) = 2 sinh z and
    h_D(z) = (1−z)^{−D/(D−2)} − (1+z)^{−D/(D−2)} on (−1, 1) for D ≥ 3 (Woodworth et al., "Kernel and
    Rich Regimes in Overparametrized Models", COLT 2020, arXiv:2002.09277). Derivation verified in
    the module docstring; evaluated as (1+|z|)^{−p}·expm1(2p·atanh|z|), p = D/(D−2), which is
    relatively accurate also for tiny z (no cancellation).

    Args:
      z: values, in [−1, 1] for D ≥ 3 (±1 map to ±inf).
      depth: integer D ≥ 2.

    Returns:
      h_D(z), float64, same shape as ``z``.
    """
    depth = _depth(depth)
    z = _array("z", z)
    if depth > 2 and np.any(np.abs(z) > 1):
        raise ValueError(f"z must lie in [-1, 1] for depth {depth} (h_D is defined on (-1, 1)); clip z")
    with np.errstate(divide="ignore"):
        return _link_from_angle(z if depth == 2 else np.arctanh(z), depth)


def woodworth20_link_inverse(u: Float[ArrayLike, "*shape"], depth: int) -> Float[np.ndarray, "*shape"]:
    """h_D^{−1}(u) = q_D'(u), the gradient of the per-coordinate implicit regulariser.

    **Statement:** h_D (see :func:`woodworth20_link`) is odd and strictly increasing from (−1, 1)
    onto ℝ for D ≥ 3 (h_D' = p[(1−z)^{−p−1} + (1+z)^{−p−1}] > 0), and h₂^{−1}(u) = arcsinh(u/2)
    (Woodworth et al., COLT 2020, arXiv:2002.09277). For D ≥ 3 the root is found by vectorised
    safeguarded Newton/bisection in the angle a = atanh z (bracketed analytically) to relative
    accuracy ~1e-15 in z; for |u| ≳ 2^{−p}·1e16^{p} the float64 z rounds to ±1.

    Args:
      u: any real values (±inf map to ±1 for D ≥ 3).
      depth: integer D ≥ 2.

    Returns:
      z with h_D(z) = u, float64, same shape as ``u``.
    """
    depth = _depth(depth)
    u = _array("u", u)
    a = _inverse_angle_signed(u, depth)
    return a if depth == 2 else np.tanh(a)


def woodworth20_potential(z: Float[ArrayLike, "*shape"], depth: int) -> Float[np.ndarray, "*shape"]:
    """q_D(z) = ∫₀^z h_D^{−1}(u) du, the per-coordinate implicit regulariser.

    **Statement:** q₂(z) = 2 − √(4+z²) + z·arcsinh(z/2) and, for D ≥ 3,
    q_D(z) = z·h_D^{−1}(z) − H_D(h_D^{−1}(z)) with H_D(z) = (D−2)/2·[(1−z)^{−2/(D−2)} +
    (1+z)^{−2/(D−2)}] − (D−2) (Woodworth et al., COLT 2020, arXiv:2002.09277). Verified: integration by
    parts (module docstring) and, in the tests, q_D' = h_D^{−1} by finite differences. q_D is even,
    strictly convex, ≈ (D−2)/(4D)·z² near 0 (z²/4 for D = 2) and ≈ |z| for large |z| at D ≥ 3. Both
    terms are evaluated without cancellation (angle variable), so small and huge |z| are accurate.

    Args:
      z: any real values.
      depth: integer D ≥ 2.

    Returns:
      q_D(z), float64, same shape as ``z``.
    """
    depth = _depth(depth)
    u = np.abs(_array("z", z))
    a = _inverse_angle_signed(u, depth)
    zeta = a if depth == 2 else np.tanh(a)
    with np.errstate(invalid="ignore"):
        return np.where(np.isinf(u), np.inf, u * zeta - _conjugate_from_angle(a, depth))


def woodworth20_implicit_regularizer(
    beta: Float[ArrayLike, " d"], alpha: float, depth: int
) -> Float[np.ndarray, ""]:
    """Q_α^D(β) = α^D Σᵢ q_D(βᵢ/α^D), the implicit regulariser of a depth-D diagonal network.

    **Statement:** for β = w₊^D − w₋^D, w₊(0) = w₋(0) = α·1, gradient flow on the squared loss of an
    underdetermined regression that reaches an interpolant converges to argmin Q_α^D(β) s.t. Xβ = y
    (Woodworth, Gunasekar, Lee, Moroshko, Savarese, Golan, Soudry, Srebro, "Kernel and Rich Regimes
    in Overparametrized Models", COLT 2020, arXiv:2002.09277). Derived in the module docstring.
    Limits: Q → ‖β‖₂²/(4α²) (D = 2), (D−2)/(4D α^D)‖β‖₂² (D ≥ 3) as α → ∞; Q/log(1/α²) → ‖β‖₁
    (D = 2), Q → ‖β‖₁ (D ≥ 3) as α → 0.

    Args:
      beta: linear predictor, shape (d,).
      alpha: initialisation scale α > 0.
      depth: integer D ≥ 2.

    Returns:
      The scalar Q_α^D(β), float64.
    """
    depth, alpha = _depth(depth), _alpha(alpha)
    scale = alpha**depth
    return scale * np.sum(woodworth20_potential(_array("beta", beta) / scale, depth))


class ImplicitRegularizerMinimizer(NamedTuple):
    """Result of :func:`woodworth20_implicit_regularizer_minimizer`."""

    beta: Float[np.ndarray, " d"]  # argmin Q_α^D s.t. Xβ = y
    nu: Float[np.ndarray, " n"]  # dual variable: β = α^D h_D(Xᵀν)
    kkt_residual: Float[np.ndarray, ""]  # ‖Xβ − y‖/‖y‖ (stationarity holds by construction)
    iterations: Int[np.ndarray, ""]  # Newton iterations taken
    converged: Bool[np.ndarray, ""]  # kkt_residual <= tol


def woodworth20_implicit_regularizer_minimizer(
    X: Float[ArrayLike, "n d"], y: Float[ArrayLike, " n"], alpha: float, depth: int,
    *, tol: float = 1e-13, max_iter: int = 200,
) -> ImplicitRegularizerMinimizer:
    """argmin Q_α^D(β) subject to Xβ = y, by damped Newton on the concave dual.

    **Statement:** the limit of gradient flow on a depth-D diagonal network from scale α is this
    minimiser (Woodworth et al., COLT 2020, arXiv:2002.09277; derivation in the module docstring).
    It is computed from the dual max_ν yᵀν − α^D Σᵢ H_D(xᵢᵀν): with the scaled target ỹ = y/α^D, we
    minimise F(ν) = Σᵢ H_D(xᵢᵀν) − ỹᵀν (convex; ∇F = X h_D(Xᵀν) − ỹ, ∇²F = X diag(h_D'(Xᵀν)) Xᵀ)
    by Newton steps with an Armijo backtracking line search from ν = 0, each step first shortened
    to stay inside |Xᵀν| < 1 for D ≥ 3 (where H_D blows up like a barrier). Then β = α^D h_D(Xᵀν)
    satisfies stationarity (h_D^{−1}(β/α^D) ∈ range(Xᵀ)) by construction, and ``kkt_residual`` =
    ‖Xβ − y‖/‖y‖ measures primal feasibility. Near the optimum, where the predicted decrease of F is
    below its rounding error, full Newton steps are taken while they halve the residual.

    Small α at D ≥ 3 puts zᵢ = xᵢᵀν within ~(α^D/|βᵢ|)^{(D−2)/D} of ±1 (1e-4 at D = 5, α = 0.05;
    1e-6 at α = 0.01). Recomputing 1 − xᵢᵀν from scratch then carries rounding noise ~eps·Σⱼ|Xⱼᵢνⱼ|,
    i.e. relative noise eps/(1 − |zᵢ|) in βᵢ that changes non-smoothly with ν, and the residual
    stalls near 1e-12 (1e-10 at α = 0.01). When it stalls, the iterate is frozen as ν = ν₀ + δ with
    1 ∓ Xᵀν₀ stored once, and Newton continues in δ with 1 ∓ z = (1 ∓ Xᵀν₀) ∓ Xᵀδ: an affine,
    noise-free function of the small δ, which Newton drives to a ~1e-15 residual. The one-off error
    of the stored offsets only moves the near-boundary (support) coordinates, whose z the dual
    absorbs, so β itself stays accurate: against a 60-digit ``decimal`` reference (tests) the relative
    error is ~1e-15 with 1 − |z| = 1.4e-6. Measured on Gaussian X (n=20, d=60 and n=100, d=1000),
    α ∈ [0.01, 10], D ∈ {2,…,5}: residual ≤ 1e-13 within 30 iterations.

    Args:
      X: design matrix, shape (n, d), rows are samples; needs full row rank.
      y: targets, shape (n,).
      alpha: initialisation scale α > 0.
      depth: integer D ≥ 2.
      tol: stop once ‖Xβ − y‖/‖y‖ <= tol.
      max_iter: at most this many Newton iterations.

    Returns:
      ``ImplicitRegularizerMinimizer(beta, nu, kkt_residual, iterations, converged)`` with
      ``converged`` = (``kkt_residual`` <= ``tol``); ``nu`` is ν₀ + δ rounded to float64.
    """
    X, y = _data(X, y)
    depth, alpha = _depth(depth), _alpha(alpha)
    n, d = X.shape
    scale = alpha**depth
    target = y / scale
    target_norm = np.linalg.norm(target)
    if target_norm == 0:
        return ImplicitRegularizerMinimizer(np.zeros(d), np.zeros(n), np.float64(0.0), np.int64(0), np.bool_(True))
    nu0, z0, minus0, plus0 = np.zeros(n), np.zeros(d), np.ones(d), np.ones(d)

    def evaluate(delta):
        """(angle, 1 − z, 1 + z, F, ∇F, relative residual) at ν = ν₀ + δ; F = inf outside the domain."""
        dz = X.T @ delta
        z, minus, plus = z0 + dz, minus0 - dz, plus0 + dz
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            angle = z if depth == 2 else np.where(np.abs(z) < 0.5, np.arctanh(z), 0.5 * (np.log(plus) - np.log(minus)))
            if depth > 2 and (np.min(minus) <= 0 or np.min(plus) <= 0):
                return angle, minus, plus, np.inf, None, np.inf
            value = float(np.sum(_conjugate_from_angle(angle, depth)) - target @ delta)
            gradient = X @ _link_from_angle(angle, depth) - target
            return angle, minus, plus, value, gradient, np.linalg.norm(gradient) / target_norm

    delta = np.zeros(n)
    angle, minus, plus, value, gradient, residual = evaluate(delta)
    iterations, rebased = 0, depth == 2
    while residual > tol and iterations < max_iter:
        iterations += 1
        if depth == 2:
            curvature = 2.0 * np.cosh(angle)
        else:
            p = depth / (depth - 2)
            curvature = p * (minus ** (-p - 1.0) + plus ** (-p - 1.0))
        hessian = (X * curvature) @ X.T
        try:
            step = scipy.linalg.cho_solve(scipy.linalg.cho_factor(hessian), -gradient)
        except (np.linalg.LinAlgError, ValueError):
            step = np.linalg.lstsq(hessian, -gradient, rcond=None)[0]
        decrement2 = max(float(-gradient @ step), 0.0)
        t = 1.0
        if depth > 2:  # stay strictly inside |z| < 1: 1 − z − t·dz > 0 and 1 + z + t·dz > 0
            dz = X.T @ step
            with np.errstate(divide="ignore", invalid="ignore"):
                room = np.where(dz > 0, minus / dz, np.where(dz < 0, -plus / dz, np.inf))
            t = min(1.0, 0.99 * float(np.min(room)))
        near = decrement2 <= 1e3 * _EPS * (1.0 + abs(value))
        for _ in range(60):
            trial = evaluate(delta + t * step)
            if trial[5] <= 0.5 * residual if near else trial[3] <= value - 1e-4 * t * decrement2:
                delta = delta + t * step
                angle, minus, plus, value, gradient, residual = trial
                break
            t *= 0.5
        else:  # stalled at the float64 floor: freeze ν = ν₀ + δ once (see above), else stop
            if rebased:
                break
            rebased, nu0, delta = True, nu0 + delta, np.zeros(n)
            z0 = X.T @ nu0
            minus0, plus0 = 1.0 - z0, 1.0 + z0
            angle, minus, plus, value, gradient, residual = evaluate(delta)
    beta = scale * _link_from_angle(angle, depth)
    kkt = np.linalg.norm(X @ beta - y) / np.linalg.norm(y)
    return ImplicitRegularizerMinimizer(beta, nu0 + delta, np.float64(kkt), np.int64(iterations), np.bool_(kkt <= tol))


# ---------------------------------------------------------------------------------- interpolants
def min_l2_interpolant(X: Float[ArrayLike, "n d"], y: Float[ArrayLike, " n"]) -> Float[np.ndarray, " d"]:
    """argmin ‖β‖₂ s.t. Xβ = y (= X⁺y), the kernel-regime (α → ∞) limit of argmin Q_α^D.

    **Statement:** for full-row-rank X the minimum-ℓ2 interpolant is X⁺y = Xᵀ(XXᵀ)^{−1}y, the unique
    interpolant in range(Xᵀ) (Woodworth et al., COLT 2020, arXiv:2002.09277: Q_α^D ∝ ‖β‖₂² as α → ∞).
    Computed by ``numpy.linalg.lstsq`` (SVD), which on its own would return a least-squares β for
    an inconsistent system; that is rejected, as :func:`min_l1_interpolant` rejects it.

    Tolerance: SVD least squares is backward stable, so on a consistent system the computed β
    solves a system perturbed by ‖δX‖ ≲ c·max(n, d)·ε·‖X‖₂, ‖δy‖ ≲ c·max(n, d)·ε·‖y‖, and forming
    Xβ − y adds ≲ d·ε·‖X‖₂‖β‖; hence ‖Xβ − y‖ ≤ 10·max(n, d)·ε·(‖X‖₂‖β‖ + ‖y‖) for any interpolable y
    (measured ≲ 1e-2 of it on Gaussian 100×1000), while an inconsistent system leaves a residual
    of the size of y's component outside range(X).

    Args:
      X: design matrix, shape (n, d).
      y: targets, shape (n,).

    Returns:
      β of shape (d,).

    Raises:
      ValueError: if Xβ = y has no solution (the residual exceeds the tolerance above).
    """
    X, y = _data(X, y)
    beta, _, _, singular_values = np.linalg.lstsq(X, y, rcond=None)
    residual = np.linalg.norm(X @ beta - y)
    norm_x = singular_values[0] if singular_values.size else 0.0
    tolerance = 10 * max(X.shape) * _EPS * (norm_x * np.linalg.norm(beta) + np.linalg.norm(y))
    if not residual <= tolerance:
        raise ValueError(
            f"min_l2_interpolant: Xβ = y has no solution (least-squares residual {residual:.3g} > "
            f"tolerance {tolerance:.3g}); X must have full row rank or y must lie in range(X)"
        )
    return beta


def min_l1_interpolant(X: Float[ArrayLike, "n d"], y: Float[ArrayLike, " n"]) -> Float[np.ndarray, " d"]:
    """argmin ‖β‖₁ s.t. Xβ = y (basis pursuit), the rich-regime (α → 0) limit of argmin Q_α^D.

    **Statement:** Q_α^D → ‖·‖₁ (up to the factor log(1/α²) at D = 2) as α → 0 (Woodworth et al.,
    COLT 2020, arXiv:2002.09277). Solved as the linear program min 1ᵀ(β⁺ + β⁻) s.t.
    X(β⁺ − β⁻) = y, β^± ≥ 0 with ``scipy.optimize.linprog(method="highs")``; the vertex is then
    polished by least squares on its support (kept only if it interpolates better without a larger
    ℓ1 norm), which removes the LP's ~1e-9 feasibility tolerance.

    Args:
      X: design matrix, shape (n, d).
      y: targets, shape (n,).

    Returns:
      β of shape (d,).

    Raises:
      ValueError: if the LP solver fails (e.g. Xβ = y has no solution).
    """
    X, y = _data(X, y)
    d = X.shape[1]
    result = scipy.optimize.linprog(np.ones(2 * d), A_eq=np.hstack([X, -X]), b_eq=y, bounds=(0, None), method="highs")
    if result.status != 0:
        raise ValueError(f"min_l1_interpolant: the LP failed ({result.message}); X must admit a solution of Xβ = y")
    beta = result.x[:d] - result.x[d:]
    support = np.flatnonzero(np.abs(beta) > 1e-9 * np.max(np.abs(beta), initial=0.0))
    if 0 < support.size <= X.shape[0]:
        polished = np.zeros(d)
        polished[support] = np.linalg.lstsq(X[:, support], y, rcond=None)[0]
        if (np.linalg.norm(X @ polished - y) < np.linalg.norm(X @ beta - y)
                and np.sum(np.abs(polished)) <= np.sum(np.abs(beta)) * (1 + 1e-9)):
            beta = polished
    return beta
