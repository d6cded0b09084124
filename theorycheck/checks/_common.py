"""Small helpers shared by the check modules (array export and figure set-up)."""

import numpy as np
from jax.flatten_util import ravel_pytree


def flat_numpy(params) -> np.ndarray:
    """A parameter pytree as one flat numpy vector (for the ``.npz`` record)."""
    return np.asarray(ravel_pytree(params)[0])


def figure(rows: int = 1, cols: int = 1, **kwargs):
    """A matplotlib figure on the non-interactive Agg canvas (no display needed)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=kwargs.pop("figsize", (6.4 * cols, 3.2 * rows)), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False, **kwargs)
    return fig, axes


def default_plot(config, result, path) -> None:
    """The figure of a check that draws none: the prediction beside the measurement, and the
    error against its tolerance (both on a log scale where positive)."""
    import math

    fig, axes = figure(1, 2)
    left, right = axes[0]
    numbers = {"predicted": result.predicted, "measured": result.measured}
    shown = {k: float(v) for k, v in numbers.items() if v is not None and math.isfinite(float(v))}
    left.bar(list(shown), list(shown.values()), color=["C0", "C1"][: len(shown)])
    left.set_title("prediction and measurement")
    error, tolerance = float(result.error), float(result.tolerance)
    if math.isfinite(error) and math.isfinite(tolerance):
        right.bar(["error", "tolerance"], [error, tolerance], color=["C3", "C2"])
        if error > 0 and tolerance > 0:
            right.set_yscale("log")
    right.set_title(f"{result.outcome.upper()}: {result.reason}"[:90], fontsize=8)
    fig.savefig(path, dpi=110)
