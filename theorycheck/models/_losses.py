"""Soft-set confusion-matrix losses (Tsoi et al., NeurIPS 2022), usable as any simulator's loss.

A binary classifier's F1 or accuracy is a function of the confusion matrix, whose entries count
set membership through the Heaviside step 1{p ≥ τ}: its gradient is zero almost everywhere. Tsoi,
Candon, Li, Milkessa and Vázquez ("Bridging the Gap: Unifying the Training and Evaluation of Neural
Network Binary Classifiers", NeurIPS 2022, arXiv:2009.01367) replace the step by a piecewise-linear
approximation H_{τ,δ} and count *soft* set membership: with p_i the predicted probability of the
positive class and y_i ∈ {0, 1},

    TP = Σ yᵢ H(pᵢ),   FN = Σ yᵢ (1 − H(pᵢ)),   FP = Σ (1 − yᵢ) H(pᵢ),   TN = Σ (1 − yᵢ)(1 − H(pᵢ)),

so TP + FN = #positives and FP + TN = #negatives exactly (the partition-correct form; the released
``torch-btg`` code swaps p ↔ 1 − p and τ ↔ 1 − τ per entry and does not partition), and at
pᵢ ∈ {0, 1} the entries are the hard confusion matrix. A metric is computed on the soft matrix and
averaged over the thresholds τ ∈ {0.1, …, 0.9} (``torch.arange(0.1, 1, 0.1)`` in ``torch-btg``);
the loss is 1 − that mean.

The functions here are JAX (differentiable, jit/vmap-able, δ may be traced); the independent
float64 reference (the knots of H, the hard confusion matrix) is :mod:`bounds._soft_confusion`.
They live in :mod:`models` because they are functions of a model's output, as the square loss is;
the simulators in :mod:`dynamics` take any ``loss_fn`` and stay agnostic of it.
"""

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from ._model import Model

# τ ∈ {0.1, …, 0.9}, as torch-btg's torch.arange(0.1, 1, 0.1) (written as k/10: no drift)
DEFAULT_THRESHOLDS = tuple(k / 10 for k in range(1, 10))
SIGMOID_SLOPE = 10.0  # torch-btg's sig(k=10): the saturating surrogate the paper argues against
SURROGATES = ("linear", "sigmoid", "step")
METRICS = ("f1", "accuracy")


def tsoi22_heaviside(p: Float[ArrayLike, "..."], tau: Float[ArrayLike, "..."], delta) -> Float[Array, "..."]:
    """The piecewise-linear Heaviside approximation H_{τ,δ}(p) on p ∈ [0, 1].

    **Statement** (Tsoi et al. 2022; the formula of ``torch-btg``'s ``linear_approx(delta)``,
    without its 1e-7 guard): with τ_m = min(τ, 1 − τ),

        H(p) = p·δ/(τ − τ_m/2)                                   p < τ − τ_m/2
             = (1 − 2δ)/τ_m · (p − τ) + ½                        τ − τ_m/2 ≤ p ≤ τ + τ_m/2
             = m₃ p + 1 − δ − m₃(τ + τ_m/2),  m₃ = δ/(1 − τ − τ_m/2)   p > τ + τ_m/2

    i.e. the linear interpolant of (0, 0), (τ − τ_m/2, δ), (τ, ½), (τ + τ_m/2, 1 − δ), (1, 1):
    H(0) = 0, H(τ) = ½, H(1) = 1, and for 0 < δ < ½ strictly increasing (no saturation, unlike a
    sigmoid, so the gradient never vanishes).

    Args:
      p: predicted probabilities (broadcast against ``tau``).
      tau: thresholds, in (0, 1).
      delta: δ, in (0, ½) (a Python number or a traced scalar).
    """
    p, tau = jnp.asarray(p), jnp.asarray(tau)
    tau_m = jnp.minimum(tau, 1.0 - tau)
    low, high = tau - tau_m / 2, tau + tau_m / 2
    m1 = delta / low
    m2 = (1.0 - 2.0 * delta) / tau_m
    m3 = delta / (1.0 - high)
    return jnp.where(p < low, m1 * p, jnp.where(p > high, m3 * p + (1.0 - delta - m3 * high), m2 * (p - tau) + 0.5))


def sigmoid_heaviside(p: Float[ArrayLike, "..."], tau: Float[ArrayLike, "..."], slope=SIGMOID_SLOPE) -> Float[Array, "..."]:
    """The sigmoid surrogate σ(k(p − τ)) (``torch-btg``'s ``sig(k=10)``): H(τ) = ½, but H(0) > 0
    and H(1) < 1, so it does not reproduce the hard confusion matrix at 0/1 predictions."""
    return jax.nn.sigmoid(slope * (jnp.asarray(p) - jnp.asarray(tau)))


def step_heaviside(p: Float[ArrayLike, "..."], tau: Float[ArrayLike, "..."]) -> Float[Array, "..."]:
    """The step itself, 1{p > τ} + ½·1{p = τ}: H(0) = 0, H(τ) = ½, H(1) = 1 and the exact hard
    confusion matrix at 0/1 predictions, but a zero gradient almost everywhere (the reason the
    paper replaces it by a surrogate)."""
    p, tau = jnp.asarray(p), jnp.asarray(tau)
    return jnp.where(p > tau, 1.0, jnp.where(p == tau, 0.5, 0.0)).astype(jnp.result_type(p, tau))


