"""The depth-D scalar chain, the exactly solvable surrogate of a deep linear conv net without
normalisation (Dai & Heckel 2019; shared/THEORY.md §6).

f = Π_{l=1}^D w_l with the balanced start w_l = w₀ < 1 and target 1: gradient flow keeps the
chain balanced, ẇ = w^{D−1}(1 − w^D), and the time to escape the saddle region is dominated by
∫_{w₀} w^{1−D} dw = w₀^{2−D}/(D − 2).
"""

import numpy as np
from scipy import integrate


def daiheckel19_escape_steps(w0: float, depth: int, lr: float) -> float:
    """``k* = w₀^{2−D}/((D − 2)·η)``: the GD steps a balanced scalar chain needs to leave its
    starting plateau (the blow-up time of ẇ = w^{D−1}, divided by η). Needs ``D ≥ 3``, ``0 < w₀ < 1``."""
    if depth < 3 or not 0 < w0 < 1 or not lr > 0:
        raise ValueError(f"need depth >= 3, 0 < w0 < 1 and lr > 0, got {depth}, {w0}, {lr}")
    return w0 ** (2 - depth) / ((depth - 2) * lr)


def scalar_chain_flow_steps(w0: float, depth: int, lr: float, loss_threshold: float) -> float:
    """``(1/η)∫_{w₀}^{w_ε} dw/(w^{D−1}(1 − w^D))`` with ½(1 − w_ε^D)² = ε: the gradient-flow time
    (in steps of η) for the balanced chain to reach loss ``ε``, by quadrature (the ``(1 − w^D)``
    factor that :func:`daiheckel19_escape_steps` drops is kept)."""
    w_end = (1.0 - np.sqrt(2.0 * loss_threshold)) ** (1.0 / depth)
    if not w0 < w_end:
        return 0.0
    value, _ = integrate.quad(lambda w: 1.0 / (w ** (depth - 1) * (1.0 - w**depth)), w0, w_end,
                              epsabs=0.0, epsrel=1e-12, limit=200)
    return value / lr
