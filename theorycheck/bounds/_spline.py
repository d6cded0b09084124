"""The curvature penalty of a shallow ReLU net's initialisation, and the weighted spline it predicts.

**Statement (Jin & Montúfar, "Implicit bias of gradient descent for mean squared error regression
with two-layer wide neural networks", JMLR 24(137) 2023, arXiv:2006.07356; shared/THEORY.md §9).**
A width-n shallow ReLU net f(x) = (1/√n) Σ_k a_k [w_k x + b_k]_+ on scalar inputs, initialised so
that f(·, θ₀) ≡ 0 (antisymmetric initialisation) and trained by GD on the squared loss to zero
training error, ends within O(n^{−1/2}) of

    g* = argmin_g ∫ g''(x)² / ζ(x) dx   subject to  g(x_i) = y_i,

where the curvature penalty 1/ζ depends on the distribution of (w, b) only. Verified against the
paper's abstract (JMLR page and arXiv:2006.07356): the n^{−1/2} distance, the penalty determined by
the initialisation distribution, "asymmetric initialization with a uniform distribution yields a
constant curvature penalty, and thence the solution function is the natural cubic spline
interpolation". The formula for ζ below is derived here (the paper's text with it was not
reachable); it reproduces THEORY.md's recollection (constant for uniform, 2/(π(1 + x²)²) for the
standard Gaussian).

**Derivation of ζ.** In the kernel regime the output weights move by α(w, b)/√n and f(x) =
E[α(w, b)[wx + b]_+] with cost E[α²] (the squared parameter distance). Since
∂²ₓ[wx + b]_+ = w² δ(wx + b) = |w| δ(x − c) at the breakpoint c = −b/w, the change of variables
(w, b) → (w, c), db = |w| dc gives f''(c) = ∫ α(w, −wc) w² p(w, −wc) dw and
E[α²] = ∫∫ α(w, −wc)² p(w, −wc) |w| dw dc. For each c,
minimising ∫ α² p |w| dw subject to ∫ α w² p dw = f''(c) (Cauchy–Schwarz) gives α ∝ |w| and the
minimum f''(c)²/ζ(c) with

    ζ(x) = ∫ |w|³ p_{W,B}(w, −wx) dw.

* W ~ U(−a_w, a_w), B ~ U(−a_b, a_b) independent: p = 1/(4 a_w a_b) where |w| ≤ a_w and
  |wx| ≤ a_b, so ζ(x) = m⁴/(8 a_w a_b) with m = min(a_w, a_b/|x|): constant a_w³/(8 a_b) on
  |x| ≤ a_b/a_w (there g* is the natural cubic spline) and a_b³/(8 a_w x⁴) outside.
* W, B ~ N(0, 1) independent: ζ(x) = (1/2π)·2∫₀^∞ w³ e^{−w²(1+x²)/2} dw = 2/(π(1 + x²)²), so the
  penalty is 1/ζ = π(1 + x²)²/2 ∝ (1 + x²)².

**The weighted spline.** With ρ = 1/ζ the Euler–Lagrange equation of ∫ρ g''² under the
interpolation constraints is (ρ g'')'' = 0 between knots, with ρ g'' and the "natural" conditions
ρ g''(x₁) = ρ g''(x_n) = 0 at the end knots: the moment m := ρ g'' is continuous and piecewise
linear with knots at the data, m(x₁) = m(x_n) = 0. So g = α + βx + Σ_{j=2}^{n−1} M_j G_j with
G_j(x) = ∫_{x₁}^x (x − t) h_j(t) ζ(t) dt (h_j the hat function of knot j), and the n interpolation
conditions fix the n unknowns (α, β, M_2 … M_{n−1}). :func:`weighted_natural_spline` solves this
system with the integrals G_j by Gauss–Legendre quadrature on each knot interval (exact for
constant ζ, where it is the natural cubic spline, and spectrally accurate for smooth ζ); it is
independent of any training and of scipy's spline code, against which the tests compare it.
"""

from typing import Callable, NamedTuple

import numpy as np
from jaxtyping import ArrayLike, Float

_QUADRATURE_NODES = 24  # Gauss–Legendre nodes per knot interval


