"""Exact information and correlation of variables after dropout (Chen et al. 2019,
arXiv:1905.05928; shared/THEORY.md §14)."""

import numpy as np


def mutual_information(table: np.ndarray) -> float:
    """``I(X; Y)`` in nats of a joint probability table ``P[i, j]`` (rows X, columns Y)."""
    table = np.asarray(table, dtype=float)
    px, py = table.sum(axis=1, keepdims=True), table.sum(axis=0, keepdims=True)
    positive = table > 0
    return float(np.sum(table[positive] * np.log(table[positive] / (px @ py)[positive])))


def dropout_joint_table(table, x_values, y_values, keep_prob: float):
    """The exact joint table of ``(δ₁X, δ₂Y)`` with independent masks ``δ ~ Bernoulli(q)``.

    Args:
      table: ``P[i, j] = P(X = x_i, Y = y_j)``.
      x_values, y_values: the support points (distinct).
      keep_prob: ``q``.

    Returns:
      ``(joint, u_values, v_values)``: the table over the distinct values of ``δ₁X`` and ``δ₂Y``
      (``0`` merged with any support point equal to 0).
    """
    table = np.asarray(table, dtype=float)
    u_values = np.unique(np.append(np.asarray(x_values, float), 0.0))
    v_values = np.unique(np.append(np.asarray(y_values, float), 0.0))
    iu = np.searchsorted(u_values, x_values)
    iv = np.searchsorted(v_values, y_values)
    zu, zv = np.searchsorted(u_values, 0.0), np.searchsorted(v_values, 0.0)
    joint = np.zeros((u_values.size, v_values.size))
    q = keep_prob
    for d1, p1 in ((1, q), (0, 1 - q)):
        for d2, p2 in ((1, q), (0, 1 - q)):
            rows = iu if d1 else np.full_like(iu, zu)
            cols = iv if d2 else np.full_like(iv, zv)
            np.add.at(joint, (rows[:, None], cols[None, :]), p1 * p2 * table)
    return joint, u_values, v_values


def dropout_correlation_sd(keep_prob: float, rho: float) -> float:
    """The asymptotic standard deviation (× √M) of the sample correlation of ``(δ₁X, δ₂Y)`` for a
    zero-mean bivariate normal ``(X, Y)`` with correlation ``ρ``, by the delta method:
    ``M·Var r̂ = E[u²v²] − r(E[u³v] + E[uv³]) + r²/4·(E u⁴ + E v⁴ + 2E[u²v²])`` on the standardised
    ``u, v`` with ``r = qρ``, ``E[u²v²] = 1 + 2ρ²``, ``E[u³v] = 3ρ``, ``E u⁴ = 3/q``."""
    q, r = keep_prob, keep_prob * rho
    m22 = 1.0 + 2.0 * rho**2
    variance = m22 - r * 6.0 * rho + r**2 / 4.0 * (6.0 / q + 2.0 * m22)
    return float(np.sqrt(variance))


def mutual_information_condition(table: np.ndarray) -> float:
    """``Σ|tᵢⱼ| / |Σ tᵢⱼ|`` for the terms ``tᵢⱼ = P log(P/(P_x P_y))`` of :func:`mutual_information`:
    how much the rounding of the terms is amplified by cancellation in their sum."""
    table = np.asarray(table, dtype=float)
    px, py = table.sum(axis=1, keepdims=True), table.sum(axis=0, keepdims=True)
    positive = table > 0
    terms = table[positive] * np.log(table[positive] / (px @ py)[positive])
    return float(np.sum(np.abs(terms)) / abs(np.sum(terms)))
