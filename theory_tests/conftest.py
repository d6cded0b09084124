"""Strict numerics for the whole suite (JAX's own test base, diffrax, equinox).

* float64 everywhere: the checks' tolerances (1e-6 on β_∞, κ·d·T·ε on loss curves, 1e-6 for
  Lanczos against ``eigvalsh``) are float64 tolerances;
* implicit rank promotion raises; legacy uint32 PRNG keys raise (typed keys only);
* Hypothesis is deterministic: ``derandomize=True``, no deadline (first calls compile), no
  example database, few examples (each distinct static shape is a compile).
"""

import jax
import pytest
from hypothesis import HealthCheck, settings

jax.config.update("jax_enable_x64", True)
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
def key():
    return jax.random.key(0)