def jin23_zeta(
    x: Float[ArrayLike, "..."], init: str = "uniform", *, weight_scale: float = 1.0, bias_scale: float = 1.0
) -> np.ndarray:
    """ζ(x) = ∫ |w|³ p_{W,B}(w, −wx) dw for independent W, B (derived in the module docstring).

    **Statement:** the curvature penalty of the implicit bias of a wide shallow ReLU net is 1/ζ
    (Jin & Montúfar 2023, arXiv:2006.07356).

    Args:
      x: where to evaluate.
      init: ``"uniform"`` (W ~ U(−weight_scale, weight_scale), B ~ U(−bias_scale, bias_scale)) or
        ``"gaussian"`` (W ~ N(0, weight_scale²), B ~ N(0, bias_scale²)).

    Returns:
      ζ(x), float64, shaped like ``x``. Uniform: a_w³/(8a_b) on |x| ≤ a_b/a_w, a_b³/(8a_w x⁴)
      outside. Gaussian: 2/(π σ_w σ_b s²) with s = 1/σ_w² + x²/σ_b², i.e. 2/(π(1 + x²)²) for
      σ_w = σ_b = 1.
    """
    x = np.asarray(x, dtype=float)
    a_w, a_b = float(weight_scale), float(bias_scale)
    if a_w <= 0 or a_b <= 0:
        raise ValueError(f"weight_scale and bias_scale must be > 0, got {a_w}, {a_b}")
    if init == "uniform":
        with np.errstate(divide="ignore"):
            m = np.minimum(a_w, a_b / np.abs(x))
        return m**4 / (8.0 * a_w * a_b)
    if init == "gaussian":
        # ∫|w|³ N(w; 0, σ_w²) N(−wx; 0, σ_b²) dw = (1/(π σ_w σ_b)) · ∫₀^∞ w³ e^{−w² s/2} dw,
        # s = 1/σ_w² + x²/σ_b², and ∫₀^∞ w³ e^{−w² s/2} dw = 2/s².
        s = 1.0 / a_w**2 + x**2 / a_b**2
        return 2.0 / (np.pi * a_w * a_b * s**2)
    raise ValueError(f"init must be 'uniform' or 'gaussian', got {init!r}")


def zeta_by_quadrature(x: float, density: Callable[[np.ndarray, np.ndarray], np.ndarray], w_max: float, nodes: int = 4001) -> float:
    """ζ(x) = ∫ |w|³ p(w, −wx) dw by the trapezoidal rule on [−w_max, w_max] (a check of the closed forms)."""
    w = np.linspace(-w_max, w_max, nodes)
    return float(np.trapezoid(np.abs(w) ** 3 * density(w, -w * x), w))


class WeightedSpline(NamedTuple):
    """The minimiser of ∫ g''²/ζ subject to g(x_i) = y_i (see :func:`weighted_natural_spline`).

    Attributes:
      knots: the sorted data inputs x_1 < … < x_n.
      values: the data outputs at ``knots``.
      affine: (α, β): the affine part α + βx.
      moments: M_1 … M_n, the values of m = g''/ζ at the knots (M_1 = M_n = 0).
      zeta: the ζ the spline was built for.
    """

    knots: np.ndarray
    values: np.ndarray
    affine: np.ndarray
    moments: np.ndarray
    zeta: Callable[[np.ndarray], np.ndarray]

    def __call__(self, x: Float[ArrayLike, " m"], derivative: int = 0) -> np.ndarray:
        """g(x) (``derivative=0``), g'(x) (1) or g''(x) (2); linear continuation outside the knots."""
        x = np.asarray(x, dtype=float)
        if derivative == 2:
            return _moment(self.knots, self.moments, x) * self.zeta(x)
        basis = _basis(self.knots, self.zeta, x, derivative)
        alpha, beta = self.affine
        affine = (alpha + beta * x) if derivative == 0 else np.full_like(x, beta)
        return affine + basis @ self.moments[1:-1]

    def energy(self) -> float:
        """∫ g''²/ζ dx = ∫ m² ζ dx over [x_1, x_n] (by the same quadrature)."""
        t, weights = _interval_quadrature(self.knots)
        m = _moment(self.knots, self.moments, t)
        return float(np.sum(weights * m**2 * self.zeta(t)))


def _interval_quadrature(knots):
    nodes, weights = np.polynomial.legendre.leggauss(_QUADRATURE_NODES)
    left, right = knots[:-1, None], knots[1:, None]
    t = 0.5 * (right - left) * nodes[None, :] + 0.5 * (right + left)
    w = 0.5 * (right - left) * weights[None, :]
    return t.ravel(), w.ravel()


def _hats(knots, t):
    """h_j(t) for the interior knots j = 2 … n−1: ``(len(t), n − 2)``."""
    eye = np.eye(len(knots))
    return np.stack([np.interp(t, knots, eye[j]) for j in range(1, len(knots) - 1)], axis=1)


def _moment(knots, moments, x):
    return np.interp(x, knots, moments, left=0.0, right=0.0)


