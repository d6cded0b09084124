"""How long gradient flow on a diagonal linear network takes to fit the data (a rigorous bound).

**Statement.** For β = w₊^D − w₋^D under gradient flow on L = ‖Xβ − y‖²/(2n) from
w₊(0) = α₊·1, w₋(0) = α₋·1, the residual r = Xβ − y obeys

    ‖r(t)‖ ≤ ‖r(0)‖ · exp(−m · λ_min(XXᵀ) · t / n),

with m a lower bound on every coordinate's metric M_i = D²(w₊ᵢ^{2D−2} + w₋ᵢ^{2D−2}) that holds
along the whole flow: m = 2D²·α₊α₋ for D = 2, and m = 2D²·S^{−(2D−2)/(D−2)} with
S = α₊^{2−D} + α₋^{2−D} for D ≥ 3. Hence the residual is at most ``residual`` by the time
t* = n·log(‖r(0)‖/residual) / (m·λ_min(XXᵀ)).

**Proof.** By the chain rule dβ/dt = −M(t)·Xᵀr/n exactly (M diagonal, as above), so
d‖r‖²/dt = −2rᵀXMXᵀr/n ≤ −2·min_i M_i·λ_min(XXᵀ)‖r‖²/n. The flow conserves w₊w₋ = α₊α₋ for
D = 2 (d log w± /dt = ∓2g), so w₊² + w₋² ≥ 2α₊α₋; for D ≥ 3 it conserves
w₊^{2−D} + w₋^{2−D} = S (d(w±^{2−D})/dt = ±D(D−2)g; :mod:`bounds._diagonal_linear`), so each
w ≥ S^{−1/(D−2)} and M_i ≥ 2D²S^{−(2D−2)/(D−2)}. Grönwall gives the claim. (For D ≥ 3 this is
2^{(2D−2)/(D−2)} below the true minimum of M on the conserved curve, reached at w₊ = w₋: a
safe, somewhat long horizon; for D = 2 it is exact.) The bound scales as
α^{−(2D−2)}: the off-support coordinates, which stay near α in the rich regime, carry the last
directions of the residual, which is why small α and large D need very long horizons
(Woodworth et al., COLT 2020, arXiv:2002.09277, §4 discuss the same time scale).
"""

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import ArrayLike, Float

from ._diagonal_linear import _alpha, _data, _depth


def _traced(*values) -> bool:
    return any(isinstance(v, jax.core.Tracer) for v in values)


def woodworth20_metric_lower_bound(alpha_plus, alpha_minus, depth: int):
    """m ≤ D²(w₊ᵢ^{2D−2} + w₋ᵢ^{2D−2}) for every coordinate and time of the flow (module docstring).

    Works on floats (validated, returns a float) and on traced JAX scalars (inside ``jit``, so a
    simulator can derive its own horizon from data).
    """
    depth = _depth(depth)
    xp = jnp if _traced(alpha_plus, alpha_minus) else np
    if xp is np:
        alpha_plus, alpha_minus = _alpha(alpha_plus), _alpha(alpha_minus)
    if depth == 2:
        return 2.0 * depth**2 * alpha_plus * alpha_minus
    # S^{−(2D−2)/(D−2)} in logs: α^{2−D} overflows for small α and large D
    log_s = xp.logaddexp((2 - depth) * xp.log(alpha_plus), (2 - depth) * xp.log(alpha_minus))
    bound = 2.0 * depth**2 * xp.exp(-(2 * depth - 2) / (depth - 2) * log_s)
    return float(bound) if xp is np else bound


def woodworth20_residual_time(
    X: Float[ArrayLike, "n d"],
    y: Float[ArrayLike, " n"],
    alpha_plus: float,
    alpha_minus: float,
    depth: int,
    residual: float,
):
    """The time t* by which gradient flow has ‖Xβ − y‖ ≤ ``residual`` (module docstring).

    Args:
      X, y: the data, ``(n, d)`` with ``d > n`` and full row rank, and ``(n,)``.
      alpha_plus, alpha_minus: the initial scales of w₊ and w₋.
      depth: D >= 2.
      residual: the target residual norm, > 0.

    Returns:
      t* (0 if the start already fits to ``residual``; ``inf`` if XXᵀ is singular): a float for
      concrete inputs (validated), a JAX scalar for traced ones (inside ``jit``, unvalidated).
    """
    depth = _depth(depth)
    if not (np.isfinite(residual) and residual > 0):
        raise ValueError(f"residual must be a finite number > 0, got {residual!r}")
    xp = jnp if _traced(X, y, alpha_plus, alpha_minus) else np
    if xp is np:
        X, y = _data(X, y)
    beta0 = alpha_plus**depth - alpha_minus**depth
    start = xp.linalg.norm(X.sum(axis=1) * beta0 - y)
    smallest = xp.linalg.eigvalsh(X @ X.T)[0]
    rate = woodworth20_metric_lower_bound(alpha_plus, alpha_minus, depth) * smallest / X.shape[0]
    t_star = xp.where(smallest > 0, xp.log(xp.maximum(start, residual) / residual) / rate, xp.inf)
    return float(t_star) if xp is np else t_star
