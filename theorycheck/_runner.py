"""Runs registered checks and writes their records (the engine behind ``theorycheck run``).

Everything a user can get wrong (check names, ``--set`` keys, types, ranges, the seed, float64) is
validated for *all* selected checks before the first one runs, so a typo in the last name never
costs the runtime of the first check. A check that raises while running is a bug, not bad input,
and propagates unchanged.
"""

import csv
import dataclasses
import json
import os
import sys
import time
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import jax
import numpy as np

from ._check import Check, Result, as_jsonable, make_config, registry

RECORD_FIELDS = (
    "name",
    "statement",
    "config",
    "seed",
    "predicted",
    "measured",
    "error",
    "tolerance",
    "passed",
    "seconds",
)
MAX_SEED = 2**32 - 1  # jax.random.key gives the same key for these seeds with and without x64


class ConfigError(ValueError):
    """Bad input to :func:`run_checks`: an unknown check or key, a bad value, a bad seed."""


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


def _plan(
    names: Sequence[str] | None, overrides: Mapping[str, Any] | None, seed: int
) -> list[_Planned]:
    """Validates everything and builds every config; raises before anything runs."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ConfigError(f"seed must be an integer, got {seed!r}")
    if not 0 <= seed <= MAX_SEED:
        raise ConfigError(f"seed must lie in [0, {MAX_SEED}], got {seed}")
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
        try:
            config = make_config(check, mine)
        except ValueError as error:
            raise ConfigError(f"{check.name}: {error}") from None
        plan.append(_Planned(check, config))
    needs_x64 = [p.check.name for p in plan if p.check.needs_x64]
    if needs_x64 and not _x64_enabled():
        raise RuntimeError(
            f"check(s) {', '.join(needs_x64)} need float64: call "
            'jax.config.update("jax_enable_x64", True) at start-up, before creating any arrays '
            "(the theorycheck CLI does this for you)"
        )
    return plan


def _x64_enabled() -> bool:
    return bool(jax.config.read("jax_enable_x64"))


def _host(tree):
    """Device arrays in ``tree`` as numpy arrays (other leaves unchanged)."""
    return jax.tree.map(lambda v: np.asarray(v) if isinstance(v, jax.Array) else v, tree)


def _scalar(value) -> Any:
    return as_jsonable(np.asarray(value))


def _write_json(records: list[dict[str, Any]], path: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"checks": records}, f, indent=2, ensure_ascii=False)
        f.write("\n")


def _write_csv(records: list[dict[str, Any]], path: str) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=RECORD_FIELDS)
        writer.writeheader()
        for record in records:
            writer.writerow(
                {**record, "config": json.dumps(record["config"], ensure_ascii=False)}
            )


def _run(
    names: Sequence[str] | None,
    overrides: Mapping[str, Any] | None,
    seed: int,
    out_dir: str | os.PathLike,
    plots: bool = True,
    progress: bool = True,
) -> list[_Outcome]:
    plan = _plan(names, overrides, seed)
    out_dir = os.fspath(out_dir)
    os.makedirs(out_dir, exist_ok=True)
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
    for check, config in bar:
        bar.set_postfix_str(check.name)
        key = jax.random.key(int(seed))
        start = time.perf_counter()
        result = jax.block_until_ready(check.run(config, key))
        seconds = time.perf_counter() - start
        result = result._replace(arrays=_host(result.arrays), details=_host(result.details))
        np.savez(
            os.path.join(out_dir, f"{check.name}.npz"),
            **{str(k): np.asarray(v) for k, v in result.arrays.items()},
        )
        if plots:
            check.plot(config, result, os.path.join(out_dir, f"{check.name}.png"))
        record = {
            "name": check.name,
            "statement": check.statement,
            "config": as_jsonable(dataclasses.asdict(config)),
            "seed": int(seed),
            "predicted": _scalar(result.predicted),
            "measured": _scalar(result.measured),
            "error": _scalar(result.error),
            "tolerance": _scalar(result.tolerance),
            "passed": bool(np.asarray(result.passed)),
            "seconds": float(seconds),
        }
        outcomes.append(_Outcome(record, result))
        # Rewritten after every check, so a crash later on keeps what finished.
        _write_json([o.record for o in outcomes], os.path.join(out_dir, "results.json"))
    bar.close()
    records = [o.record for o in outcomes]
    _write_json(records, os.path.join(out_dir, "results.json"))
    _write_csv(records, os.path.join(out_dir, "results.csv"))
    return outcomes


def run_checks(
    names: Sequence[str] | None,
    overrides: Mapping[str, Any] | None,
    seed: int,
    out_dir: str | os.PathLike,
    plots: bool = True,
    progress: bool = True,
) -> list[dict[str, Any]]:
    """Runs checks and writes their records, figures and arrays to ``out_dir``.

    Every name, override, value and the seed is validated before the first check runs. An
    override applies to each selected check whose config has that key; a key that no selected
    check has is an error.

    Args:
      names: the checks to run, in order; ``None`` or empty runs every registered check.
      overrides: ``{key: value}`` config overrides; values may be strings (as from the command
        line: ``"0.5"``, ``"true"``) or Python values, and are type- and range-checked.
      seed: an integer in ``[0, 2**32 - 1]``; every check gets ``jax.random.key(seed)``.
      out_dir: created if missing; receives ``<name>.npz`` (``Result.arrays``), ``<name>.png``
        (unless ``plots=False``), ``results.json`` (``{"checks": [record, ...]}``) and
        ``results.csv`` (same fields, ``config`` as a JSON string).
      plots: whether to call each check's ``plot``.
      progress: whether to show a progress bar (on stderr, and only if it is a terminal).

    Returns:
      One record per check: ``{"name", "statement", "config", "seed", "predicted", "measured",
      "error", "tolerance", "passed", "seconds"}``, JSON-serialisable.

    Raises:
      ConfigError: (a ``ValueError``) an unknown check or config key (the message lists the
        valid ones), a value of the wrong type or out of range, or a bad seed.
      RuntimeError: a selected check needs float64 and ``jax_enable_x64`` is off.

    Examples:
      >>> jax.config.update("jax_enable_x64", True)
      >>> records = run_checks(["gd_quadratic"], {"momentum": 0.5}, 0, "runs/momentum")
      >>> records[0]["passed"]
      False
    """
    return [o.record for o in _run(names, overrides, seed, out_dir, plots, progress)]