def _basis(knots, zeta, x, derivative):
    """G_j(x) = ∫_{x₁}^x (x − t) h_j(t) ζ(t) dt (derivative 0) or G_j'(x) = ∫_{x₁}^x h_j ζ dt (1).

    The whole knot intervals below x are integrated once (cumulative sums of ∫h_j ζ and ∫t h_j ζ);
    the partial interval [x_k, x] containing x gets its own Gauss–Legendre nodes.
    """
    if derivative not in (0, 1):
        raise ValueError(f"derivative must be 0, 1 or 2, got {derivative}")
    nodes, weights = np.polynomial.legendre.leggauss(_QUADRATURE_NODES)
    t, w = _interval_quadrature(knots)
    integrand = (w * zeta(t))[:, None] * _hats(knots, t)  # (intervals·q, n−2)
    per_interval = integrand.reshape(len(knots) - 1, _QUADRATURE_NODES, -1)
    first = np.cumsum(np.concatenate([np.zeros_like(per_interval[:1, 0]), per_interval.sum(1)]), axis=0)
    moment1 = per_interval * t.reshape(len(knots) - 1, _QUADRATURE_NODES)[:, :, None]
    second = np.cumsum(np.concatenate([np.zeros_like(moment1[:1, 0]), moment1.sum(1)]), axis=0)
    clipped = np.clip(x, knots[0], knots[-1])
    k = np.clip(np.searchsorted(knots, clipped, side="right") - 1, 0, len(knots) - 2)  # interval of x
    left = knots[k]
    tp = 0.5 * (clipped - left)[:, None] * nodes[None, :] + 0.5 * (clipped + left)[:, None]  # (m, q)
    wp = 0.5 * (clipped - left)[:, None] * weights[None, :]
    partial = (wp * zeta(tp))[:, :, None] * _hats(knots, tp.ravel()).reshape(*tp.shape, -1)  # (m, q, n−2)
    if derivative == 1:
        return first[k] + partial.sum(1)
    return (x[:, None] * first[k] - second[k]) + np.einsum("mqj,mq->mj", partial, x[:, None] - tp)


