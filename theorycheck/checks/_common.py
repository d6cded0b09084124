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
