"""``theorycheck falsify NAME``: a hypothesis-driven search for a counterexample in a check's ranges.

**Search.** Hypothesis draws ``--budget`` configurations from the check's declared ranges
(:func:`theorycheck.testing.configs`: each key left at its default or drawn, log-uniformly where
its range spans decades, the check's ``validate`` respected) together with PRNG seeds,
deterministically for a given ``--seed``. The keys that a negative control sets switch a
hypothesis off, so they stay at their defaults unless ``--range`` frees them; ``--range
KEY=LO:HI`` may also search past the advertised range ("does the claim still hold there?").
``--set`` pins keys; ``--quick`` pins the check's quick sizes. The drawn configs are run the way a
sweep runs them (:func:`theorycheck._sweep.evaluate`): grouped by their static keys, one jitted
``vmap`` per group where the check has the sweep protocol.

**Shrinking.** The first FAIL in draw order is shrunk greedily to a simplest failing config:
each round tries, in this order, every key put back to its default, every numeric key moved half
way (geometrically where its range spans decades) towards its default and towards its low end,
but never closer to that target than 1% of the key's range (the target is its own candidate),
and every list shortened by its last element; the first candidate that still FAILs (same seed) is
kept, and rounds repeat until none does. Each step is recorded (``shrink_path``).

**Outcome.** Exit 1 with the minimal counterexample and the command line that reproduces it; or
"no counterexample in N configs (M inconclusive)" and exit 0; exit 2 for bad input, before
anything runs. ``--max-seconds`` bounds the whole search (checked between groups of runs).
"""

import contextlib
import dataclasses
import math
import os
import time
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import jax

from ._check import FAIL, INCONCLUSIVE, PASS, Check, _coerce, as_jsonable, make_config
from ._provenance import provenance
from ._runner import ConfigError, check_seed, prepare_out_dir, write_csv, write_json
from ._sweep import Point, _record_id, _sweep_record, _write_record, evaluate
from .testing import configs, controlled_keys, past_range, seeds, spans_decades

DEFAULT_BUDGET = 50
MAX_SHRINK_RUNS = 60
SHRINK_RESOLUTION = 0.01  # a float key is not shrunk closer to its target than 1% of its range


class Trial(NamedTuple):
    """One evaluated config: the overrides (keys off their defaults), the seed and the record."""

    overrides: dict[str, Any]
    seed: int
    record: dict[str, Any]


class Search(NamedTuple):
    check: Check
    trials: list[Trial]
    counterexample: Trial | None
    shrink_path: list[Trial]
    stopped: str  # why the search ended early ("" when the budget was spent)
    freed: tuple = ()  # the keys --range searched


def parse_ranges(check: Check, items: Sequence[str]) -> dict[str, Any]:
    """``["KEY", "KEY=LO:HI", "KEY=V1,V2"]`` → ``{key: None | (lo, hi) | [values]}``, typed.

    Raises:
      ConfigError: an unknown key, a malformed or empty range, or values of the wrong type.
    """
    fields = {f.name: f for f in dataclasses.fields(check.config_type)}
    ranges: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        if key not in fields:
            raise ConfigError(f"--range {item!r}: unknown config key {key!r} for check {check.name!r}; "
                              f"valid keys: {', '.join(fields)}")
        field = fields[key]
        try:
            if not sep:
                ranges[key] = None
            elif ":" in text:
                low, _, high = text.partition(":")
                low, high = (_coerce(key, field, v, check_range=False) for v in (low, high))
                if isinstance(low, tuple):
                    raise ValueError(f"config key {key!r} is a list: give values, not LO:HI")
                if not low <= high:
                    raise ValueError(f"--range {item!r}: LO must be <= HI")
                ranges[key] = (low, high)
            else:
                values = [_coerce(key, field, v, check_range=False) for v in text.split(";" if ";" in text else ",")]
                ranges[key] = values
        except ValueError as error:
            raise ConfigError(f"--range {item!r}: {error}") from None
    return ranges


