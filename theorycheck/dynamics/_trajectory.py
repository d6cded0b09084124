"""What a simulator returns."""

from typing import Any, NamedTuple

import jax


class Trajectory(NamedTuple):
    """The outcome of one simulated run.

    Attributes:
      times: ``(R,)`` the step index (GD/SGD) or the continuous time (gradient flow) of each
        record.
      observations: ``{name: pytree}`` with a leading axis of length ``R``, one entry per observer.
        Records taken after a divergence (or, for gradient flow, after an early stop) are NaN.
      losses: the training loss; ``(num_steps,)`` before every step for GD/SGD (the minibatch loss
        for SGD), ``(R,)`` at the record times for gradient flow.
      final_params: the parameters at the end: the last finite iterate if the run diverged.
      final_time: the step count or time reached (smaller than the horizon after an early stop).
      diverged: whether the loss (or the gradient) became non-finite.
      diverged_at: the first step (GD/SGD) or time (flow) with a non-finite loss; -1 if none.
      status: 0 reached the horizon, 1 stopped by the stopping condition, 2 diverged,
        3 the ODE solver failed (e.g. ``max_steps`` reached), 4 invalid hyperparameters: a traced
        learning rate that is not finite and > 0, or a momentum or weight decay that is not finite
        and >= 0 (GD/SGD; the run is not simulated: ``final_params = params0``, ``final_time = 0``,
        every loss and record NaN, ``diverged`` false).
      stats: the solver's statistics (gradient flow: diffrax's ``num_steps``,
        ``num_accepted_steps``, ``num_rejected_steps``); empty for GD/SGD.

    ``dtype`` (a property) is the floating dtype the run was computed in.
    """

    times: jax.Array
    observations: dict[str, Any]
    losses: jax.Array
    final_params: Any
    final_time: jax.Array
    diverged: jax.Array
    diverged_at: jax.Array
    status: jax.Array
    stats: dict[str, Any] = {}

    @property
    def dtype(self):
        """The parameters' floating dtype (float32 or float64): what the run was computed in."""
        return jax.numpy.result_type(*jax.tree.leaves(self.final_params))


STATUS_COMPLETED = 0
"""``Trajectory.status``: the run reached its horizon."""
STATUS_STOPPED = 1
"""``Trajectory.status``: the stopping condition ended the run (gradient flow)."""
STATUS_DIVERGED = 2
"""``Trajectory.status``: the loss (or the gradient) became non-finite."""
STATUS_SOLVER_FAILED = 3
"""``Trajectory.status``: the ODE solver failed (e.g. ``max_steps`` reached; gradient flow)."""
STATUS_INVALID_HYPERPARAMS = 4
"""``Trajectory.status``: a traced learning rate not finite and > 0, or a momentum or weight decay not
finite and >= 0 (GD/SGD): the run was not simulated."""
