"""Shared pieces of the ``bench_*.py`` benchmarks: the digits problem, timing, the record.

Every comparison is timed side by side in one process: the candidates run in rotation
(A B C, B C A, ...) after their compiles, and each reports the median of its runs. The record
holds the machine, the thread counts and ``os.getloadavg()`` before and after, because shared
CPUs (and PyTorch's spin-waiting OpenMP threads) move the numbers.
"""

import json
import os
import pathlib
import platform
import time

import jax
import jax.numpy as jnp
import numpy as np

from theorycheck import models

DATA = {"source": "unset"}  # filled by ``digits``: "sklearn digits" or "synthetic"
DIGITS_WIDTHS = {"5k": (64, 50, 50, 10), "55k": (64, 200, 200, 10), "500k": (64, 700, 700, 10)}


def digits(n: int = 1000, *, synthetic_fallback: bool = False):
    """The first ``n`` of scikit-learn's handwritten digits: standardised pixels, one-hot targets.

    With ``synthetic_fallback`` (the ``--quick`` smoke tests) and no scikit-learn installed, a
    random stand-in of the same shape is used instead.
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        if not synthetic_fallback:
            raise SystemExit('the benchmarks need scikit-learn: pip install -e ".[bench]"') from None
        rng = np.random.default_rng(0)
        DATA["source"] = "synthetic (no scikit-learn)"
        return rng.standard_normal((n, 64)), np.eye(10)[rng.integers(0, 10, n)]
    data = load_digits()
    DATA["source"] = f"sklearn load_digits, first {n}"
    x = data.data[:n].astype(np.float64)
    std = x.std(0)
    x = (x - x.mean(0)) / np.where(std > 0, std, 1.0)  # a few border pixels are always 0
    y = np.eye(10)[data.target[:n]]
    return x, y


def mse_problem(widths, x, y, dtype=jnp.float32):
    """``(net, loss, params0)``: a tanh MLP and ``0.5·mean_i ‖f(x_i) − y_i‖²`` in ``dtype``."""
    net = models.mlp(widths, "tanh")
    x, y = jnp.asarray(x, dtype), jnp.asarray(y, dtype)

    def loss(params):
        return 0.5 * jnp.mean(jnp.sum((net.apply(params, x) - y) ** 2, axis=1))

    with jax.enable_x64(False):  # the same initial point in every dtype
        params0 = net.init(jax.random.key(0))
    params0 = jax.tree.map(lambda a: a.astype(dtype), params0)
    return net, loss, params0


def num_params(params) -> int:
    return sum(leaf.size for leaf in jax.tree.leaves(params))


def machine(threads=None) -> dict:
    """Where the numbers came from: CPU, cores, threads, devices, library versions."""
    info = {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "jax": jax.__version__,
        "backend": jax.default_backend(),
        "devices": [str(d) for d in jax.devices()],
        "xla_flags": os.environ.get("XLA_FLAGS", ""),
        "data": DATA["source"],
    }
    if threads:
        info.update(threads)
    return info


def load() -> list[float]:
    return [round(v, 2) for v in os.getloadavg()]


def seconds(fn) -> float:
    start = time.perf_counter()
    jax.block_until_ready(fn())
    return time.perf_counter() - start


def compile_seconds(fn, *args):
    """``(compiled, seconds)`` for tracing, lowering and compiling ``jax.jit(fn)`` at ``args``."""
    start = time.perf_counter()
    compiled = jax.jit(fn).lower(*args).compile()
    return compiled, time.perf_counter() - start


def warm_up() -> float:
    """Seconds of the first compile in this process (XLA's one-time set-up), kept out of the others."""
    return compile_seconds(lambda a: jnp.tanh(a) @ a, jnp.ones((4, 4)))[1]


def interleaved(candidates: dict, repeats: int) -> dict:
    """Median seconds of each (already compiled) candidate, timed in rotation ``repeats`` times."""
    names = list(candidates)
    times = {name: [] for name in names}
    for r in range(repeats):
        for name in names[r % len(names):] + names[: r % len(names)]:
            times[name].append(seconds(candidates[name]))
    return {name: {"median_s": float(np.median(t)), "runs_s": [round(v, 5) for v in t]} for name, t in times.items()}


def write(out: pathlib.Path, name: str, record: dict) -> pathlib.Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / name
    path.write_text(json.dumps(record, indent=2, default=float))
    return path


def table(rows: list[list], headers: list[str]) -> str:
    cells = [[f"{c:.4g}" if isinstance(c, float) else str(c) for c in row] for row in [headers, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
