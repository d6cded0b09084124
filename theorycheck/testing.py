"""Checks as tests: run, sweep and assert a check from Python, draw configs with hypothesis.

A researcher's property test of their own theorem (or a built-in one) reads::

    from hypothesis import given
    from theorycheck.testing import assert_holds, configs, seeds

    @given(configs("gd_quadratic", steps=100), seeds())
    def test_gd_quadratic_holds_across_its_ranges(config, seed):
        assert_holds("gd_quadratic", seed=seed, allow_inconclusive=True, **config)

Every function takes a check or its registered name, validates the overrides exactly as the
command line does (type and range, the check's own ``validate``), and runs the check with float64
scoped to it where it needs it: the same numbers as ``theorycheck run``.

The pytest plugin (``pytest --theorycheck``) and the project's own corner test use
:func:`cases` and :func:`assert_case`: a check's default must pass, each negative control must
fail, and each range corner must pass or be inconclusive.
"""

import dataclasses
import math
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from ._check import FAIL, INCONCLUSIVE, PASS, Check, Result, make_config
from ._registry import get_check
from ._runner import MAX_SEED, execute

__all__ = ["Case", "assert_case", "assert_fails", "assert_holds", "cases", "configs", "run", "seeds", "sweep"]


def _check(check_or_name: "Check | str") -> Check:
    return check_or_name if isinstance(check_or_name, Check) else get_check(check_or_name)


def run(check_or_name: "Check | str", *, seed: int = 0, **overrides) -> Result:
    """The check at its defaults with ``overrides`` (validated), keyed by ``jax.random.key(seed)``.

    Raises:
      ValueError: an unknown key, a value of the wrong type or out of range (the message names it).
    """
    check = _check(check_or_name)
    return execute(check, make_config(check, overrides), seed)


def sweep(check_or_name: "Check | str", grid: Mapping[str, Sequence[Any]], seeds: Sequence[int] = (0,),
          out_dir: str | None = None, **fixed) -> list[dict[str, Any]]:
    """``theorycheck sweep`` from Python: one record per (config, seed), as the rows of its
    ``results.csv`` (the check's name, every config key, the seed, outcome and numbers).

    Args:
      grid: ``{key: [value, ...]}``; the product is swept (data keys as one ``vmap``).
      seeds: the seeds of every grid point.
      out_dir: where the store and tables go (``None``: a temporary directory, removed after).
      **fixed: config overrides held fixed.
    """
    from ._sweep import plan_sweep, run_sweep, tidy

    plan = plan_sweep(_check(check_or_name), {k: list(v) for k, v in grid.items()}, list(seeds), fixed)
    with tempfile.TemporaryDirectory(prefix="theorycheck-sweep-") as scratch:
        rows, _ = run_sweep(plan, out_dir or scratch, plots=False, progress=False)
        return tidy(plan, rows)


def _message(check: Check, result: Result, expected: str, overrides: Mapping[str, Any], seed: int) -> str:
    sets = " ".join(f"--set {k}={_text(v)}" for k, v in overrides.items())
    details = ", ".join(f"{k}={v}" for k, v in dict(result.details).items())
    return (f"{check.name} (seed {seed}{', ' + sets if sets else ''}): expected {expected}, got "
            f"{result.outcome.upper()}: {result.reason}\n  error {result.error:.6g}, tolerance "
            f"{result.tolerance:.6g}, predicted {result.predicted:.6g}, measured {result.measured:.6g}"
            + (f"\n  details: {details}" if details else ""))


def _text(value) -> str:
    if isinstance(value, (tuple, list)):
        return ",".join(map(_text, value))
    return str(value).lower() if isinstance(value, bool) else str(value)


def assert_holds(check_or_name: "Check | str", *, seed: int = 0, allow_inconclusive: bool = False,
                 **overrides) -> Result:
    """Runs the check and asserts it passes (or, with ``allow_inconclusive``, did not fail).

    Returns:
      the :class:`~theorycheck.Result`.

    Raises:
      AssertionError: the outcome, the reason, error/tolerance and the details.
    """
    check = _check(check_or_name)
    result = run(check, seed=seed, **overrides)
    allowed = (PASS, INCONCLUSIVE) if allow_inconclusive else (PASS,)
    if result.outcome not in allowed:
        raise AssertionError(_message(check, result, " or ".join(o.upper() for o in allowed), overrides, seed))
    return result


