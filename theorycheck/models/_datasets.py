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


def gaussian_mixture(
    key: PRNGKeyArray, n: int, dim: int, classes: int, *, separation: float = 3.0, noise: float = 1.0
) -> tuple[Float[Array, "n dim"], Float[Array, "n classes"], Array]:
    """A balanced Gaussian mixture for classification under the square loss.

    Class means are ``separation · e_c`` for ``c < min(classes, dim)`` (orthogonal, pairwise distance
    ``separation·√2``); with more classes than dimensions they are ``separation`` times random unit
    vectors. Each point is its class mean plus ``N(0, noise² I)``; labels cycle ``0, 1, …`` so the
    classes are balanced to within one sample, then the rows are shuffled.

    Returns ``(x, y_onehot, labels)``.
    """
    for name, value in (("n", n), ("dim", dim), ("classes", classes)):
        require_positive_int(name, value)
    if not float(noise) >= 0.0:
        raise ValueError(f"noise must be >= 0, got {noise!r}")
    key_means, key_noise, key_perm = jax.random.split(key, 3)
    if classes <= dim:
        means = separation * jnp.eye(classes, dim)
    else:
        directions = jax.random.normal(key_means, (classes, dim))
        means = separation * directions / jnp.linalg.norm(directions, axis=1, keepdims=True)
    labels = jax.random.permutation(key_perm, jnp.arange(n) % classes)
    x = means[labels] + noise * jax.random.normal(key_noise, (n, dim))
    return x, jax.nn.one_hot(labels, classes, dtype=x.dtype), labels


def teacher_student(
    key: PRNGKeyArray, teacher_apply, teacher_params, n: int, dim: int, *, noise: float = 0.0
) -> tuple[Float[Array, "n dim"], Array]:
    """Regression data labelled by a fixed teacher network: ``x ~ N(0, I_dim)``,
    ``y = teacher_apply(teacher_params, x) + N(0, noise²)``.

    ``teacher_apply``/``teacher_params`` are any ``Model``'s apply and parameters (e.g.
    ``models.mlp(...).init(key_teacher)``), so the same teacher can label train and test sets drawn
    with different keys. Returns ``(x, y)``.
    """
    for name, value in (("n", n), ("dim", dim)):
        require_positive_int(name, value)
    if not float(noise) >= 0.0:
        raise ValueError(f"noise must be >= 0, got {noise!r}")
    key_x, key_noise = jax.random.split(key)
    x = jax.random.normal(key_x, (n, dim))
    y = teacher_apply(teacher_params, x)
    return x, y + noise * jax.random.normal(key_noise, y.shape, y.dtype)
