"""Gradient flow ``dθ/dt = −∇L(θ)`` solved as an ODE by diffrax."""

from collections.abc import Callable, Mapping
from typing import Any

import diffrax
import jax
import jax.numpy as jnp

from ._gradient_descent import _tree_all_finite, check_observers, init_observers, nan_after, observe_all
from ._observers import Observer
from ._progress import progress_enabled
from ._trajectory import (
    STATUS_COMPLETED,
    STATUS_DIVERGED,
    STATUS_SOLVER_FAILED,
    STATUS_STOPPED,
    Trajectory,
)
from ._validation import (
    require_finite_tree,
    require_positive_int,
    require_positive_scalar,
    warn_if_below_resolution,
)


def gradient_flow(
    loss_fn: Callable[[Any], jax.Array],
    *,
    t1: float,
    num_records: int = 101,
    observers: Mapping[str, Observer] | None = None,
    stop_when: Callable[[Any], jax.Array] | None = None,
    solver: diffrax.AbstractSolver | None = None,
    rtol: float = 1e-8,
    atol: float = 1e-10,
    max_steps: int = 2**20,
) -> Callable[..., Trajectory]:
    """Gradient flow on ``loss_fn`` with an adaptive solver and error control.

    The flow is the ``η → 0`` limit of gradient descent at time ``t = η·steps``. It is solved by
    ``diffrax.diffeqsolve`` (default ``Tsit5`` with a PID step-size controller at ``rtol``/
    ``atol``), with ``throw=False``: a failed solve is reported in ``Trajectory.status``, never
    raised. The parameters are saved at ``num_records`` evenly spaced times in ``[0, t1]`` and the
    observers run on them afterwards, in order, so stateful observers (warm-started Lanczos) work
    as in :func:`gradient_descent`.

    Args:
      loss_fn: ``loss_fn(params) -> scalar``.
      t1: the time horizon (``t1 = η·num_steps`` compares with GD at step size ``η``).
      num_records: how many evenly spaced record times, ``0`` and ``t1`` included.
      observers: ``{name: Observer}``.
      stop_when: ``stop_when(params) -> bool``; the solve stops at the first accepted step where
        it holds (a ``diffrax.Event``), e.g. a residual or gradient norm below a tolerance. A
        finite ``t1`` is still needed: a steady-state event with a huge end time can take
        millions of steps before firing. Records after the stop are NaN.
      solver: a diffrax solver; an implicit one (``diffrax.Kvaerno5``) for stiff losses.
      rtol, atol: the step-size controller's tolerances.
      max_steps: the solver's step budget (static).

    Returns:
      ``run(params0, key, t1=None) -> Trajectory`` (pure, un-jitted). ``final_time`` is the time
      reached. The horizon is data: ``run(..., t1=...)`` replaces the constructor's ``t1``
      without retracing (a traced value is not validated; a concrete one must be > 0).
      ``Trajectory.stats`` holds diffrax's solver statistics (``num_steps``,
      ``num_accepted_steps``, ``num_rejected_steps``).
      A run is ``diverged`` when the loss or its gradient at ``final_time`` is not finite (or the solve failed
      without reaching a finite time); ``diverged_at`` is then the first record time whose loss is
      not finite (so it is only as fine as the record grid), or ``final_time`` if no record shows it.
    """
    require_positive_scalar("t1", t1)
    default_t1 = t1
    require_positive_int("num_records", num_records)
    if num_records < 2:
        raise ValueError(f"num_records must be >= 2 (the times 0 and t1), got {num_records}")
    require_positive_scalar("rtol", rtol)
    require_positive_scalar("atol", atol)
    require_positive_int("max_steps", max_steps)
    observers = check_observers(observers, simulator="gradient_flow")
    solver = diffrax.Tsit5() if solver is None else solver
    term = diffrax.ODETerm(lambda t, y, args: jax.tree.map(jnp.negative, jax.grad(loss_fn)(y)))
    event = None if stop_when is None else diffrax.Event(lambda t, y, args, **kw: stop_when(y))

    def run(params0, key: jax.Array, t1=None) -> Trajectory:
        require_finite_tree("params0", params0)
        horizon = default_t1 if t1 is None else t1
        require_positive_scalar("t1", horizon)
        dtype = jnp.result_type(*jax.tree.leaves(params0))
        warn_if_below_resolution("rtol", rtol, dtype)
        times = jnp.linspace(0.0, horizon, num_records, dtype=dtype)
        saveat = diffrax.SaveAt(subs=[diffrax.SubSaveAt(ts=times), diffrax.SubSaveAt(t1=True)])
        solution = diffrax.diffeqsolve(
            term,
            solver,
            t0=0.0,
            t1=times[-1],
            dt0=None,
            y0=params0,
            saveat=saveat,
            stepsize_controller=diffrax.PIDController(rtol=rtol, atol=atol),
            event=event,
            max_steps=max_steps,
            throw=False,
            progress_meter=diffrax.TqdmProgressMeter() if progress_enabled() else diffrax.NoProgressMeter(),
        )
        saved, final = solution.ys
        # t = 0 is the initial state; diffrax leaves it unsaved (inf) when the first step fails
        saved = jax.tree.map(lambda s, p: s.at[0].set(p), saved, params0)
        final_params = jax.tree.map(lambda x: x[0], final)
        final_time = solution.ts[1][0]
        stopped = solution.result == diffrax.RESULTS.event_occurred
        failed = ~(stopped | (solution.result == diffrax.RESULTS.successful))
        final_loss, final_grad = jax.value_and_grad(loss_fn)(final_params)
        bad_final = ~(jnp.isfinite(final_loss) & _tree_all_finite(final_grad))
        diverged = bad_final | (failed & ~jnp.isfinite(final_time))
        reached = times <= jnp.where(jnp.isfinite(final_time), final_time, -1.0)

        def scan_observers(states, inputs):
            params, ok, sub = inputs
            records, new_states = observe_all(observers, params, states, sub)
            new_states = jax.tree.map(lambda n, o: jnp.where(ok, n, o), new_states, states)
            return new_states, (nan_after(~ok, records), jnp.where(ok, loss_fn(params), jnp.nan))

        key_init, key_loop = jax.random.split(key)
        states = init_observers(observers, params0, key_init)
        _, (records, losses) = jax.lax.scan(
            scan_observers, states, (saved, reached, jax.random.split(key_loop, num_records))
        )
        # the first record time with a non-finite loss (record-grid resolution), else the end
        first_bad = jnp.min(jnp.where(reached & ~jnp.isfinite(losses), times, final_time))
        status = jnp.where(
            diverged,
            STATUS_DIVERGED,
            jnp.where(failed, STATUS_SOLVER_FAILED, jnp.where(stopped, STATUS_STOPPED, STATUS_COMPLETED)),
        )
        return Trajectory(
            times=times,
            observations=records,
            losses=losses,
            final_params=final_params,
            final_time=final_time,
            diverged=diverged,
            diverged_at=jnp.where(diverged, first_bad, -1.0),
            status=status,
            stats={k: solution.stats[k] for k in ("num_steps", "num_accepted_steps", "num_rejected_steps")},
        )

    return run
