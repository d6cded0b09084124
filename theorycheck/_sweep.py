"""``theorycheck sweep``: one check over a grid of config values and seeds, every device, resumable.

**Grouping.** A grid point is a config plus a seed. Points are grouped by the static part of their
config (every key that is not one of the check's ``data_keys``); within a group the check's
``simulate`` runs once, jitted, over the stacked data keys and PRNG keys — ``vmap`` (or
``lax.map`` for checks whose ``batching`` is ``"map"``) — in chunks that fit a memory budget,
with the batch axis sharded over every device (``jax.sharding``). The verdict of each point is
the check's own ``verdict``, so a sweep row for ``(config, seed)`` is the record that
``theorycheck run --seed seed`` writes for that config. A check without the protocol sweeps one
point after another through the same store.

**Store.** ``DIR/store/<id>.json`` holds one record per completed point, written atomically
(a temporary file and a rename: a crash never leaves half a record) as soon as its chunk
finishes; ``--resume`` skips every point whose record exists, so a killed sweep loses no
completed run, and a finished sweep re-run with ``--resume`` computes and rewrites nothing.
``DIR/sweep.json`` names the check, the grid, the seeds and the ``--set`` overrides; resuming a
different sweep into the same directory is refused.

**Many hosts.** When ``jax.distributed`` is initialised, the batch axis is sharded over the
global mesh of every process's devices (JAX's own SPMD engine: each process feeds its shard with
``jax.make_array_from_callback``), the outputs are gathered with
``multihost_utils.process_allgather``, and process 0 alone writes the store and the tables. A
check without the protocol is split round-robin by process index instead, each process writing
its own records into the store (which then must be on a shared filesystem).
"""

import contextlib
import dataclasses
import functools
import hashlib
import itertools
import json
import math
import os
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from ._check import PASS, Check, as_jsonable, make_config, static_part
from ._registry import get_check
from ._provenance import provenance
from ._runner import (
    ConfigError,
    check_seed,
    execute,
    make_record,
    prepare_out_dir,
    validate_result,
    write_csv,
    write_json,
)

SWEEP_FIELDS = ("seed", "outcome", "passed", "predicted", "measured", "error", "tolerance", "reason",
                "seconds_amortised", "chunk_points", "details")
DEFAULT_MEMORY_BUDGET = 2 * 2**30  # bytes per chunk: arguments + outputs + temporaries
MAX_CHUNK = 256


class Point(NamedTuple):
    """One grid point: the validated config, its seed, the swept values, and its store id."""

    config: Any
    seed: int
    swept: dict[str, Any]
    id: str


class SweepPlan(NamedTuple):
    check: Check
    grid: dict[str, list[Any]]
    seeds: list[int]
    overrides: dict[str, Any]
    points: list[Point]


def parse_grid(items: Sequence[str]) -> dict[str, list[str]]:
    """``["KEY=V1,V2", "KEY=geom:LO:HI:N", "KEY=lin:LO:HI:N"]`` → ``{key: [value, ...]}``.

    Values stay strings (the check's config converts and range-checks them); ``geom`` and ``lin``
    expand to N log- or evenly spaced numbers from LO to HI inclusive. Where the text holds a
    ``;``, values are separated by ``;`` instead, so a list-valued key can take a multi-element
    list per point: ``widths=16,64;16,128`` is the two points (16, 64) and (16, 128).
    """
    grid: dict[str, list[str]] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f"malformed --grid {item!r}: expected KEY=V1,V2,... or KEY=geom:LO:HI:N")
        if key in grid:
            raise ConfigError(f"--grid names {key!r} twice; give all its values in one --grid")
        kind, _, spec = text.partition(":")
        if kind in ("geom", "lin") and spec:
            parts = spec.split(":")
            try:
                low, high, count = float(parts[0]), float(parts[1]), int(parts[2])
                if len(parts) != 3 or count < 1 or not (math.isfinite(low) and math.isfinite(high)):
                    raise ValueError
                if kind == "geom" and (low <= 0 or high <= 0):
                    raise ValueError
            except (ValueError, IndexError):
                raise ConfigError(
                    f"malformed --grid {item!r}: expected {key}={kind}:LO:HI:N with finite LO, HI "
                    f"({'> 0, ' if kind == 'geom' else ''}N >= 1)"
                ) from None
            spaced = np.geomspace(low, high, count) if kind == "geom" else np.linspace(low, high, count)
            grid[key] = [repr(float(v)) for v in spaced]
        else:
            separator = ";" if ";" in text else ","  # ';' separates values that are lists themselves
            values = [v.strip() for v in text.split(separator)] if text.strip() else []
            if not values or any(v == "" for v in values):
                raise ConfigError(f"--grid {item!r} has an empty value; give KEY=V1,V2,...")
            grid[key] = values
    return grid


