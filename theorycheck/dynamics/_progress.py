"""Progress readouts inside long simulations, switched on by a context (the CLI does, on a terminal).

Simulators read the switch when they are traced: GD/SGD then report every few blocks of their
scan through ``jax.debug.callback`` (a host-side tqdm bar), gradient flow through diffrax's
``TqdmProgressMeter``. It is off by default, so sweeps, tests and library users trace nothing
extra unless they ask for it.
"""

import contextlib
import sys

import jax
import jax.numpy as jnp

_ENABLED = [False]
_BARS: dict[int, object] = {}


@contextlib.contextmanager
def progress_bars(enabled: bool = True):
    """Within this context, newly traced simulators show a progress bar on stderr."""
    previous = _ENABLED[0]
    _ENABLED[0] = bool(enabled)
    try:
        yield
    finally:
        _ENABLED[0] = previous


def progress_enabled() -> bool:
    return _ENABLED[0]


def _tick(step, total) -> None:
    from tqdm.auto import tqdm

    step, total = int(step), int(total)
    bar = _BARS.get(total)
    if bar is None or step < bar.n:
        bar = _BARS[total] = tqdm(total=total, desc="simulating", unit="step", file=sys.stderr, leave=False)
    bar.update(step - bar.n)
    if step >= total:
        bar.close()
        _BARS.pop(total, None)


def report_steps(step, total: int, num_blocks: int, block: jax.Array) -> None:
    """Inside a scan: report ``step`` of ``total`` about 100 times over ``num_blocks`` blocks."""
    if not _ENABLED[0]:
        return
    stride = max(1, num_blocks // 100)
    jax.lax.cond(
        (block % stride == 0) | (step >= total),
        lambda: jax.debug.callback(_tick, step, jnp.asarray(total), ordered=False),
        lambda: None,
    )
