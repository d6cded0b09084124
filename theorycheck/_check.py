"""What a theorem check is, and the registry that the CLI and the tests read.

A check is static configuration (a frozen dataclass whose fields carry their admissible range in
``field(metadata=...)``) plus a pure ``run(config, key) -> Result``. The check never carries its own
training loop: it builds a simulator from :mod:`dynamics`, a prediction from :mod:`bounds`, and
compares the two with a tolerance that its docstring derives.

A check may instead be written as the sweep protocol, ``simulate`` + ``verdict`` with the config
keys that are traced data listed in ``data_keys``: then ``run`` is derived from them (a check is
never written twice), and ``theorycheck sweep`` runs a grid over the data keys as one ``vmap``.

**Outcomes.** A verdict is one of three: :data:`PASS`, :data:`FAIL` ("the theorem's comparison
was decided and did not hold") or :data:`INCONCLUSIVE` (the experiment could not decide within its
budget: an event that did not fire, an unconverged estimate the verdict needs, a divergence where
the claim is about the non-divergent case). Every non-pass outcome carries a ``reason``, and an
inconclusive one the remedy where there is one ("raise t1 to >= 1e11").
"""

import copy
import dataclasses
import functools
import inspect
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import jax
import numpy as np

PASS, FAIL, INCONCLUSIVE = "pass", "fail", "inconclusive"
OUTCOMES = (PASS, FAIL, INCONCLUSIVE)
# a sweep table puts every config key in a column beside these: a config may not use them
RESERVED_KEYS = ("name", "seed", "outcome", "passed", "predicted", "measured", "error", "tolerance", "reason",
                 "details", "seconds", "seconds_amortised", "chunk_points", "id", "swept", "config")


class Result(NamedTuple):
    """The verdict of one check run.

    Attributes:
      predicted: the theorem's prediction (closed form or independent solver), one number.
      measured: what the simulator produced, in the same units as ``predicted``.
      error: the discrepancy the verdict is based on (its definition is in the check's docstring);
        NaN where no comparison was made (an inconclusive run).
      tolerance: the largest admissible ``error``, derived in the check's docstring.
      outcome: ``"pass"``, ``"fail"`` or ``"inconclusive"``.
      reason: why, in one sentence: the deciding criterion, or what stopped the experiment from
        deciding and the remedy.
      arrays: everything needed to re-derive the verdict independently (data, initial and final
        parameters, observed series, the prediction); saved as ``<name>.npz``.
      details: secondary criteria and diagnostics (JSON-serialisable scalars), shown by the CLI
        and written to the record.

    ``passed`` (``outcome == "pass"``) remains as a read-only property for code written against
    the two-outcome record; construct a Result with ``outcome`` and ``reason``.
    """

    predicted: float
    measured: float
    error: float
    tolerance: float
    outcome: str
    reason: str
    arrays: Mapping[str, Any]
    details: Mapping[str, Any]

    @property
    def passed(self) -> bool:
        return self.outcome == PASS

    @classmethod
    def inconclusive(cls, reason: str, *, predicted=math.nan, measured=math.nan, error=math.nan,
                     tolerance=math.nan, arrays=None, details=None) -> "Result":
        """An experiment that could not decide: ``reason`` says why and names the remedy.

        Examples:
          >>> Result.inconclusive("the loss is still on its plateau; raise steps to >= 4000").outcome
          'inconclusive'
        """
        return cls(float(predicted), float(measured), float(error), float(tolerance), INCONCLUSIVE,
                   str(reason), dict(arrays or {}), dict(details or {}))

    @classmethod
    def decide(cls, error, tolerance, *, predicted=math.nan, measured=math.nan, fail_reasons=(),
               inconclusive_reasons=(), what="error", arrays=None, details=None) -> "Result":
        """The Result of :func:`decide`: inconclusive if any ``inconclusive_reasons`` is non-empty,
        else fail if any ``fail_reasons`` is or ``error > tolerance`` (NaN fails), else pass.

        Examples:
          >>> Result.decide(0.01, 0.05, what="relative distance").reason
          'relative distance 0.01 <= tolerance 0.05'
        """
        outcome, reason = decide(error, tolerance, fail_reasons=fail_reasons,
                                 inconclusive_reasons=inconclusive_reasons, what=what)
        return cls(float(predicted), float(measured), float(error), float(tolerance), outcome, reason,
                   dict(arrays or {}), dict(details or {}))