def _record_id(name: str, swept: Mapping[str, Any], seed: int, overrides: Mapping[str, Any]) -> str:
    text = json.dumps({"check": name, "swept": as_jsonable(dict(swept)), "seed": seed,
                       "set": as_jsonable(dict(overrides))}, sort_keys=True)
    return hashlib.sha1(text.encode()).hexdigest()[:20]


def plan_sweep(
    name: "str | Check",
    grid: Mapping[str, Sequence[Any]],
    seeds: Sequence[int],
    overrides: Mapping[str, Any] | None = None,
    plots: bool = True,
) -> SweepPlan:
    """Validates the whole grid (every point's config) before anything runs.

    Raises:
      ConfigError: an unknown check or key, a grid over a key that the check lacks or that
        ``--set`` also sets, an empty grid, a value out of range, a bad seed.
    """
    if isinstance(name, Check):
        check, name = name, name.name
    else:
        try:
            check = get_check(name)
        except ValueError as error:
            raise ConfigError(str(error)) from None
    fields = [f.name for f in dataclasses.fields(check.config_type)]
    overrides = dict(overrides or {})
    if not grid:
        raise ConfigError("empty grid: give at least one --grid KEY=V1,V2,...")
    for key in [*grid, *overrides]:
        if key not in fields:
            raise ConfigError(f"unknown config key {key!r} for check {name!r}; valid keys: {', '.join(fields)}")
    both = sorted(set(grid) & set(overrides))
    if both:
        raise ConfigError(f"{', '.join(map(repr, both))} is both swept (--grid) and fixed (--set); choose one")
    if not seeds:
        raise ConfigError("no seeds: give --seeds N (N >= 1) or --seed-list 1,5,9")
    seeds = [check_seed(s) for s in seeds]
    if len(set(seeds)) != len(seeds):
        raise ConfigError(f"repeated seeds in {seeds}")
    fixed = {**{k: False for k in check.figure_keys}, **overrides}  # a sweep draws its own figure
    configs = []
    for values in itertools.product(*grid.values()):
        point = dict(zip(grid, values))
        try:
            configs.append(make_config(check, {**fixed, **point}))
        except ValueError as error:
            raise ConfigError(f"{name} at {point}: {error}") from None
    # the fixed settings and the grid as the config holds them (typed: 0.1, 3, true, [16, 64]),
    # not as the command line spelled them: the manifest, the record ids and the tables use these
    typed_set = {k: as_jsonable(getattr(configs[0], k)) for k in overrides}
    points = []
    for config in configs:
        swept = {k: getattr(config, k) for k in grid}
        for seed in seeds:
            points.append(Point(config, seed, swept, _record_id(name, swept, seed, typed_set)))
    typed_grid = {k: list(dict.fromkeys(json.dumps(as_jsonable(getattr(c, k))) for c in configs))
                  for k in grid}
    typed_grid = {k: [json.loads(v) for v in values] for k, values in typed_grid.items()}
    return SweepPlan(check, typed_grid, list(seeds), typed_set, points)


# ---------------------------------------------------------------------------------------- store
def _store(out_dir: str) -> str:
    return os.path.join(out_dir, "store")


def _manifest(plan: SweepPlan) -> dict[str, Any]:
    return {"check": plan.check.name, "grid": plan.grid, "seeds": plan.seeds,
            "set": as_jsonable(plan.overrides)}


def open_store(out_dir: str, plan: SweepPlan, resume: bool) -> set[str]:
    """Creates (or, with ``resume``, reopens) the store; returns the ids already completed."""
    store = _store(out_dir)
    manifest_path = os.path.join(out_dir, "sweep.json")
    existing = sorted(f[:-5] for f in os.listdir(store) if f.endswith(".json")) if os.path.isdir(store) else []
    if os.path.exists(manifest_path):
        with open(manifest_path, encoding="utf-8") as f:
            previous = json.load(f)
        if not resume:
            raise ConfigError(f"--out {out_dir!r} already holds a sweep; pass --resume to continue it, "
                              "or name another directory")
        if previous != _manifest(plan):
            raise ConfigError(f"--out {out_dir!r} holds a different sweep ({previous['check']}, grid "
                              f"{previous['grid']}); --resume needs the same check, grid, seeds and --set")
        return set(existing)
    if existing:
        raise ConfigError(f"--out {out_dir!r} holds sweep records but no sweep.json; name another directory")
    os.makedirs(store, exist_ok=True)
    if jax.process_index() == 0:
        write_json(_manifest(plan), manifest_path)
    return set()


