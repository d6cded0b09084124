"""Closed forms for the soft-set confusion matrix (Tsoi et al., NeurIPS 2022), in float64 numpy.

The independent reference for :mod:`models._losses`: the piecewise-linear Heaviside approximation
H_{τ,δ} is the linear interpolant of five knots, so ``np.interp`` through them evaluates it without
the slope formula; the hard confusion matrix is a count.

**Statement** (Tsoi, Candon, Li, Milkessa, Vázquez, "Bridging the Gap: Unifying the Training and
Evaluation of Neural Network Binary Classifiers", NeurIPS 2022, arXiv:2009.01367; the formula
checked against ``linear_approx(delta)`` of their ``torch-btg`` code). With τ_m = min(τ, 1 − τ),
a = τ − τ_m/2 and b = τ + τ_m/2, H_{τ,δ} has slopes δ/a on [0, a], (1 − 2δ)/τ_m on [a, b] and
δ/(1 − b) on [b, 1] and passes through (0, 0), (a, δ), (τ, ½), (b, 1 − δ), (1, 1). For τ ∈ (0, 1)
the knots are strictly ordered (a ≥ τ/2 > 0, b ≤ (1 + τ)/2 < 1), so for 0 < δ < ½ every slope is
positive: H(0) = 0, H(τ) = ½, H(1) = 1 and H is strictly increasing with slope ≥
min(δ/a, (1 − 2δ)/τ_m, δ/(1 − b)).
"""

import numpy as np
from jaxtyping import ArrayLike, Float


def tsoi22_heaviside_knots(tau: float, delta: float) -> tuple[np.ndarray, np.ndarray]:
    """The knots ``(p, H(p))`` of H_{τ,δ}: (0, 0), (a, δ), (τ, ½), (b, 1 − δ), (1, 1).

    Raises:
      ValueError: unless 0 < τ < 1 and 0 ≤ δ ≤ ½.
    """
    if not 0.0 < tau < 1.0:
        raise ValueError(f"the threshold tau must lie in (0, 1), got {tau!r}")
    if not 0.0 <= delta <= 0.5:
        raise ValueError(f"delta must lie in [0, 1/2], got {delta!r}")
    tau_m = min(tau, 1.0 - tau)
    p = np.array([0.0, tau - tau_m / 2, tau, tau + tau_m / 2, 1.0])
    h = np.array([0.0, delta, 0.5, 1.0 - delta, 1.0])
    return p, h


def tsoi22_heaviside_reference(p: Float[ArrayLike, "..."], tau: float, delta: float) -> np.ndarray:
    """H_{τ,δ}(p) as the linear interpolant of its knots (``np.interp``), for p ∈ [0, 1]."""
    knots, values = tsoi22_heaviside_knots(tau, delta)
    return np.interp(np.asarray(p, dtype=float), knots, values)


def tsoi22_heaviside_slopes(tau: float, delta: float) -> np.ndarray:
    """The three slopes (δ/a, (1 − 2δ)/τ_m, δ/(1 − b)) of H_{τ,δ}; their minimum bounds H' below."""
    knots, values = tsoi22_heaviside_knots(tau, delta)
    slopes = np.diff(values) / np.diff(knots)
    return np.array([slopes[0], slopes[1], slopes[3]])  # the middle band is one line through (τ, ½)


def hard_confusion_matrix(predictions: Float[ArrayLike, " n"], labels: Float[ArrayLike, " n"]) -> np.ndarray:
    """``[TP, FN, FP, TN]`` of 0/1 ``predictions`` against 0/1 ``labels`` (counts, float64)."""
    yhat = np.asarray(predictions) > 0.5
    y = np.asarray(labels) > 0.5
    return np.array([np.sum(yhat & y), np.sum(~yhat & y), np.sum(yhat & ~y), np.sum(~yhat & ~y)], dtype=float)


def hard_f1(predictions: Float[ArrayLike, " n"], labels: Float[ArrayLike, " n"]) -> float:
    """F1 = 2TP/(2TP + FP + FN) of 0/1 ``predictions`` (0 when there is nothing to count)."""
    tp, fn, fp, _ = hard_confusion_matrix(predictions, labels)
    denominator = 2 * tp + fp + fn
    return float(2 * tp / denominator) if denominator > 0 else 0.0
