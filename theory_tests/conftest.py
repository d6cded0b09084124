"""Strict numerics for the whole suite (JAX's own test base, diffrax, equinox).

* float64 is never switched on process-wide: a check scopes it itself (``needs_x64``), so the
  check tests run in JAX's default float32 process exactly as a user's code does. Tests of the
  library's own float64 numerics (Lanczos against ``eigvalsh`` to 1e-10, closed forms to 1e-12)
  ask for it with the ``x64`` fixture (``pytestmark = pytest.mark.usefixtures("x64")``), scoped to
  each test;
* implicit rank promotion raises; legacy uint32 PRNG keys raise (typed keys only);
* Hypothesis is deterministic: ``derandomize=True``, no deadline (first calls compile), no
  example database, few examples (each distinct static shape is a compile);
* distribution over pytest-xdist's workers (``--dist loadfile``, :func:`pytest_xdist_make_scheduler`):
  a test runs in its file's group, so a file's module fixtures and cached runs are computed
  once, except in the files that hold one case per registered check (corners, controls, CLI
  runs), which are grouped by check: no case there shares a compile with another check's, and
  test_corners.py alone is about half the suite, which as one group is one worker's serial tail.
"""

import jax
import pytest
from hypothesis import HealthCheck, settings

jax.config.update("jax_numpy_rank_promotion", "raise")
jax.config.update("jax_legacy_prng_key", "error")

settings.register_profile(
    "theorycheck",
    derandomize=True,
    deadline=None,
    database=None,
    max_examples=8,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("theorycheck")


SPLIT_BY_CHECK = {"test_corners.py", "test_checks.py", "test_cli.py"}


def scheduling_group(nodeid: str) -> str:
    """A test's group for pytest-xdist: its file, or ``file::check`` (the first segment of its
    parameter id: the check's name) in :data:`SPLIT_BY_CHECK`."""
    file = nodeid.split("::", 1)[0]
    if file.rsplit("/", 1)[-1] in SPLIT_BY_CHECK and nodeid.endswith("]") and "[" in nodeid:
        return f"{file}::{nodeid[nodeid.index('[') + 1:-1].split('-', 1)[0]}"
    return file


def pytest_xdist_make_scheduler(config, log):
    """``--dist loadfile`` (pyproject.toml's default) with :func:`scheduling_group` for groups.
    (pytest-xdist's own ``loadgroup`` marks do not take under pytest 9, whose node ids are
    read-only.)"""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ByFileOrCheck(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return scheduling_group(nodeid)

    return ByFileOrCheck(config, log)


@pytest.fixture
def x64():
    """float64 for one test (``jax.enable_x64``), never for the process."""
    with jax.enable_x64(True):
        yield


@pytest.fixture
def key():
    return jax.random.key(0)
