"""The one place that finds checks: the built-ins, installed plugins, and files or modules named
on the command line (``--import``) or in ``THEORYCHECK_IMPORT``.

**Plugins.** A distribution makes its checks visible to ``theorycheck list | show | run | sweep |
falsify`` and to ``pytest --theorycheck`` by declaring an entry point in the group
``theorycheck.checks`` (the way pytest finds ``pytest11`` plugins)::

    [project.entry-points."theorycheck.checks"]
    min_norm = "min_norm_check"        # a module whose import registers its checks

The value may also name a :class:`~theorycheck.Check`, an iterable of them, or a function that
returns them (``"pkg.mod:CHECKS"``); each is registered.

**Files and modules.** ``--import path/to/my_check.py`` (or a dotted module name, looked up from
the working directory too) imports it before the command runs; ``THEORYCHECK_IMPORT`` holds more,
separated by ``os.pathsep``. A file is imported under a module name derived from its absolute
path (the same in every process, so ``--max-seconds``' spawned child finds the same functions),
so it needs no ``if __name__ == "__main__"`` guard and no package.

**Errors.** A plugin that fails to import, or registers a name that exists already, does not stop
discovery: the other checks load, and the failure is kept with its origin (:func:`load_errors`);
the command line reports each and exits 2, the library warns.
"""

import hashlib
import importlib
import importlib.metadata
import importlib.util
import os
import re
import sys
import warnings
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from . import _check
from ._check import Check, register

ENTRY_POINT_GROUP = "theorycheck.checks"
IMPORT_ENV = "THEORYCHECK_IMPORT"
BUILT_IN = "built-in"


class LoadError(NamedTuple):
    """A plugin that could not be loaded: where it came from and what went wrong."""

    origin: str
    message: str

    def __str__(self) -> str:
        return f"{self.origin}: {self.message}"


_LOADED: dict[str, LoadError | None] = {}  # origin → None (loaded) or its error
_WARNED: set[LoadError] = set()


def _load(origin: str, load) -> None:
    """Runs ``load()`` with ``origin`` as the registering origin, once per origin."""
    if origin in _LOADED:
        return
    _check._LOADING.append(origin)
    try:
        for check in _checks_in(load()):
            register(check)
        _LOADED[origin] = None
    except Exception as error:  # noqa: BLE001 (any plugin failure is reported, never fatal)
        _LOADED[origin] = LoadError(origin, f"{type(error).__name__}: {error}")
    finally:
        _check._LOADING.pop()


def _checks_in(loaded: Any) -> Iterable[Check]:
    """The checks an entry point names: none for a module (importing it registered them), else a
    Check, an iterable of Checks, or a function returning either."""
    if loaded is None or isinstance(loaded, type(sys)):
        return ()
    if isinstance(loaded, Check):
        return (loaded,)
    if callable(loaded):
        return _checks_in(loaded())
    checks = tuple(loaded)
    if not all(isinstance(c, Check) for c in checks):
        raise TypeError("an entry point must name a module, a Check, Checks, or a function returning them")
    return checks


def _builtins() -> None:
    _load(BUILT_IN, lambda: importlib.import_module("theorycheck.checks"))


def _entry_points() -> None:
    for entry in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = getattr(entry, "dist", None)
        where = f" ({dist.name} {dist.version})" if dist is not None else ""
        _load(f"entry point {entry.name} = {entry.value}{where}", entry.load)


def module_name_for_file(path: str) -> str:
    """The module name a check file is imported under: stable per absolute path."""
    path = os.path.realpath(path)
    stem = re.sub(r"\W", "_", os.path.splitext(os.path.basename(path))[0])
    return f"theorycheck_import_{stem}_{hashlib.sha1(path.encode()).hexdigest()[:10]}"


def _import_file(path: str):
    name = module_name_for_file(path)
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickle look the module up by name
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def _import_module(name: str):
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:  # a console script does not search the working dir
        sys.path.append(cwd)
    return importlib.import_module(name)


def import_checks(spec: str) -> None:
    """Imports a check file (``*.py`` or an existing path) or a dotted module name."""
    spec = spec.strip()
    if not spec:
        return
    if spec.endswith(".py") or os.sep in spec or os.path.isfile(spec):
        if not os.path.isfile(spec):
            _LOADED.setdefault(f"file {spec}", LoadError(f"file {spec}", "no such file"))
            return
        _load(f"file {os.path.realpath(spec)}", lambda: _import_file(spec))
    else:
        _load(f"module {spec}", lambda: _import_module(spec))


def env_imports() -> list[str]:
    """The entries of ``THEORYCHECK_IMPORT`` (``os.pathsep``-separated)."""
    return [s for s in os.environ.get(IMPORT_ENV, "").split(os.pathsep) if s.strip()]


def discover(imports: Sequence[str] = ()) -> list[LoadError]:
    """Loads the built-ins, the installed plugins, ``THEORYCHECK_IMPORT`` and ``imports`` (each
    once per process); returns every load error so far."""
    _builtins()
    _entry_points()
    for spec in [*env_imports(), *imports]:
        import_checks(spec)
    return load_errors()


def load_errors(reported: bool = False) -> list[LoadError]:
    """Every plugin that failed to load, with its origin; ``reported``: the caller reports them
    itself (the command line), so :func:`registry` does not warn about them again."""
    errors = [error for error in _LOADED.values() if error is not None]
    if reported:
        _WARNED.update(errors)
    return errors


def imported_specs() -> list[str]:
    """The ``--import`` specs loaded so far (files as absolute paths): what a child process must
    import again to find the same checks."""
    specs = []
    for origin, error in _LOADED.items():
        kind, _, what = origin.partition(" ")
        if error is None and kind in ("file", "module"):
            specs.append(what)
    return specs


def registry() -> dict[str, Check]:
    """All registered checks, by name, in registration order: the built-ins, installed plugins
    (entry-point group ``theorycheck.checks``), ``THEORYCHECK_IMPORT``, and anything registered
    in this process. A plugin that fails to load is left out with a warning naming its origin."""
    for error in discover():
        if error not in _WARNED:
            _WARNED.add(error)
            warnings.warn(f"theorycheck: a check plugin failed to load: {error}", RuntimeWarning, stacklevel=2)
    return dict(_check._REGISTRY)


def get_check(name: str) -> Check:
    """The check called ``name``; a ValueError lists the valid names otherwise."""
    checks = registry()
    if name not in checks:
        raise ValueError(f"unknown check {name!r}; valid checks: {', '.join(checks)}")
    return checks[name]


def origin_of(name: str) -> str:
    """Where the check ``name`` comes from: ``built-in``, ``entry point NAME = VALUE (dist
    version)``, ``file PATH``, ``module NAME``, or the module that registered it directly."""
    return _check.origin_of(name)