def heaviside(surrogate: str, p, tau, delta) -> Float[Array, "..."]:
    """``tsoi22_heaviside(p, τ, δ)`` for ``surrogate="linear"``, ``sigmoid_heaviside(p, τ)`` for
    ``"sigmoid"``, ``step_heaviside(p, τ)`` for ``"step"`` (δ unused by the last two)."""
    if surrogate == "linear":
        return tsoi22_heaviside(p, tau, delta)
    if surrogate == "sigmoid":
        return sigmoid_heaviside(p, tau)
    if surrogate == "step":
        return step_heaviside(p, tau)
    raise ValueError(f"surrogate must be one of {list(SURROGATES)}, got {surrogate!r}")


def soft_confusion_matrix(
    probabilities: Float[ArrayLike, " n"], labels: Float[ArrayLike, " n"], *, thresholds=DEFAULT_THRESHOLDS,
    delta=0.2, surrogate: str = "linear",
) -> Float[Array, "t 4"]:
    """The soft-set confusion matrix ``[TP, FN, FP, TN]`` at each threshold (rows: thresholds).

    TP = Σ yᵢH(pᵢ), FN = Σ yᵢ(1 − H(pᵢ)), FP = Σ (1 − yᵢ)H(pᵢ), TN = Σ (1 − yᵢ)(1 − H(pᵢ)) with
    H = H_{τ,δ} (``surrogate="linear"``) or the sigmoid surrogate. ``labels`` are 0/1 (floats).
    """
    p = jnp.asarray(probabilities)
    y = jnp.asarray(labels, dtype=p.dtype)
    tau = jnp.asarray(thresholds, dtype=p.dtype)
    member = heaviside(surrogate, p[None, :], tau[:, None], delta)  # (t, n)
    outside = 1.0 - member
    return jnp.stack(
        [member @ y, outside @ y, member @ (1.0 - y), outside @ (1.0 - y)], axis=-1
    )


def f1_from_confusion(confusion: Float[ArrayLike, "... 4"]) -> Float[Array, "..."]:
    """F1 = 2TP/(2TP + FP + FN) from ``[TP, FN, FP, TN]`` (0 where the denominator is 0)."""
    confusion = jnp.asarray(confusion)
    tp, fn, fp = confusion[..., 0], confusion[..., 1], confusion[..., 2]
    denominator = 2.0 * tp + fp + fn
    safe = jnp.where(denominator > 0, denominator, 1.0)
    return jnp.where(denominator > 0, 2.0 * tp / safe, 0.0)


def accuracy_from_confusion(confusion: Float[ArrayLike, "... 4"]) -> Float[Array, "..."]:
    """(TP + TN)/(TP + FN + FP + TN) from ``[TP, FN, FP, TN]``."""
    confusion = jnp.asarray(confusion)
    return (confusion[..., 0] + confusion[..., 3]) / jnp.sum(confusion, axis=-1)


def soft_metric_loss(
    probabilities: Float[ArrayLike, " n"], labels: Float[ArrayLike, " n"], *, metric: str = "f1",
    thresholds=DEFAULT_THRESHOLDS, delta=0.2, surrogate: str = "linear",
) -> Float[Array, ""]:
    """1 − mean over τ of the metric (``"f1"`` or ``"accuracy"``) on the soft confusion matrix."""
    confusion = soft_confusion_matrix(probabilities, labels, thresholds=thresholds, delta=delta, surrogate=surrogate)
    if metric == "f1":
        values = f1_from_confusion(confusion)
    elif metric == "accuracy":
        values = accuracy_from_confusion(confusion)
    else:
        raise ValueError(f"metric must be one of {list(METRICS)}, got {metric!r}")
    return 1.0 - jnp.mean(values)


def classifier_loss(
    model: Model, loss: str = "f1", *, link: Callable[[Array], Array] = jax.nn.sigmoid,
    thresholds=DEFAULT_THRESHOLDS, delta=0.2, surrogate: str = "linear",
) -> Callable[[Any, tuple[Array, Array]], Array]:
    """``loss_fn(params, (x, y)) -> scalar`` for a binary classifier, for any simulator.

    The model's output (one logit per sample, shape ``(n,)`` or ``(n, 1)``) goes through ``link``
    (default the logistic function) to a probability p; the loss is ``"f1"`` or ``"accuracy"``
    (:func:`soft_metric_loss`: 1 − the metric averaged over the thresholds) or ``"mse"``
    (mean (p − y)², the Brier score). ``delta`` may be a traced scalar, so a sweep over it is one
    ``vmap``. Use it with :func:`dynamics.sgd` directly, or close over the data for
    :func:`dynamics.gradient_descent`: ``lambda params: loss_fn(params, (x, y))``.

    Raises:
      ValueError: an unknown ``loss`` or ``surrogate``.
    """
    if loss not in (*METRICS, "mse"):
        raise ValueError(f"loss must be one of {[*METRICS, 'mse']}, got {loss!r}")
    if surrogate not in SURROGATES:
        raise ValueError(f"surrogate must be one of {list(SURROGATES)}, got {surrogate!r}")

    def loss_fn(params, batch):
        x, y = batch
        p = link(model.apply(params, x).reshape(x.shape[0]))
        y = jnp.asarray(y, dtype=p.dtype).reshape(x.shape[0])
        if loss == "mse":
            return jnp.mean((p - y) ** 2)
        return soft_metric_loss(p, y, metric=loss, thresholds=thresholds, delta=delta, surrogate=surrogate)

    return loss_fn
