"""Runs registered checks and writes their records (the engine behind ``theorycheck run``).

Everything a user can get wrong (check names, ``--set`` keys, types, ranges, the seed, the output
directory) is validated for *all* selected checks before the first one runs, so a typo in the last name never
costs the runtime of the first check. A check that raises while running is a bug, not bad input,
and propagates unchanged.
"""

import contextlib
import csv
import dataclasses
import json
import math
import multiprocessing
import os
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import jax
import numpy as np

from ._check import (
    INCONCLUSIVE,
    OUTCOMES,
    PASS,
    Check,
    Result,
    as_jsonable,
    make_config,
    prepare,
)
from ._provenance import provenance
from .checks._common import default_plot
from ._registry import imported_specs, registry

RECORD_FIELDS = (
    "name",
    "statement",
    "config",
    "seed",
    "outcome",
    "passed",
    "predicted",
    "measured",
    "error",
    "tolerance",
    "reason",
    "details",
    "nonfinite",
    "float64",
    "seconds",
)
MAX_SEED = 2**32 - 1  # jax.random.key gives the same key for these seeds with and without x64


class ConfigError(ValueError):
    """Bad input to :func:`run_checks`: an unknown check or key, a bad value, a bad seed or ``out_dir``."""


class _Planned(NamedTuple):
    check: Check
    config: Any


class _Outcome(NamedTuple):
    record: dict[str, Any]
    result: Result


def _select(names: Sequence[str] | None) -> list[Check]:
    checks = registry()
    if not names:
        return list(checks.values())
    unknown = [name for name in names if name not in checks]
    if unknown:
        raise ConfigError(
            f"unknown check{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; "
            f"valid checks: {', '.join(checks) or '(none registered)'}"
        )
    return [checks[name] for name in dict.fromkeys(names)]  # dedupe, keep order


def check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ConfigError(f"seed must be an integer, got {seed!r}")
    if not 0 <= seed <= MAX_SEED:
        raise ConfigError(f"seed must lie in [0, {MAX_SEED}], got {seed}")
    return int(seed)


def _plan(
    names: Sequence[str] | None,
    overrides: Mapping[str, Any] | None,
    seed: int,
    plots: bool = True,
) -> list[_Planned]:
    """Validates everything and builds every config; raises before anything runs.

    Without plots, a check's ``figure_keys`` (work that only feeds its figure) are switched off
    unless ``overrides`` set them.
    """
    check_seed(seed)
    checks = _select(names)
    overrides = dict(overrides or {})
    keys = {c.name: [f.name for f in dataclasses.fields(c.config_type)] for c in checks}
    valid = list(dict.fromkeys(k for ks in keys.values() for k in ks))
    unknown = [key for key in overrides if key not in valid]
    if unknown:
        scope = (
            f"check {checks[0].name!r}" if len(checks) == 1 else f"the {len(checks)} selected checks"
        )
        raise ConfigError(
            f"unknown config key{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(map(repr, unknown))} for {scope}; valid keys: {', '.join(valid)}"
        )
    plan = []
    for check in checks:
        mine = {k: v for k, v in overrides.items() if k in keys[check.name]}
        if not plots:
            mine = {**{k: False for k in check.figure_keys}, **mine}
        try:
            config = make_config(check, mine)
        except ValueError as error:
            raise ConfigError(f"{check.name}: {error}") from None
        plan.append(_Planned(check, config))
    return plan


def prepare_out_dir(out_dir: str | os.PathLike) -> str:
    """Creates ``out_dir`` and proves it writable, or raises ConfigError (before any check runs)."""
    out_dir = os.fspath(out_dir)
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise ConfigError(f"--out {out_dir!r} exists and is not a directory; name a directory")
    try:
        os.makedirs(out_dir, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out_dir, prefix=".write-test-"):
            pass
    except OSError as error:
        raise ConfigError(
            f"--out {out_dir!r} is not writable ({error.strerror or error}); name a writable directory"
        ) from None
    return out_dir


