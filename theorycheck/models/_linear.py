"""Linear networks: diagonal (Woodworth et al. 2020) and deep fully connected (Saxe et al.)."""

import jax
import jax.numpy as jnp

from ._model import Model, require_positive, require_positive_int


def diagonal_linear_params(alpha, dim: int, alpha_minus=None):
    """Initial parameters ``w₊ = α·1``, ``w₋ = α₋·1`` (``α₋ = α`` unless given).

    ``alpha`` may be a traced array, so a sweep over the init scale is one ``vmap``.
    """
    alpha = jnp.asarray(alpha)
    alpha_minus = alpha if alpha_minus is None else jnp.asarray(alpha_minus)
    ones = jnp.ones((dim,), dtype=jnp.result_type(alpha, float))
    return {"w_plus": alpha * ones, "w_minus": alpha_minus * ones}


def diagonal_linear_predictor(params, depth: int):
    """The linear predictor ``β = w₊^D − w₋^D`` of a depth-``D`` diagonal linear network."""
    return params["w_plus"] ** depth - params["w_minus"] ** depth


def diagonal_linear(dim: int, depth: int, *, alpha: float, alpha_minus: float | None = None) -> Model:
    """A depth-``D`` diagonal linear network ``f(x) = ⟨w₊^D − w₋^D, x⟩``.

    Woodworth et al., "Kernel and Rich Regimes in Overparametrized Models", COLT 2020
    (arXiv:2002.09277). Initialised deterministically at ``w₊ = w₋ = α·1`` so that ``β(0) = 0``
    (the "unbiased" initialisation of the theorem); ``alpha_minus`` breaks that hypothesis.
    ``init`` ignores its key.
    """
    require_positive_int("dim", dim)
    require_positive_int("depth", depth)
    if depth < 2:
        raise ValueError(f"depth must be >= 2 for a diagonal linear network, got {depth}")
    require_positive("alpha", alpha)
    if alpha_minus is not None:
        require_positive("alpha_minus", alpha_minus)

    def init(key):
        del key
        return diagonal_linear_params(alpha, dim, alpha_minus)

    def apply(params, x):
        return x @ diagonal_linear_predictor(params, depth)

    return Model(init, apply)


def deep_linear(
    width: int, depth: int, *, init: str = "gaussian", d_in: int | None = None, d_out: int | None = None
) -> Model:
    """A deep linear network ``x ↦ x W₁ W₂ ⋯ W_depth`` (no biases).

    ``gaussian``: entries ``N(0, 1/fan_in)``; ``orthogonal``: Haar-orthogonal (scaled
    semi-orthogonal for rectangular layers), the dynamical-isometry initialisation of
    Saxe et al. (2014) and Pennington et al. (2017). Params: a list of matrices.
    """
    require_positive_int("width", width)
    require_positive_int("depth", depth)
    d_in = width if d_in is None else require_positive_int("d_in", d_in)
    d_out = width if d_out is None else require_positive_int("d_out", d_out)
    if init not in ("gaussian", "orthogonal"):
        raise ValueError(f"init={init!r} is unknown; use 'gaussian' or 'orthogonal'")
    shapes = [(d_in if i == 0 else width, d_out if i == depth - 1 else width) for i in range(depth)]
    orthogonal = jax.nn.initializers.orthogonal()

    def init_fn(key):
        weights = []
        for layer_key, shape in zip(jax.random.split(key, depth), shapes):
            if init == "orthogonal":
                weights.append(orthogonal(layer_key, shape))
            else:
                weights.append(jax.random.normal(layer_key, shape) / jnp.sqrt(shape[0]))
        return weights

    def apply(params, x):
        for w in params:
            x = x @ w
        return x

    return Model(init_fn, apply)