def decide(error, tolerance, *, fail_reasons=(), inconclusive_reasons=(), what="error") -> tuple[str, str]:
    """The outcome and reason from the main comparison and the other criteria.

    Inconclusive wins over everything (the experiment did not decide); then any failed criterion
    (``fail_reasons``: one sentence each, empty when that criterion held) or ``error >
    tolerance``; otherwise pass.

    Returns:
      ``(outcome, reason)``.
    """
    inconclusive = [r for r in inconclusive_reasons if r]
    if inconclusive:
        return INCONCLUSIVE, "; ".join(inconclusive)
    failed = [r for r in fail_reasons if r]
    error, tolerance = float(error), float(tolerance)
    if not error <= tolerance:  # NaN fails here too
        failed.insert(0, f"{what} {error:.3g} > tolerance {tolerance:.3g}")
    if failed:
        return FAIL, "; ".join(failed)
    return PASS, f"{what} {error:.3g} <= tolerance {tolerance:.3g}"


def config_field(default, *, low=None, high=None, choices=None, help=""):
    """A dataclass field for a check config, with its admissible range.

    ``low``/``high`` are inclusive bounds (``None`` = unbounded); ``choices`` restricts to a set.
    """
    return dataclasses.field(
        default=default,
        metadata={"low": low, "high": high, "choices": choices, "help": help},
    )


class Check(NamedTuple):
    """A registered theorem check.

    Attributes:
      name: the CLI name (``theorycheck run NAME``).
      statement: the claim in one line.
      source: the paper (authors, venue, arXiv id) and the section of shared/THEORY.md.
      config_type: a frozen dataclass of static configuration with quick CPU defaults.
      run: ``run(config, key) -> Result``; ``None`` when ``simulate`` and ``verdict`` are given
        (:func:`register` then derives it). Registered, it scopes float64 itself when
        ``needs_x64`` (as do ``simulate`` and ``verdict``): a check behaves the same however it
        is called.
      plot: ``plot(config, result, path)`` writes one PNG figure; ``None``: a generic figure of
        the prediction, the measurement and the error against its tolerance.
      negative_controls: overrides (``{key: value}``) under which a hypothesis is violated and the
        check must fail (outcome ``"fail"``, never ``"inconclusive"``).
      needs_x64: whether the check's tolerance needs float64 (``jax_enable_x64``).
      figure_keys: boolean config keys that only feed the figure (an extra sweep); the runner sets
        them to ``False`` under ``--no-plots`` unless the user set them.
      quick: overrides that make the check cheap (used by the corner test: every other key stays
        at these quick sizes while one key sits at an end of its range).
      slow_corners: ``"key=low"`` / ``"key=high"`` corners that cost minutes; the corner test runs
        them only under ``-m slow``.
      data_keys: the config keys that are traced data (learning rate, init scale, ...): a sweep
        over them is one ``vmap``; every other key is static (shapes, steps, solver).
      simulate: ``simulate(config, data, key) -> {name: array}``, pure and jit-able in ``data``
        (``{key: scalar}`` for ``data_keys``) and ``key``; ``config`` is static, with its data
        keys blanked to ``None`` (read them from ``data``).
      verdict: ``verdict(config, data, arrays) -> Result`` on host (numpy) arrays.
      batching: how a sweep batches ``simulate`` within one static group: ``"vmap"``, or
        ``"map"`` (``lax.map``: one run after another, for event-stopped solves whose ``vmap``
        would step every run until the slowest stops).
      plot_sweep: ``plot_sweep(rows, path)`` draws a sweep's figure from its records (``None``:
        the generic error/tolerance plot).
      sweep_arrays: names of ``Result.arrays`` entries a sweep keeps beside each record
        (``store/<id>.npz``; ``row["arrays"]`` in ``plot_sweep``), for figures that need more than
        the record's numbers (a spectrum, a curve). Empty: records only.
      doc: the long explanation ``theorycheck show`` prints (setup, derived tolerance, control);
        empty: the docstring of the module that defines ``config_type``.
    """

    name: str
    statement: str
    source: str
    config_type: type
    run: Callable[[Any, Any], Result] | None = None
    plot: Callable[[Any, Result, str], None] | None = None
    negative_controls: tuple[Mapping[str, Any], ...] = ()
    needs_x64: bool = False
    figure_keys: tuple[str, ...] = ()
    quick: Mapping[str, Any] = {}
    slow_corners: tuple[str, ...] = ()
    data_keys: tuple[str, ...] = ()
    simulate: Callable[[Any, Mapping[str, Any], Any], Mapping[str, Any]] | None = None
    verdict: Callable[[Any, Mapping[str, Any], Mapping[str, Any]], Result] | None = None
    batching: str = "vmap"
    plot_sweep: Callable[[list, str], None] | None = None
    sweep_arrays: tuple[str, ...] = ()
    doc: str = ""