def _write_record(out_dir: str, record: Mapping[str, Any], check: Check, result) -> None:
    """The record's ``store/<id>.json``; first, atomically, its ``sweep_arrays`` as
    ``store/<id>.npz``, so a record on disk always has its arrays beside it (``--resume`` reads
    the JSON only)."""
    kept = {k: np.asarray(result.arrays[k]) for k in check.sweep_arrays if k in (result.arrays or {})}
    if kept:
        path = os.path.join(_store(out_dir), f"{record['id']}.npz")
        with tempfile.NamedTemporaryFile(dir=_store(out_dir), prefix=".tmp-", suffix=".npz", delete=False) as f:
            np.savez(f, **kept)
            temporary = f.name
        os.replace(temporary, path)
    write_json(record, os.path.join(_store(out_dir), f"{record['id']}.json"))


def read_store(out_dir: str, plan: SweepPlan) -> list[dict[str, Any]]:
    """The completed records of ``plan``, in grid order; ``row["arrays"]`` holds the kept
    ``sweep_arrays`` where the store has them."""
    rows = []
    for point in plan.points:
        path = os.path.join(_store(out_dir), f"{point.id}.json")
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                row = json.load(f)
            arrays = os.path.join(_store(out_dir), f"{point.id}.npz")
            if os.path.exists(arrays):
                with np.load(arrays) as kept:
                    row["arrays"] = {k: kept[k] for k in kept.files}
            rows.append(row)
    return rows


# -------------------------------------------------------------------------------------- batching
def _mesh() -> Mesh:
    return Mesh(np.array(jax.devices()), ("batch",))


def _batched(check: Check, static) -> Any:
    """``jit`` of ``simulate`` over a leading batch of data and raw key data (one compile per
    static config and chunk shape)."""
    return _batched_simulate(check.simulate, check.batching, static)


@functools.lru_cache(maxsize=32)
def _batched_simulate(simulate, batching: str, static) -> Any:
    def one(data, key_data):
        return simulate(static, data, jax.random.wrap_key_data(key_data))

    if batching == "map":
        return jax.jit(lambda data, keys: jax.lax.map(lambda a: one(*a), (data, keys)))
    return jax.jit(jax.vmap(one))


def _global(array: np.ndarray, sharding: NamedSharding) -> jax.Array:
    """A global array sharded along its leading axis; each process supplies its own shards."""
    return jax.make_array_from_callback(array.shape, sharding, lambda index: array[index])