def _host(tree):
    """Device arrays in ``tree`` as numpy arrays (other leaves unchanged)."""
    return jax.tree.map(lambda v: np.asarray(v) if isinstance(v, jax.Array) else v, tree)


def _scalar(value) -> Any:
    return as_jsonable(np.asarray(value))


def _nonfinite(values: Mapping[str, Any]) -> dict[str, str]:
    """``{field: "nan" | "inf" | "-inf"}`` for the record's numbers that JSON writes as null."""
    out = {}
    for name, value in values.items():
        try:
            number = float(np.asarray(value))
        except (TypeError, ValueError):
            continue
        if not math.isfinite(number):
            out[name] = str(number)
    return out


def _atomic_write(path: str, text: str) -> None:
    """Writes ``text`` to ``path`` through a temporary file and a rename: never half-written."""
    directory = os.path.dirname(os.path.abspath(path))
    with tempfile.NamedTemporaryFile("w", dir=directory, delete=False, encoding="utf-8", newline="",
                                     prefix=".tmp-", suffix=os.path.basename(path)) as f:
        f.write(text)
        temporary = f.name
    os.replace(temporary, path)


def write_json(payload: Mapping[str, Any], path: str) -> None:
    """Strict JSON (``allow_nan=False``: non-finite numbers must already be null)."""
    _atomic_write(path, json.dumps(payload, indent=2, ensure_ascii=False, allow_nan=False) + "\n")


def write_csv(records: list[dict[str, Any]], path: str, fields: Sequence[str] = RECORD_FIELDS) -> None:
    """One row per record; mappings (``config``, ``details``, ``nonfinite``) as JSON strings."""
    import io

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(fields), extrasaction="ignore")
    writer.writeheader()
    for record in records:
        writer.writerow({
            k: json.dumps(v, ensure_ascii=False, allow_nan=False) if isinstance(v, (Mapping, list)) else v
            for k, v in record.items()
        })
    _atomic_write(path, buffer.getvalue())


def validate_result(check: Check, result: Result) -> Result:
    """A check's Result with host arrays; a malformed verdict is a bug in the check (raises)."""
    if not isinstance(result, Result):
        raise TypeError(f"check {check.name!r} returned {type(result).__name__}, not theorycheck.Result")
    if result.outcome not in OUTCOMES:
        raise ValueError(f"check {check.name!r} returned outcome {result.outcome!r}; expected one of {OUTCOMES}")
    if result.outcome != PASS and not str(result.reason).strip():
        raise ValueError(f"check {check.name!r} returned {result.outcome!r} without a reason")
    return result._replace(arrays=_host(result.arrays), details=_host(result.details))


def execute(check: Check, config, seed: int) -> Result:
    """Runs one check with ``jax.random.key(seed)``, in float64 when the check needs it.

    float64 is scoped to the check (``jax.enable_x64``), never switched on process-wide; the key
    is made inside that scope, so it is the same key however the check is called.
    """
    if check.run is None:  # an unregistered protocol check (a registered one is prepared already)
        check = prepare(check)
    scope = jax.enable_x64(True) if check.needs_x64 else contextlib.nullcontext()
    with scope:
        result = jax.block_until_ready(check.run(config, jax.random.key(int(seed))))
        return validate_result(check, result)


def _child(pickled: bytes, imports: list[str], seed: int, x64: bool, connection) -> None:
    """Entry point of the process that runs one check under a deadline. The check is pickled by
    reference to its module-level functions; the ``--import`` files and modules are imported
    first, under the same module names, so a user's check file needs no ``__main__`` guard."""
    try:
        import pickle

        from ._registry import discover

        jax.config.update("jax_enable_x64", x64)
        discover(imports)
        check, config = pickle.loads(pickled)
        connection.send(("ok", execute(check, config, seed)))
    except BaseException as error:  # reported to the parent, which raises it there
        import traceback

        connection.send(("error", f"{type(error).__name__}: {error}\n{traceback.format_exc()}"))
    finally:
        connection.close()