def data_of(config, data_keys) -> dict[str, Any]:
    """The traced part of ``config``: ``{key: jnp scalar}`` for each data key."""
    import jax.numpy as jnp

    return {k: jnp.asarray(getattr(config, k)) for k in data_keys}


def static_part(config, data_keys):
    """``config`` with its data keys blanked to ``None``: the part that shapes the program.

    ``simulate`` receives this, so it cannot read a data key from the config by mistake (it would
    get ``None``), and configs that differ only in data share one compile.
    """
    if not data_keys:
        return config
    blank = copy.copy(config)  # not dataclasses.replace: a __post_init__ that resolves None to a default
    for key in data_keys:      # (edge_of_stability's per-optimizer lr) would fill the blanks back in
        object.__setattr__(blank, key, None)
    return blank


@functools.lru_cache(maxsize=64)
def jitted_simulate(simulate: Callable, static_config) -> Callable:
    """``jit(simulate(static_config, ·, ·))``, one compile per static config (cached)."""
    return jax.jit(functools.partial(simulate, static_config))


def _protocol_run(check: "Check", config, key) -> Result:
    """``run`` of a check written as ``simulate`` + ``verdict`` (the same code path as a sweep)."""
    data = data_of(config, check.data_keys)
    arrays = jitted_simulate(check.simulate, static_part(config, check.data_keys))(data, key)
    host = jax.tree.map(np.asarray, arrays)
    return check.verdict(config, {k: np.asarray(v).item() for k, v in data.items()}, host)


def _in_x64(function: Callable, *args, **kwargs):
    """``function(*args, **kwargs)`` inside ``jax.enable_x64(True)`` (a check that needs float64)."""
    with jax.enable_x64(True):
        return function(*args, **kwargs)


def prepare(check: Check) -> Check:
    """``check`` validated and made callable the same way however it is called.

    Derives ``run`` from ``simulate`` + ``verdict`` where it is ``None``, and wraps ``run``,
    ``simulate`` and ``verdict`` in ``jax.enable_x64(True)`` when ``needs_x64``: float64 is scoped
    by the check itself, never switched on process-wide (preparing twice only nests the scope).
    The scope is entered where the function is called: call ``simulate`` eagerly, or trace it
    (``jax.jit``/``vmap``) inside ``jax.enable_x64(True)`` as the runner and the sweep do — JAX
    cannot switch to float64 in the middle of a trace begun in float32.

    Raises:
      ValueError: a config key named by ``data_keys``/``figure_keys``/``slow_corners``/
        ``negative_controls``/``quick`` that the config lacks, a missing ``run`` (and
        ``simulate``/``verdict``), or a bad ``batching``.
    """
    if not (isinstance(check.config_type, type) and dataclasses.is_dataclass(check.config_type)):
        raise ValueError(f"check {check.name!r}: config_type must be a dataclass, got {check.config_type!r}")
    fields = {f.name for f in dataclasses.fields(check.config_type)}
    reserved = sorted(fields & set(RESERVED_KEYS))
    if reserved:
        raise ValueError(f"check {check.name!r}: config keys {reserved} collide with record fields; rename them")
    named = [*check.data_keys, *check.figure_keys, *(c.partition("=")[0] for c in check.slow_corners),
             *(k for control in check.negative_controls for k in control), *check.quick]
    for key in named:
        if key not in fields:
            raise ValueError(f"check {check.name!r} names config key {key!r}, which its config lacks")
    if check.run is None and (check.simulate is None or check.verdict is None):
        raise ValueError(f"check {check.name!r} needs run, or both simulate and verdict")
    if check.batching not in ("vmap", "map"):
        raise ValueError(f"check {check.name!r}: batching must be 'vmap' or 'map', got {check.batching!r}")
    if check.needs_x64:
        check = check._replace(
            simulate=None if check.simulate is None else functools.partial(_in_x64, check.simulate),
            verdict=None if check.verdict is None else functools.partial(_in_x64, check.verdict),
        )
    run = check.run if check.run is not None else functools.partial(_protocol_run, check)
    if check.needs_x64:
        run = functools.partial(_in_x64, run)
    return check._replace(run=run)