def weighted_natural_spline(
    x: Float[ArrayLike, " n"], y: Float[ArrayLike, " n"], zeta: Callable[[np.ndarray], np.ndarray] | None = None
) -> WeightedSpline:
    """The minimiser of ∫ g''(x)²/ζ(x) dx subject to g(x_i) = y_i (ζ > 0 on the data's hull).

    **Statement:** the minimiser is g = α + βx + Σ_j M_j G_j with the moment m = g''/ζ continuous,
    piecewise linear with knots at the data and zero at the end knots (the Euler–Lagrange
    equation (g''/ζ)'' = 0 between knots with the natural boundary conditions; module docstring).
    For constant ζ it is the natural cubic spline interpolant. Beyond the end knots g is affine
    (g'' = 0 there costs nothing), as for the natural cubic spline.

    The knot integrals are Gauss–Legendre quadratures (24 nodes per interval; exact for constant
    ζ, which is a cubic-polynomial integrand); the n × n system is solved by ``numpy.linalg.solve``.

    Args:
      x: n ≥ 2 distinct inputs (any order).
      y: the outputs.
      zeta: ζ as a vectorised function of x; ``None`` for constant ζ (the natural cubic spline).

    Returns:
      A :class:`WeightedSpline`, callable on new inputs.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.ndim != 1 or x.shape != y.shape or x.size < 2:
        raise ValueError(f"x and y must be 1-D of the same length >= 2, got shapes {x.shape}, {y.shape}")
    order = np.argsort(x)
    x, y = x[order], y[order]
    if np.any(np.diff(x) <= 0):
        raise ValueError("the inputs x must be distinct")
    zeta_fn = zeta if zeta is not None else (lambda t: np.ones_like(np.asarray(t, dtype=float)))
    t, _ = _interval_quadrature(x)
    if not np.all(zeta_fn(t) > 0):
        raise ValueError("zeta must be positive on the data's hull [min x, max x]")
    basis = _basis(x, zeta_fn, x, 0)  # (n, n−2)
    system = np.concatenate([np.ones((x.size, 1)), x[:, None], basis], axis=1)
    solution = np.linalg.solve(system, y)
    moments = np.concatenate([[0.0], solution[2:], [0.0]])
    return WeightedSpline(knots=x, values=y, affine=solution[:2], moments=moments, zeta=zeta_fn)


def jin23_kernel(
    x1: Float[ArrayLike, " n"], x2: Float[ArrayLike, " m"], init: str = "uniform", *,
    weight_scale: float = 1.0, bias_scale: float = 1.0,
) -> np.ndarray:
    """K(x, x') = E[[Wx + B]_+ [Wx' + B]_+], the infinite-width kernel of output-layer training.

    Gaussian: the degree-1 arc-cosine kernel of u = (σ_w x, σ_b):
    ‖u‖‖u'‖(sin θ + (π − θ) cos θ)/(2π). Uniform: the integral over B is done exactly (a cubic
    in its lower limit max(−a_b, −wx, −wx')), the one over W by 400-node Gauss–Legendre on each
    half-line. The kernel interpolant K(·, X)K(X, X)^{-1}y is the n → ∞ limit of GD on the output
    layer from f₀ ≡ 0 (the min-norm interpolant of the random features).

    Returns:
      ``(n, m)`` float64.
    """
    x1 = np.asarray(x1, dtype=float)[:, None]
    x2 = np.asarray(x2, dtype=float)[None, :]
    a_w, a_b = float(weight_scale), float(bias_scale)
    if init == "gaussian":
        n1, n2 = np.hypot(a_w * x1, a_b), np.hypot(a_w * x2, a_b)
        cosine = np.clip((a_w**2 * x1 * x2 + a_b**2) / (n1 * n2), -1.0, 1.0)
        theta = np.arccos(cosine)
        return n1 * n2 * (np.sin(theta) + (np.pi - theta) * cosine) / (2.0 * np.pi)
    if init != "uniform":
        raise ValueError(f"init must be 'uniform' or 'gaussian', got {init!r}")
    nodes, weights = np.polynomial.legendre.leggauss(400)
    half = 0.5 * a_w * (nodes + 1.0)
    # W on (−a_w, 0) and (0, a_w) separately: the integrand has a kink at W = 0
    w = np.concatenate([-half, half])[:, None, None]
    quadrature = np.concatenate([0.5 * a_w * weights] * 2)
    p, q = w * x1[None], w * x2[None]
    lower = np.maximum(np.maximum(-a_b, -p), -q)

    def antiderivative(b):
        return b**3 / 3.0 + (p + q) * b**2 / 2.0 + p * q * b

    inner = np.where(lower < a_b, antiderivative(a_b) - antiderivative(lower), 0.0)
    return np.tensordot(quadrature, inner, axes=1) / (2.0 * a_w * 2.0 * a_b)


def jin23_width_fluctuation(
    x: Float[ArrayLike, " n"], y: Float[ArrayLike, " n"], grid: Float[ArrayLike, " g"], init: str = "uniform", *,
    weight_scale: float = 1.0, bias_scale: float = 1.0, samples: int = 40_000, seed: int = 0,
) -> np.ndarray:
    """s(x) with sd[f_m(x) − f_∞(x)] ≈ s(x)/√m for the min-norm interpolant of m random features.

    **Derivation (first-order perturbation).** With m i.i.d. features φ_k(x) = [w_k x + b_k]_+,
    K_m = (1/m)Σ_k φ_kφ_kᵀ = K + ΔK and f_m = K_m(·, X)K_m(X, X)^{-1}y. To first order in ΔK,
    f_m − f_∞ = (1/m) Σ_k ξ_k with ξ_k(x) = e_k(x)·φ_k(X)ᵀα, α = K^{-1}y and
    e_k(x) = φ_k(x) − K(x, X)K^{-1}φ_k(X) (the part of feature k the kernel interpolant misses);
    E ξ_k = 0, so sd[f_m(x) − f_∞(x)] = sd(ξ(x))/√m: the O(m^{−1/2}) rate of the theorem with an
    explicit constant. sd(ξ) is estimated here from ``samples`` features drawn with numpy's
    generator ``seed`` (independent of any training run) and K from :func:`jin23_kernel`.

    Returns:
      s on ``grid``, float64.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    grid = np.asarray(grid, dtype=float)
    rng = np.random.default_rng(seed)
    if init == "gaussian":
        w, b = weight_scale * rng.standard_normal(samples), bias_scale * rng.standard_normal(samples)
    elif init == "uniform":
        w, b = rng.uniform(-weight_scale, weight_scale, samples), rng.uniform(-bias_scale, bias_scale, samples)
    else:
        raise ValueError(f"init must be 'uniform' or 'gaussian', got {init!r}")
    kernel = jin23_kernel(x, x, init, weight_scale=weight_scale, bias_scale=bias_scale)
    cross = jin23_kernel(grid, x, init, weight_scale=weight_scale, bias_scale=bias_scale)
    alpha = np.linalg.solve(kernel, y)
    features = np.maximum(np.outer(x, w) + b, 0.0)  # (n, samples)
    projection = cross @ np.linalg.solve(kernel, features)  # K(grid, X)K^{-1}φ(X): (g, samples)
    moments = np.zeros(grid.size)
    coefficient = features.T @ alpha  # φ_k(X)ᵀα
    for start in range(0, grid.size, 64):  # the (grid, samples) residual in row blocks
        rows = slice(start, start + 64)
        residual = np.maximum(np.outer(grid[rows], w) + b, 0.0) - projection[rows]
        moments[rows] = np.var(residual * coefficient[None, :], axis=1)
    return np.sqrt(moments)