def draw(check: Check, budget: int, seed: int, fixed: Mapping[str, Any], ranges: Mapping[str, Any],
         unchecked: set[str]) -> list[tuple[dict[str, Any], int]]:
    """``budget`` distinct ``(overrides, seed)`` pairs drawn by hypothesis, deterministic in ``seed``."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed

    drawn: list[tuple[dict[str, Any], int]] = []
    seen: set[str] = set()
    strategy = configs(check, ranges=ranges, **fixed)

    @hypothesis_seed(seed)
    @settings(max_examples=budget, phases=[Phase.generate], database=None, deadline=None, derandomize=False,
              suppress_health_check=list(HealthCheck), print_blob=False)
    @given(strategy, seeds())
    def collect(overrides, run_seed):
        key = repr((sorted(overrides.items()), run_seed))
        if key not in seen and len(drawn) < budget:
            seen.add(key)
            drawn.append((dict(overrides), int(run_seed)))

    collect()
    return drawn


def _point(check: Check, overrides: Mapping[str, Any], seed: int, unchecked: set[str]) -> Point:
    config = make_config(check, overrides, unchecked=unchecked)
    return Point(config, seed, dict(overrides), _record_id(check.name, as_jsonable(dict(overrides)), seed, {}))


def _run(check: Check, candidates: Sequence[tuple[dict[str, Any], int]], unchecked: set[str],
         out_dir: str | None) -> list[Trial]:
    """Evaluates the candidates (grouped, batched); returns their trials in candidate order."""
    points = []
    for overrides, seed in candidates:
        try:
            points.append(_point(check, overrides, seed, unchecked))
        except ValueError:
            continue  # a shrink step the check's validate rejects
    trials: dict[str, Trial] = {}
    for point, result, seconds, chunk_points in evaluate(check, points):
        record = _sweep_record(point, check, result, seconds, chunk_points)
        if out_dir is not None:
            _write_record(out_dir, record, check, result)
        trials[point.id] = Trial(dict(point.swept), point.seed, record)
    return [trials[p.id] for p in points if p.id in trials]


def _toward(value, target, low, high, kind):
    """``value`` moved half way to ``target`` (geometrically across decades); None if no move.

    A float is not moved closer to ``target`` than ``SHRINK_RESOLUTION`` of its range (in log
    scale where the range spans decades): the target itself is its own candidate, and halving
    towards a failure threshold to round-off would spend dozens of runs on digits."""
    if value == target:
        return None
    geometric = spans_decades(low, high) and value > 0 and target > 0
    moved = math.sqrt(value * target) if geometric else (value + target) / 2
    if kind is float and low is not None and high is not None and high > low:
        if geometric:
            gap, width = abs(math.log(moved / target)), math.log(high / low)
        else:
            gap, width = abs(moved - target), high - low
        if gap < SHRINK_RESOLUTION * width:
            return None
    if kind is int:
        moved = int(round(moved))
        if moved == value:
            moved = target
    return moved if moved != value else None


def shrink_candidates(check: Check, overrides: Mapping[str, Any], pinned: Sequence[str]) -> list[dict[str, Any]]:
    """The simpler neighbours of a failing config, simplest first (see the module docstring)."""
    fields = {f.name: f for f in dataclasses.fields(check.config_type)}
    free = [k for k in overrides if k not in pinned]
    out = [{k: v for k, v in overrides.items() if k != key} for key in free]
    for key in free:
        field, value = fields[key], overrides[key]
        meta = field.metadata
        if isinstance(value, tuple):
            if len(value) > 1:
                out.append({**overrides, key: value[:-1]})
            continue
        if isinstance(value, bool) or meta.get("choices") is not None or not isinstance(value, (int, float)):
            continue
        kind = int if isinstance(field.default, int) and not isinstance(field.default, bool) else float
        targets = [field.default] if isinstance(field.default, (int, float)) else []
        if meta.get("low") is not None and meta["low"] not in targets:
            targets.append(meta["low"])
        for target in targets:
            moved = _toward(value, target, meta.get("low"), meta.get("high"), kind)
            if moved is not None:
                out.append({**overrides, key: moved} if moved != field.default
                           else {k: v for k, v in overrides.items() if k != key})
    unique, seen = [], set()
    for candidate in out:
        key = repr(sorted(candidate.items()))
        if key not in seen:
            seen.add(key)
            unique.append(candidate)
    return unique


def falsify(check: Check, *, budget: int = DEFAULT_BUDGET, seed: int = 0, fixed: Mapping[str, Any] | None = None,
            ranges: Mapping[str, Any] | None = None, quick: bool = False, max_seconds: float | None = None,
            out_dir: str | None = None, progress=None) -> Search:
    """Searches ``check``'s ranges for a FAIL and shrinks the first one found (module docstring).

    Args:
      budget: how many configs to draw (>= 1).
      seed: the hypothesis seed: the same seed draws the same configs.
      fixed: ``{key: value}`` pinned (validated; past the advertised range only for keys freed
        past it by ``ranges``).
      ranges: ``{key: None | (lo, hi) | [values]}``: keys freed (a control's key) or searched over
        another range.
      quick: pin the check's ``quick`` sizes (unless ``fixed`` sets them) and draw every other
        integer key (sizes, step counts) no higher than its default.
      max_seconds: a bound on the whole search, checked between groups of runs.
      out_dir: where the records go (``store/``, ``results.csv``, ``falsify.json``); None: nowhere.
      progress: ``progress(message)`` called as the search goes (None: silent).

    Raises:
      ConfigError: a bad budget, seed or pinned value.
    """
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
        raise ConfigError(f"--budget must be an integer >= 1, got {budget!r}")
    check_seed(seed)
    if max_seconds is not None and not (max_seconds > 0 and math.isfinite(max_seconds)):
        raise ConfigError(f"--max-seconds must be a finite number > 0, got {max_seconds!r}")
    ranges = dict(ranges or {})
    quick_sizes = {k: v for k, v in check.quick.items() if k not in ranges} if quick else {}
    fixed = {**quick_sizes, **dict(fixed or {})}
    held = controlled_keys(check) - set(ranges)
    if quick:  # quick sizes: no integer key (a size, a step count) drawn above its default
        for f in dataclasses.fields(check.config_type):
            if (f.name not in ranges and f.name not in fixed and f.name not in held and type(f.default) is int
                    and f.metadata.get("choices") is None and f.metadata.get("low") is not None
                    and f.metadata["low"] < f.default):
                ranges[f.name] = (f.metadata["low"], f.default)
    unchecked = past_range(check, ranges)
    fields = {f.name for f in dataclasses.fields(check.config_type)}
    unknown = [k for k in fixed if k not in fields]
    if unknown:
        raise ConfigError(f"unknown config key {unknown[0]!r} for check {check.name!r}; valid keys: {', '.join(fields)}")
    both = sorted(set(fixed) & set(ranges))
    if both:
        raise ConfigError(f"{', '.join(map(repr, both))} is both pinned (--set) and searched (--range); choose one")
    try:
        base = make_config(check, fixed, unchecked=unchecked)
    except ValueError as error:
        raise ConfigError(f"{check.name}: {error}") from None
    fixed = {k: getattr(base, k) for k in fixed}
    if out_dir is not None:
        out_dir = prepare_out_dir(out_dir)
        os.makedirs(os.path.join(out_dir, "store"), exist_ok=True)
    say = progress or (lambda message: None)
    start = time.perf_counter()

    def out_of_time() -> bool:
        return max_seconds is not None and time.perf_counter() - start > max_seconds

    candidates = draw(check, budget, seed, fixed, ranges, unchecked)
    say(f"drew {len(candidates)} configs")
    scope = jax.enable_x64(True) if check.needs_x64 else contextlib.nullcontext()
    trials: list[Trial] = []
    counterexample, path, stopped = None, [], ""
    with scope:
        for begin in range(0, len(candidates), 8):  # groups of draws, so --max-seconds can stop between
            if out_of_time():
                stopped = f"stopped by --max-seconds {max_seconds:g} after {len(trials)} configs"
                break
            trials += _run(check, candidates[begin:begin + 8], unchecked, out_dir)
            say(f"{len(trials)}/{len(candidates)} configs run, "
                f"{sum(t.record['outcome'] == FAIL for t in trials)} failed")
        fails = [t for t in trials if t.record["outcome"] == FAIL]
        if fails:
            counterexample = fails[0]
            path = [counterexample]
            runs = 0
            visited = {repr(sorted(counterexample.overrides.items()))}
            while runs < MAX_SHRINK_RUNS and not out_of_time():
                neighbours = [c for c in shrink_candidates(check, counterexample.overrides, list(fixed))
                              if repr(sorted(c.items())) not in visited]  # never cycle back
                visited.update(repr(sorted(c.items())) for c in neighbours)
                if not neighbours:
                    break
                tried = _run(check, [(c, counterexample.seed) for c in neighbours], unchecked, out_dir)
                runs += len(tried)
                simpler = next((t for t in tried if t.record["outcome"] == FAIL), None)
                if simpler is None:
                    break
                counterexample = simpler
                path.append(simpler)
                say(f"shrunk to {simpler.overrides}")
    search = Search(check, trials, counterexample, path, stopped, tuple(ranges))
    if out_dir is not None:
        write_outputs(search, out_dir, dict(budget=budget, seed=seed, fixed=fixed, ranges=ranges, quick=quick))
    return search


def command_line(check: Check, trial: Trial) -> str:
    """The ``theorycheck run`` command that reproduces a trial."""
    from .cli import _control_line

    return f"{_control_line(check.name, trial.overrides)} --seed {trial.seed}"


def summary(search: Search) -> dict[str, Any]:
    counts = {k: sum(t.record["outcome"] == k for t in search.trials) for k in (PASS, FAIL, INCONCLUSIVE)}
    out = {"check": search.check.name, "configs": len(search.trials), **counts, "stopped": search.stopped,
           "held_at_default": sorted(controlled_keys(search.check) - set(search.freed))}
    if search.counterexample is not None:
        out["counterexample"] = {"overrides": as_jsonable(search.counterexample.overrides),
                                 "seed": search.counterexample.seed,
                                 "reason": search.counterexample.record["reason"],
                                 "command": command_line(search.check, search.counterexample)}
        out["shrink_path"] = [{"overrides": as_jsonable(t.overrides), "seed": t.seed, "outcome": t.record["outcome"],
                               "reason": t.record["reason"]} for t in search.shrink_path]
    return out


def write_outputs(search: Search, out_dir: str, settings: Mapping[str, Any]) -> None:
    """``results.csv`` (one row per config run, shrink steps included) and ``falsify.json``."""
    keys = [f.name for f in dataclasses.fields(search.check.config_type)]
    fields = ["name", *keys, "seed", "outcome", "passed", "predicted", "measured", "error", "tolerance", "reason",
              "seconds_amortised", "chunk_points", "details"]
    rows = [{**t.record["config"], **{k: t.record.get(k) for k in fields if k not in t.record["config"]}}
            for t in [*search.trials, *search.shrink_path[1:]]]
    write_csv(rows, os.path.join(out_dir, "results.csv"), fields=fields)
    write_json({"provenance": provenance(None), "settings": as_jsonable(dict(settings)), **summary(search)},
               os.path.join(out_dir, "falsify.json"))