_REGISTRY: dict[str, Check] = {}
_ORIGINS: dict[str, str] = {}
_LOADING: list[str] = []  # the origin being loaded by theorycheck._registry (a stack)


def register(check: Check, *, replace: bool = False) -> Check:
    """Adds ``check`` to the registry and returns it, prepared (see :func:`prepare`).

    Args:
      check: the check; names are unique.
      replace: replace a check of the same name (re-running a notebook cell); without it a
        second registration of a name raises.

    Raises:
      ValueError: the name is taken (the message names who registered it) or the check is
        malformed (see :func:`prepare`).
    """
    check = prepare(check)
    module = check.config_type.__module__
    origin = _LOADING[-1] if _LOADING else "built-in" if module.startswith("theorycheck.checks.") else f"module {module}"
    if check.name in _REGISTRY and not replace:
        raise ValueError(
            f"a check named {check.name!r} is already registered (by {_ORIGINS[check.name]}); "
            f"{origin} registers it again: rename one, or pass register(..., replace=True)"
        )
    _REGISTRY[check.name] = check
    _ORIGINS[check.name] = origin
    return check


def theorem(config: type, *, statement: str, source: str = "", name: str | None = None,
            controls: Sequence[Mapping[str, Any]] = (), verdict: Callable | None = None,
            replace: bool = False, **fields) -> Callable:
    """Registers the decorated function as a check; returns the function unchanged.

    The lighter way to write a check: a frozen ``config`` dataclass (ranges by
    :func:`config_field`), one function, and this decorator. The function is ``run(config, key)
    -> Result``, or, when ``verdict`` is given, ``simulate(config, data, key) -> arrays`` (the
    sweep protocol; name the traced keys in ``data_keys=``). The name defaults to the
    function's, ``show`` prints its docstring, and every other :class:`Check` field (``plot``,
    ``needs_x64``, ``quick``, ``data_keys`` ...) may be passed by keyword.

    Examples:
      >>> @theorem(MyConfig, statement="GD from zero reaches the min-norm interpolant",
      ...          controls=[{"offset": 1.0}], needs_x64=True)
      ... def min_norm(config, key):
      ...     ...
    """

    def decorate(function: Callable) -> Callable:
        protocol = verdict is not None
        register(
            Check(name=name or function.__name__, statement=statement, source=source, config_type=config,
                  run=None if protocol else function, simulate=function if protocol else None,
                  verdict=verdict, negative_controls=tuple(dict(c) for c in controls),
                  doc=fields.pop("doc", None) or inspect.cleandoc(function.__doc__ or ""), **fields),
            replace=replace,
        )
        return function

    return decorate


def origin_of(name: str) -> str:
    """Who registered the check ``name``: ``built-in``, ``entry point ...``, ``file ...``, ``module ...``."""
    return _ORIGINS.get(name, "unregistered")


