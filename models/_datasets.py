"""Small synthetic data sets used by the papers' minimal setups."""

import jax
import jax.numpy as jnp
import numpy as np

from jaxtyping import Array, Float, PRNGKeyArray

from ._model import require_positive_int


def chebyshev_regression(degree: int = 5, n: int = 20) -> tuple[Float[Array, "n 1"], Float[Array, "n 1"]]:
    """Cohen et al.'s ``chebyshev-{degree}-{n}``: ``n`` evenly spaced points on ``[-1, 1]``
    labelled by the Chebyshev polynomial ``T_degree`` (locuslab/edge-of-stability ``synthetic.py``).

    Returns ``(x, y)`` of shapes ``(n, 1)``, ``(n, 1)``.
    """
    require_positive_int("n", n)
    if isinstance(degree, bool) or not isinstance(degree, int) or degree < 0:
        raise ValueError(f"degree must be a non-negative integer, got {degree!r}")
    x = np.linspace(-1.0, 1.0, n)
    y = np.polynomial.chebyshev.chebval(x, [0.0] * degree + [1.0])
    return jnp.asarray(x[:, None]), jnp.asarray(y[:, None])


def sparse_regression(
    key: PRNGKeyArray, n: int, d: int, sparsity: int
) -> tuple[Float[Array, "n d"], Float[Array, " n"], Float[Array, " d"]]:
    """Woodworth et al.'s sparse regression: ``X ~ N(0, 1)^{n×d}``, ``β*`` with ``sparsity``
    non-zeros equal to ``1/sqrt(sparsity)`` on a random support, noiseless ``y = X β*``.

    Returns ``(X, y, beta_star)``.
    """
    for name, value in (("n", n), ("d", d), ("sparsity", sparsity)):
        require_positive_int(name, value)
    if sparsity > d:
        raise ValueError(f"sparsity must be <= d={d}, got {sparsity}")
    key_x, key_support = jax.random.split(key)
    x = jax.random.normal(key_x, (n, d))
    support = jax.random.permutation(key_support, d)[:sparsity]
    beta_star = jnp.zeros((d,), x.dtype).at[support].set(1.0 / np.sqrt(sparsity))
    return x, x @ beta_star, beta_star
