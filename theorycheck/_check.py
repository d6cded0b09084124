"""What a theorem check is, and the registry that the CLI and the tests read.

A check is static configuration (a frozen dataclass whose fields carry their admissible range in
``field(metadata=...)``) plus a pure ``run(config, key) -> Result``. The check never carries its own
training loop: it builds a simulator from :mod:`dynamics`, a prediction from :mod:`bounds`, and
compares the two with a tolerance that its docstring derives.
"""

import dataclasses
import math
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import numpy as np


class Result(NamedTuple):
    """The verdict of one check run.

    Attributes:
      predicted: the theorem's prediction (closed form or independent solver), one number.
      measured: what the simulator produced, in the same units as ``predicted``.
      error: the discrepancy the verdict is based on (its definition is in the check's docstring).
      tolerance: the largest admissible ``error``, derived in the check's docstring.
      passed: the verdict; may combine several criteria, all listed in ``details``.
      arrays: everything needed to re-derive the verdict independently (data, initial and final
        parameters, observed series, the prediction); saved as ``<name>.npz``.
      details: secondary criteria and diagnostics (JSON-serialisable scalars), shown by the CLI.
    """

    predicted: float
    measured: float
    error: float
    tolerance: float
    passed: bool
    arrays: Mapping[str, Any]
    details: Mapping[str, Any]


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
      run: ``run(config, key) -> Result``.
      plot: ``plot(config, result, path)`` writes one PNG figure.
      negative_controls: overrides (``{key: value}``) under which a hypothesis is violated and the
        check must fail.
      needs_x64: whether the check's tolerance needs float64 (``jax_enable_x64``).
    """

    name: str
    statement: str
    source: str
    config_type: type
    run: Callable[[Any, Any], Result]
    plot: Callable[[Any, Result, str], None]
    negative_controls: tuple[Mapping[str, Any], ...] = ()
    needs_x64: bool = False


_REGISTRY: dict[str, Check] = {}


def register(check: Check) -> Check:
    """Adds ``check`` to the registry (names are unique)."""
    if check.name in _REGISTRY:
        raise ValueError(f"a check named {check.name!r} is already registered")
    _REGISTRY[check.name] = check
    return check


def registry() -> dict[str, Check]:
    """All registered checks, by name, in registration order."""
    from theorycheck import checks as _checks  # noqa: F401  (importing registers the built-ins)

    return dict(_REGISTRY)


def get_check(name: str) -> Check:
    """The check called ``name``; a ValueError lists the valid names otherwise."""
    checks = registry()
    if name not in checks:
        raise ValueError(f"unknown check {name!r}; valid checks: {', '.join(checks)}")
    return checks[name]


def _coerce(name: str, field: dataclasses.Field, value: Any) -> Any:
    """Converts a CLI string (or a Python value) to the field's type and checks its range."""
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
    if low is not None and value < low or high is not None and value > high:
        raise ValueError(
            f"config key {name!r} must lie in [{low}, {high}], got {value!r}"
        )
    return value


def make_config(check: Check, overrides: Mapping[str, Any] | None = None):
    """The check's config with ``overrides`` applied, each validated (type and range).

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
        values[key] = _coerce(key, fields[key], value)
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
                "type": kind.__name__ if f.default is not None else f"{kind.__name__} | None",
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
        return value if math.isfinite(value) else str(value)
    if isinstance(value, np.ndarray):
        return as_jsonable(value.item() if value.ndim == 0 else value.tolist())
    return value