def _coerce(name: str, field: dataclasses.Field, value: Any, check_range: bool = True) -> Any:
    """Converts a CLI string (or a Python value) to the field's type and checks its range.

    A tuple-valued key (default a non-empty tuple) takes comma-separated values on the command
    line (``--set batch_sizes=1,16,64``); each element is converted and range-checked like a
    scalar key of the default's element type.
    """
    if isinstance(field.default, tuple) and field.default:
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)) or not items:
            raise ValueError(f"config key {name!r} expects a comma-separated list, got {value!r}")
        element = dataclasses.field(default=field.default[0], metadata=field.metadata)
        element.type = type(field.default[0])
        return tuple(_coerce(name, element, item, check_range) for item in items)
    kind = field.type if isinstance(field.type, type) else type(field.default)
    optional = field.default is None
    if isinstance(value, str):
        text = value.strip()
        if optional and text.lower() in ("none", "null", ""):
            return None
        try:
            if kind is bool:
                if text.lower() not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError
                value = text.lower() in ("true", "1", "yes")
            elif kind is int:
                value = int(text)
            elif kind is float or optional:
                value = float(text)
            else:
                value = kind(text)
        except ValueError:
            raise ValueError(
                f"config key {name!r} expects {kind.__name__}, got {value!r}"
            ) from None
    elif value is None and optional:
        return None
    elif kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if kind in (int, float) and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise ValueError(f"config key {name!r} expects {kind.__name__}, got {value!r}")
    meta = field.metadata
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"config key {name!r} must be finite, got {value!r}")
    if meta.get("choices") is not None and value not in meta["choices"]:
        raise ValueError(
            f"config key {name!r} must be one of {list(meta['choices'])}, got {value!r}"
        )
    low, high = meta.get("low"), meta.get("high")
    if check_range and (low is not None and value < low or high is not None and value > high):
        raise ValueError(
            f"config key {name!r} must lie in [{low}, {high}], got {value!r}"
        )
    return value


def make_config(check: Check, overrides: Mapping[str, Any] | None = None, *, unchecked=()):
    """The check's config with ``overrides`` applied, each validated (type and range).

    ``unchecked`` names keys whose advertised range is not enforced (``falsify --range``
    searching past it); their type, finiteness and the check's ``validate`` still are.

    Raises:
      ValueError: an unknown key (the message lists the valid keys), a wrong type, or a value
        outside the admissible range.
    """
    fields = {f.name: f for f in dataclasses.fields(check.config_type)}
    values = {}
    for key, value in (overrides or {}).items():
        if key not in fields:
            raise ValueError(
                f"unknown config key {key!r} for check {check.name!r}; "
                f"valid keys: {', '.join(fields)}"
            )
        values[key] = _coerce(key, fields[key], value, check_range=key not in unchecked)
    config = check.config_type(**values)
    validate = getattr(config, "validate", None)
    if validate is not None:
        validate()
    return config


def describe_fields(check: Check) -> list[dict[str, Any]]:
    """One dict per config key: name, type, default, admissible range, help."""
    rows = []
    for f in dataclasses.fields(check.config_type):
        kind = f.type if isinstance(f.type, type) else type(f.default)
        listed = isinstance(f.default, tuple) and f.default
        if listed:
            kind = type(f.default[0])
        meta = f.metadata
        if meta.get("choices") is not None:
            admissible = "{" + ", ".join(map(str, meta["choices"])) + "}"
        elif kind is bool:
            admissible = "{true, false}"
        else:
            low = "-inf" if meta.get("low") is None else meta["low"]
            high = "inf" if meta.get("high") is None else meta["high"]
            admissible = f"[{low}, {high}]"
        rows.append(
            {
                "name": f.name,
                "type": (f"list of {kind.__name__}" if listed else kind.__name__)
                + ("" if f.default is not None else " | None"),
                "default": f.default,
                "admissible": admissible,
                "help": meta.get("help", ""),
            }
        )
    return rows


def as_jsonable(value: Any) -> Any:
    """Numbers and containers as plain JSON types (numpy scalars become floats/ints/bools)."""
    if isinstance(value, Mapping):
        return {str(k): as_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [as_jsonable(v) for v in value]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return value if math.isfinite(value) else None  # strict JSON: the record's reason says why
    if isinstance(value, np.ndarray):
        return as_jsonable(value.item() if value.ndim == 0 else value.tolist())
    return value
