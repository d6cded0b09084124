"""Strict numerics for the whole suite (JAX's own test base, diffrax, equinox).

* float64 is never switched on process-wide: a check scopes it itself (``needs_x64``), so the
  check tests run in JAX's default float32 process exactly as a user's code does. Tests of the
  library's own float64 numerics (Lanczos against ``eigvalsh`` to 1e-10, closed forms to 1e-12)
  ask for it with the ``x64`` fixture (``pytestmark = pytest.mark.usefixtures("x64")``), scoped to
  each test;
* implicit rank promotion raises; legacy uint32 PRNG keys raise (typed keys only);
* Hypothesis is deterministic: ``derandomize=True``, no deadline (first calls compile), no
  example database, few examples (each distinct static shape is a compile).
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


@pytest.fixture
def x64():
    """float64 for one test (``jax.enable_x64``), never for the process."""
    with jax.enable_x64(True):
        yield


@pytest.fixture
def key():
    return jax.random.key(0)