def timed_out_result(max_seconds: float) -> Result:
    nan = float("nan")
    return Result(
        predicted=nan, measured=nan, error=nan, tolerance=nan, outcome=INCONCLUSIVE,
        reason=f"did not finish within --max-seconds {max_seconds:g}; raise it, or lower steps or sizes",
        arrays={}, details={"max_seconds": float(max_seconds)},
    )


def execute_with_deadline(check: Check, config, seed: int, max_seconds: float) -> Result:
    """:func:`execute` in a child process that is killed after ``max_seconds``.

    A killed run is ``inconclusive`` with the reason. (XLA cannot be interrupted from Python, so
    the deadline needs a process; the child recompiles, which costs seconds, so this path is only
    taken when a deadline is asked for.)
    """
    import pickle

    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    x64 = bool(jax.config.read("jax_enable_x64"))
    pickled = pickle.dumps((check, config))
    process = context.Process(target=_child, args=(pickled, imported_specs(), seed, x64, sender), daemon=True)
    process.start()
    sender.close()
    try:
        if not receiver.poll(max_seconds):
            return timed_out_result(max_seconds)
        try:
            status, payload = receiver.recv()
        except EOFError:
            raise RuntimeError(f"check {check.name!r} died (exit code {process.exitcode})") from None
        if status != "ok":
            raise RuntimeError(f"check {check.name!r} raised in its process:\n{payload}")
        return payload
    finally:
        if process.is_alive():
            process.kill()
        process.join()
        receiver.close()


def make_record(check: Check, config, seed: int, result: Result, seconds: float) -> dict[str, Any]:
    """The JSON record of one run: every field of :data:`RECORD_FIELDS`, strict-JSON values."""
    numbers = {k: getattr(result, k) for k in ("predicted", "measured", "error", "tolerance")}
    return {
        "name": check.name,
        "statement": check.statement,
        "config": as_jsonable(dataclasses.asdict(config)),
        "seed": int(seed),
        "outcome": result.outcome,
        "passed": result.outcome == PASS,
        **{k: _scalar(v) for k, v in numbers.items()},
        "reason": str(result.reason),
        "details": as_jsonable(dict(result.details)),
        "nonfinite": _nonfinite({**numbers, **dict(result.details)}),
        "float64": bool(check.needs_x64 or jax.config.read("jax_enable_x64")),
        "seconds": float(seconds),
    }


def save_arrays(path: str, result: Result, record: Mapping[str, Any], prov: Mapping[str, Any]) -> None:
    """``<name>.npz``: the check's arrays plus ``_record`` and ``_provenance`` (JSON strings)."""
    arrays = {str(k): np.asarray(v) for k, v in result.arrays.items()}
    arrays["_record"] = np.asarray(json.dumps(record, ensure_ascii=False, allow_nan=False))
    arrays["_provenance"] = np.asarray(json.dumps(prov, ensure_ascii=False, allow_nan=False))
    np.savez(path, **arrays)