def assert_fails(check_or_name: "Check | str", *, seed: int = 0, because: str | None = None,
                 **overrides) -> Result:
    """Runs the check (a negative control) and asserts it FAILs — decided, not inconclusive —
    and, with ``because``, that the reason names that criterion (a substring).

    Raises:
      AssertionError: the outcome, the reason, error/tolerance and the details.
    """
    check = _check(check_or_name)
    result = run(check, seed=seed, **overrides)
    if result.outcome != FAIL:
        raise AssertionError(_message(check, result, "FAIL", overrides, seed))
    if because is not None and because not in result.reason:
        raise AssertionError(_message(check, result, f"FAIL because of {because!r}", overrides, seed))
    return result


# ----------------------------------------------------------------------------- hypothesis
def _element(field: dataclasses.Field) -> tuple[type, Any]:
    """The scalar type and default of a key (the element's, for a list-valued key)."""
    default = field.default[0] if isinstance(field.default, tuple) and field.default else field.default
    kind = field.type if isinstance(field.type, type) else type(default)
    if isinstance(field.default, tuple):
        kind = type(default)
    return kind, default


def spans_decades(low, high) -> bool:
    """Whether a positive range is drawn log-uniformly (its ends differ by 100x or more)."""
    return low is not None and high is not None and low > 0 and high / low >= 100


def value_strategy(field: dataclasses.Field, low=None, high=None, values=None):
    """A hypothesis strategy for one key's values: ``values`` if given; ``choices``; booleans;
    integers/floats in ``[low, high]`` (the advertised range unless given), log-uniform where the
    range spans decades, with the two ends drawn often. An unbounded side is capped at 100x the
    default (or 1000)."""
    from hypothesis import strategies as st

    kind, default = _element(field)
    meta = field.metadata
    if values is not None:
        return st.sampled_from(list(values))
    if meta.get("choices") is not None:
        return st.sampled_from(list(meta["choices"]))
    if kind is bool:
        return st.booleans()
    low = meta.get("low") if low is None else low
    high = meta.get("high") if high is None else high
    scale = abs(default) if isinstance(default, (int, float)) and default else 10.0
    low = -100.0 * scale if low is None else low
    high = 100.0 * scale if high is None else high
    if kind is int:
        low, high = int(math.ceil(low)), int(math.floor(high))
        if spans_decades(low, high):
            inside = st.floats(math.log(low), math.log(high)).map(
                lambda v, lo=low, hi=high: min(hi, max(lo, int(round(math.exp(v))))))
        else:
            inside = st.integers(low, high)
    elif spans_decades(low, high):
        inside = st.floats(math.log(low), math.log(high)).map(
            lambda v, lo=float(low), hi=float(high): min(hi, max(lo, math.exp(v))))
    else:
        inside = st.floats(float(low), float(high), allow_nan=False, allow_infinity=False)
    return st.one_of(st.sampled_from([low, high]), inside)  # the ends, where checks break, drawn often


def past_range(check: Check, ranges: Mapping[str, Any]) -> set[str]:
    """The keys of ``ranges`` (``{key: None | (lo, hi) | [values]}``) that reach past their
    advertised range: their values are not range-checked (the type and ``validate`` still are)."""
    fields = {f.name: f for f in dataclasses.fields(check.config_type)}
    out = set()
    for key, spec in ranges.items():
        meta = fields[key].metadata
        for value in (spec if isinstance(spec, (tuple, list)) else ()):
            for v in (value if isinstance(value, tuple) else (value,)):
                if isinstance(v, (int, float)) and not isinstance(v, bool) and (
                        (meta.get("low") is not None and v < meta["low"])
                        or (meta.get("high") is not None and v > meta["high"])):
                    out.add(key)
    return out


def controlled_keys(check: Check) -> set[str]:
    """The keys a negative control sets: hypothesis switches, held at their defaults in a search."""
    return {k for control in check.negative_controls for k in control}


