"""The noise band of a paired comparison (population-based training against independent runs)."""

import numpy as np


def paired_noise_band(differences, confidence=0.99) -> float:
    """The one-sided Student-t margin ``t_{confidence, n−1}·sd(d)/√n`` of the mean of n paired differences.

    **Statement.** If the n differences d_s (population best minus independent best, one per
    replicate experiment, each experiment sharing initial weights, initial hyperparameters and
    batch keys between its two arms) are independent draws from a normal law with mean δ, then
    ``P(d̄ − δ > band) = 1 − confidence``: the claim δ <= 0 is rejected at level
    ``1 − confidence`` exactly when ``d̄ > band``. sd is the sample standard deviation
    (``ddof = 1``). n >= 2.

    Examples:
      >>> round(paired_noise_band([1.0, 2.0, 3.0], 0.99), 4)   # t_{0.99,2} = 6.9646, sd = 1
      4.021
    """
    from scipy import stats

    d = np.asarray(differences, dtype=float).ravel()
    if d.size < 2:
        raise ValueError(f"differences needs at least 2 values (got {d.size}); raise the number of replicates")
    if not 0.5 < float(confidence) < 1.0:
        raise ValueError(f"confidence must lie in (0.5, 1), got {confidence!r}")
    return float(stats.t.ppf(confidence, d.size - 1) * np.std(d, ddof=1) / np.sqrt(d.size))
