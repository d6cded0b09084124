"""The natural-gradient flow of an over-parameterised model with a Gaussian output, in closed form."""

import numpy as np
from jaxtyping import ArrayLike


def natural_gradient_flow_outputs(f0: ArrayLike, y: ArrayLike, times: ArrayLike) -> np.ndarray:
    """Outputs ``f(t) = y + e^{−t}(f(0) − y)`` of the undamped natural-gradient flow (float64 numpy).

    **Statement.** For ``L(θ) = (1/2n)Σ_i‖f(θ, x_i) − y_i‖²`` (a unit-Gaussian output) the Fisher
    is ``F = JᵀJ/n`` and the gradient ``g = Jᵀr/n`` with ``J`` the ``(n·d_out) × P`` Jacobian and
    ``r = f − y``. Where ``J`` has full row rank (``P >= n·d_out``, the over-parameterised case)
    the pseudo-inverse direction ``d = F⁺g = J⁺r`` moves the outputs by ``ḟ = −Jd = −JJ⁺r = −r``:
    every output's residual decays as ``e^{−t}``, whatever the parameterisation (the function-space
    trajectory depends on ``f(0)`` and ``y`` only). Martens, JMLR 2020, arXiv:1412.1193, §9–10
    (the natural gradient as the Gauss–Newton step; function-space view).

    Args:
      f0: outputs at ``t = 0``, any shape.
      y: targets, the shape of ``f0``.
      times: ``(T,)`` times ``t >= 0``.

    Returns:
      ``(T, *f0.shape)`` outputs along the flow.

    Raises:
      ValueError: shapes that differ, or a negative or non-finite time.
    """
    f0, y, times = (np.asarray(a, dtype=np.float64) for a in (f0, y, times))
    if f0.shape != y.shape:
        raise ValueError(f"f0 and y must have the same shape, got {f0.shape} and {y.shape}")
    if times.ndim != 1 or not np.all(np.isfinite(times)) or np.any(times < 0):
        raise ValueError(f"times must be a 1-d array of finite times >= 0, got {times!r}")
    decay = np.exp(-times).reshape((-1,) + (1,) * f0.ndim)
    return y + decay * (f0 - y)