def _run(
    names: Sequence[str] | None,
    overrides: Mapping[str, Any] | None,
    seed: int,
    out_dir: str | os.PathLike,
    plots: bool = True,
    progress: bool = True,
    max_seconds: float | None = None,
    argv: Sequence[str] | None = None,
) -> list[_Outcome]:
    plan = _plan(names, overrides, seed, plots)
    if max_seconds is not None and not (isinstance(max_seconds, (int, float)) and max_seconds > 0
                                        and math.isfinite(max_seconds)):
        raise ConfigError(f"max_seconds must be a finite number > 0, got {max_seconds!r}")
    out_dir = prepare_out_dir(out_dir)
    prov = provenance(None if argv is None else list(argv))
    if plots:
        import matplotlib

        if "matplotlib.pyplot" not in sys.modules:  # never switch a user's live backend
            matplotlib.use("Agg")
    from tqdm.auto import tqdm

    outcomes: list[_Outcome] = []
    bar = tqdm(
        plan,
        desc="theorycheck",
        unit="check",
        file=sys.stderr,
        disable=not progress or not sys.stderr.isatty(),
        leave=False,
    )

    def write_records():  # rewritten after every check, so a crash later on keeps what finished
        records = [o.record for o in outcomes]
        write_json({"provenance": prov, "checks": records}, os.path.join(out_dir, "results.json"))
        write_csv(records, os.path.join(out_dir, "results.csv"))

    for check, config in bar:
        bar.set_postfix_str(check.name)
        start = time.perf_counter()
        if max_seconds is None:
            result = execute(check, config, seed)
        else:
            result = execute_with_deadline(check, config, seed, max_seconds)
        seconds = time.perf_counter() - start
        record = make_record(check, config, seed, result, seconds)
        save_arrays(os.path.join(out_dir, f"{check.name}.npz"), result, record, prov)
        if plots and (result.arrays or check.plot is None):
            (check.plot or default_plot)(config, result, os.path.join(out_dir, f"{check.name}.png"))
        outcomes.append(_Outcome(record, result))
        write_records()
    bar.close()
    write_records()
    return outcomes


def run_checks(
    names: Sequence[str] | None,
    overrides: Mapping[str, Any] | None,
    seed: int,
    out_dir: str | os.PathLike,
    plots: bool = True,
    progress: bool = True,
    max_seconds: float | None = None,
) -> list[dict[str, Any]]:
    """Runs checks and writes their records, figures and arrays to ``out_dir``.

    Every name, override, value, the seed and ``out_dir`` are validated before the first check
    runs. An override applies to each selected check whose config has that key; a key that no
    selected check has is an error. A check that needs float64 runs inside
    ``jax.enable_x64(True)``; nothing is switched on process-wide.

    Args:
      names: the checks to run, in order; ``None`` or empty runs every registered check.
      overrides: ``{key: value}`` config overrides; values may be strings (as from the command
        line: ``"0.5"``, ``"true"``) or Python values, and are type- and range-checked.
      seed: an integer in ``[0, 2**32 - 1]``; every check gets ``jax.random.key(seed)``.
      out_dir: a directory (created if missing, must be writable); receives ``<name>.npz``
        (``Result.arrays`` plus ``_record`` and ``_provenance`` as JSON strings), ``<name>.png``
        (unless ``plots=False``), ``results.json`` (``{"provenance": {...}, "checks": [record,
        ...]}``, strict JSON) and ``results.csv`` (the same fields; mappings as JSON strings).
      plots: whether to draw each check's figure; without plots, work that only feeds a figure
        (each check's ``figure_keys``) is skipped too.
      progress: whether to show a progress bar (on stderr, and only if it is a terminal).
      max_seconds: a per-check wall-clock budget; a check that exceeds it is killed and recorded
        as ``inconclusive`` with the reason (it then runs in a child process).

    Returns:
      One record per check with the fields of :data:`RECORD_FIELDS`: ``outcome`` (``"pass"``,
      ``"fail"`` or ``"inconclusive"``), ``passed`` (``outcome == "pass"``), ``reason``,
      ``details``, and the numbers (non-finite ones as ``None``, named in ``nonfinite``).

    Raises:
      ConfigError: (a ``ValueError``) an unknown check or config key (the message lists the
        valid ones), a value of the wrong type or out of range, a bad seed, or an ``out_dir``
        that is a file or not writable.

    Examples:
      >>> records = run_checks(["gd_quadratic"], {"momentum": 0.5}, 0, "runs/momentum")
      >>> records[0]["outcome"]
      'fail'
    """
    return [o.record for o in _run(names, overrides, seed, out_dir, plots, progress, max_seconds)]