def configs(check_or_name: "Check | str", *, ranges: Mapping[str, Any] | None = None, **fixed):
    """A hypothesis strategy of valid override dicts for a check, drawn from its declared ranges.

    Each free key is either left at its default or drawn (so failures shrink towards the
    default config): log-uniformly where its range spans decades, from its ``choices``, as a
    list of up to three elements for a list-valued key. Draws that the check's ``validate``
    rejects are discarded. The keys a negative control sets switch a hypothesis off: they stay at
    their defaults unless ``ranges`` frees them.

    Args:
      ranges: ``{key: None | (low, high) | [values]}``: free a key over its advertised range
        (``None``), over ``[low, high]`` (beyond the advertised range too), or over values.
      **fixed: keys pinned to a value (validated).

    Returns:
      a strategy of ``{key: value}`` dicts (only the keys that differ from the defaults), to pass
      as ``**config`` to :func:`run` / :func:`assert_holds`.
    """
    from hypothesis import assume
    from hypothesis import strategies as st

    check = _check(check_or_name)
    fields = {f.name: f for f in dataclasses.fields(check.config_type)}
    ranges = dict(ranges or {})
    for key in [*ranges, *fixed]:
        if key not in fields:
            raise ValueError(f"unknown config key {key!r} for check {check.name!r}; valid keys: {', '.join(fields)}")
    make_config(check, fixed, unchecked=past_range(check, ranges))  # a bad pin is an error now, not a filtered draw
    held = controlled_keys(check) - set(ranges)
    free = [k for k in fields if k not in fixed and k not in held]
    beyond = past_range(check, ranges)
    per_key = {}
    for key in free:
        field = fields[key]
        spec = ranges.get(key)
        if isinstance(spec, tuple) and len(spec) == 2:
            strategy = value_strategy(field, low=spec[0], high=spec[1])
        elif isinstance(spec, (list, set, frozenset)):
            strategy = value_strategy(field, values=sorted(spec, key=str))
        else:
            strategy = value_strategy(field)
        if isinstance(field.default, tuple) and field.default:
            strategy = st.lists(strategy, min_size=1, max_size=max(3, len(field.default))).map(tuple)
        per_key[key] = st.one_of(st.just(field.default), strategy)

    @st.composite
    def draw(draw_value):
        overrides = {k: draw_value(per_key[k]) for k in free}
        overrides = {k: v for k, v in overrides.items() if v != fields[k].default}
        try:
            make_config(check, {**fixed, **overrides}, unchecked=beyond)
        except ValueError:
            assume(False)
        return {**fixed, **overrides}

    return draw()


def seeds():
    """A hypothesis strategy of PRNG seeds (the whole range ``jax.random.key`` accepts)."""
    from hypothesis import strategies as st

    return st.integers(0, MAX_SEED)


# ------------------------------------------------------------------- the plugin's test cases
class Case(NamedTuple):
    """One generated test of a check: its default, a negative control, or a range corner."""

    check: str
    kind: str  # "default" | "control" | "corner"
    id: str
    overrides: dict
    slow: bool = False  # a corner that costs minutes, or a hypothesis switch's corner
    key: str | None = None  # the corner's key


def _ends(field: dataclasses.Field):
    if isinstance(field.default, tuple) and field.default:  # a list-valued key: one-element lists
        element = dataclasses.field(default=field.default[0], metadata=field.metadata)
        element.type = type(field.default[0])
        return [(end, (value,)) for end, value in _ends(element)]
    kind = field.type if isinstance(field.type, type) else type(field.default)
    meta = field.metadata
    if meta.get("choices") is not None:
        return [(str(c), c) for c in meta["choices"]]
    if kind is bool:
        return [("false", False), ("true", True)]
    return [(end, meta.get(end)) for end in ("low", "high") if meta.get(end) is not None]


def cases(check_or_name: "Check | str", kinds: Iterable[str] = ("default", "control", "corner")) -> list[Case]:
    """The generated tests of a check: its default (must pass), each negative control (must
    fail), and each config key at each end of its range, one at a time, the other keys at the
    check's ``quick`` sizes (must pass or be inconclusive where the hypotheses hold). Corners of
    a control's key, and those in ``slow_corners``, are ``slow``."""
    check = _check(check_or_name)
    kinds = set(kinds)
    out = []
    if "default" in kinds:
        out.append(Case(check.name, "default", "default", {}))
    if "control" in kinds:
        for control in check.negative_controls:
            out.append(Case(check.name, "control", "control[" + ",".join(f"{k}={_text(v)}" for k, v in control.items())
                            + "]", dict(control)))
    if "corner" in kinds:
        held = controlled_keys(check)
        for field in dataclasses.fields(check.config_type):
            for end, value in _ends(field):
                corner = f"{field.name}={end}"
                out.append(Case(check.name, "corner", f"corner[{corner}]", {**check.quick, field.name: value},
                                slow=corner in check.slow_corners or field.name in held, key=field.name))
    return out


def assert_case(case: Case, seed: int = 0) -> Result | None:
    """Runs a generated case and asserts its expectation; ``None`` where a corner is bad input
    (a cross-key constraint of the check's ``validate``, exit 2 at the command line)."""
    check = get_check(case.check)
    if case.kind == "default":
        return assert_holds(check, seed=seed, **case.overrides)
    if case.kind == "control":
        return assert_fails(check, seed=seed, **case.overrides)
    try:
        config = make_config(check, case.overrides)
    except ValueError as error:
        assert any(k in str(error) for k in case.overrides), error
        return None
    result = execute(check, config, seed)
    assert result.reason.strip()
    if case.key not in controlled_keys(check) and result.outcome == FAIL:
        raise AssertionError(_message(check, result, "PASS or INCONCLUSIVE (a range corner)", case.overrides, seed))
    return result