def _chunk_size(check: Check, static, total: int, devices: int, memory_budget: int, example):
    """``(size, executable)``: the largest chunk (a multiple of the device count, at most
    :data:`MAX_CHUNK`) whose compiled footprint (``memory_analysis``: arguments, outputs,
    temporaries) fits the budget, and that compiled executable, reused for every chunk of the
    group (``None`` where nothing was compiled yet: the jitted function compiles on first call)."""
    size = min(MAX_CHUNK, -(-total // devices) * devices)
    while size > devices:
        data, keys = example(size)
        try:
            executable = _batched(check, static).lower(data, keys).compile()
            stats = executable.memory_analysis()
            used = stats.argument_size_in_bytes + stats.output_size_in_bytes + stats.temp_size_in_bytes
        except Exception:  # noqa: BLE001 (a backend without memory statistics: trust the cap)
            return size, None
        if used <= memory_budget:
            return size, executable
        size = max(devices, (size // 2) // devices * devices)
    return devices, None


def _simulate_chunk(check: Check, static, points: list[Point], sharding, size: int, executable=None) -> list[dict]:
    """Runs ``simulate`` on ``points`` padded to ``size``; returns each point's host arrays."""
    padded = points + [points[-1]] * (size - len(points))
    data = {k: np.asarray([getattr(p.config, k) for p in padded], dtype=_data_dtype(points[0].config, k))
            for k in check.data_keys}
    keys = np.stack([np.asarray(jax.random.key_data(jax.random.key(p.seed))) for p in padded])
    simulate = executable if executable is not None else _batched(check, static)
    arrays = simulate({k: _global(v, sharding) for k, v in data.items()}, _global(keys, sharding))
    if jax.process_count() > 1:
        from jax.experimental import multihost_utils

        arrays = multihost_utils.process_allgather(arrays, tiled=True)
    host = jax.tree.map(np.asarray, arrays)
    return [jax.tree.map(lambda a, i=i: a[i], host) for i in range(len(points))]


def _data_dtype(config, key: str):
    """The dtype JAX gives a data key's value (float32 or float64 by the x64 setting)."""
    return jnp.asarray(getattr(config, key)).dtype


def _sweep_record(point: Point, check: Check, result, seconds: float, chunk_points: int) -> dict[str, Any]:
    """A sweep's record of one point: the run record, its id and swept values, and the time as
    what it is: ``seconds_amortised`` = the wall time of its chunk (one compiled ``vmap`` of
    ``chunk_points`` points) divided by ``chunk_points``; a point run alone has its own time."""
    record = make_record(check, point.config, point.seed, result, seconds / chunk_points)
    record["seconds_amortised"] = record.pop("seconds")
    return {"id": point.id, "swept": as_jsonable(point.swept), **record, "chunk_points": int(chunk_points)}


def evaluate(check: Check, points: Sequence[Point], done: "set[str] | frozenset[str]" = frozenset(),
             memory_budget: int = DEFAULT_MEMORY_BUDGET):
    """Runs every point of ``points`` whose id is not in ``done``; yields ``(point, result,
    chunk_seconds, chunk_points)`` as each chunk finishes (call it inside the check's float64
    scope).

    Points are grouped by the static part of their config; a group runs as one jitted ``vmap``
    (or ``lax.map``) of ``simulate`` per chunk, sharded over every device, and each point's
    verdict is the check's own. Groups and chunks are cut from all of ``points``, not from what is
    still pending, so a resumed sweep runs every remaining point in exactly the batch (same
    members, same size, same padding) as an uninterrupted one: its records are bit-identical. A
    check without the protocol runs its points one by one (split round-robin over processes).
    """
    groups: dict[Any, list[Point]] = {}
    for point in points:
        groups.setdefault(static_part(point.config, check.data_keys), []).append(point)
    for static, members in groups.items():
        if all(p.id in done for p in members):
            continue
        if check.simulate is None:
            for point in members[jax.process_index()::jax.process_count()]:
                if point.id not in done:
                    start = time.perf_counter()
                    result = execute(check, point.config, point.seed)
                    yield point, result, time.perf_counter() - start, 1
            continue
        devices = jax.device_count()
        sharding = NamedSharding(_mesh(), PartitionSpec("batch"))

        def example(size, members=members):
            data = {k: jax.ShapeDtypeStruct((size,), _data_dtype(members[0].config, k), sharding=sharding)
                    for k in check.data_keys}
            key_shape = np.asarray(jax.random.key_data(jax.random.key(0))).shape
            return data, jax.ShapeDtypeStruct((size, *key_shape), np.uint32, sharding=sharding)

        size, executable = _chunk_size(check, static, len(members), devices, memory_budget, example)
        for begin in range(0, len(members), size):
            chunk = members[begin:begin + size]
            if all(p.id in done for p in chunk):
                continue
            start = time.perf_counter()
            outputs = _simulate_chunk(check, static, chunk, sharding, size, executable)
            seconds = time.perf_counter() - start
            for point, arrays in zip(chunk, outputs):
                if point.id not in done:
                    data = {k: getattr(point.config, k) for k in check.data_keys}
                    yield point, validate_result(check, check.verdict(point.config, data, arrays)), seconds, len(chunk)


def run_sweep(
    plan: SweepPlan,
    out_dir: str,
    *,
    resume: bool = False,
    plots: bool = True,
    progress: bool = True,
    memory_budget: int = DEFAULT_MEMORY_BUDGET,
    argv: Sequence[str] | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Runs the pending points of ``plan`` into ``out_dir``; returns ``(rows, computed)``.

    ``rows`` are every completed record of the plan (in grid order, including earlier ones when
    resuming); ``computed`` counts the points run now. Tables and the figure are rewritten only
    when something was computed.
    """
    out_dir = prepare_out_dir(out_dir)
    done = open_store(out_dir, plan, resume)
    check = plan.check
    pending = [p for p in plan.points if p.id not in done]
    writer = jax.process_index() == 0
    from tqdm.auto import tqdm

    bar = tqdm(total=len(plan.points), initial=len(plan.points) - len(pending), desc=f"sweep {check.name}",
               unit="run", file=sys.stderr, disable=not progress or not sys.stderr.isatty() or not writer)
    scope = jax.enable_x64(True) if check.needs_x64 else contextlib.nullcontext()
    with scope:
        for point, result, seconds, chunk_points in evaluate(check, plan.points, done, memory_budget):
            if writer or check.simulate is None:  # without the protocol every process writes its own
                _write_record(out_dir, _sweep_record(point, check, result, seconds, chunk_points), check, result)
            bar.update(1)
    bar.close()
    if jax.process_count() > 1:
        from jax.experimental import multihost_utils

        multihost_utils.sync_global_devices("theorycheck sweep: records written")
    rows = read_store(out_dir, plan)
    if pending and writer:
        write_tables(plan, rows, out_dir, argv)
        if plots and rows:
            plot_sweep(plan, rows, os.path.join(out_dir, f"{check.name}_sweep.png"))
    return rows, len(pending)


def table_fields(plan: SweepPlan) -> list[str]:
    """The columns of a sweep table: ``name``, the swept keys, every other config key (fixed
    ones too), then :data:`SWEEP_FIELDS`."""
    keys = [f.name for f in dataclasses.fields(plan.check.config_type)]
    return ["name", *plan.grid, *(k for k in keys if k not in plan.grid), *SWEEP_FIELDS]


def tidy(plan: SweepPlan, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One flat row per (config, seed), in :func:`table_fields` order: the check's name, every
    config key as its own column (native JSON types), the seed, the outcome and the numbers."""
    fields = table_fields(plan)
    return [{k: (row["name"] if k == "name" else row["config"][k] if k in row["config"] else row.get(k))
             for k in fields} for row in rows]


def write_tables(plan: SweepPlan, rows, out_dir: str, argv=None) -> None:
    flat = tidy(plan, rows)
    write_csv(flat, os.path.join(out_dir, "results.csv"), fields=table_fields(plan))
    write_json({"provenance": provenance(None if argv is None else list(argv)), **_manifest(plan), "rows": flat},
               os.path.join(out_dir, "results.json"))


def plot_sweep(plan: SweepPlan, rows, path: str) -> None:
    """The check's own sweep figure, or error/tolerance against the first swept key (one line per
    value of the second), the pass region shaded."""
    if plan.check.plot_sweep is not None:
        plan.check.plot_sweep(rows, path)
        return
    from .checks._common import figure

    fig, axes = figure(1, 1)
    ax = axes[0, 0]
    keys = list(plan.grid)
    first, second = keys[0], (keys[1] if len(keys) > 1 else None)
    lines: dict[Any, list] = {}
    for row in rows:
        lines.setdefault(None if second is None else row["swept"][second], []).append(row)
    for value, members in lines.items():
        members = sorted(members, key=lambda r: r["swept"][first])
        x = [r["swept"][first] for r in members]
        ratio = [np.nan if r["error"] is None or not r["tolerance"] else r["error"] / r["tolerance"] for r in members]
        ax.plot(x, ratio, "o", ls="-" if len(plan.seeds) == 1 else "none", alpha=0.8,
                label=None if second is None else f"{second} = {value}")
    numeric = all(isinstance(r["swept"][first], (int, float)) and not isinstance(r["swept"][first], bool)
                  for r in rows)
    if numeric and min(r["swept"][first] for r in rows) > 0:
        ax.set_xscale("log")
    ratios = [r["error"] / r["tolerance"] for r in rows if r["error"] is not None and r["tolerance"]]
    if ratios and min(ratios) > 0:
        ax.set_yscale("log")
    ax.axhspan(ax.get_ylim()[0], 1.0, color="C2", alpha=0.1, label="error <= tolerance")
    ax.axhline(1.0, color="k", lw=1)
    ax.set_xlabel(first)
    ax.set_ylabel("error / tolerance")
    passed = sum(r["outcome"] == PASS for r in rows)
    ax.set_title(f"{plan.check.name}: {passed}/{len(rows)} pass")
    if second is not None:
        ax.legend(fontsize=8)
    fig.savefig(path, dpi=110)
