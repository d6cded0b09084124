"""compositional_sparsity on real runs: the default passes, the dense-target control fails on the
sample-advantage criterion (one compile: ``compositional`` is data, so both share it).

**Statement.** On a binary-tree target the tree net needs >= 2x fewer samples than the dense MLP
(95% band across replicas); on a dense target of the same smoothness the advantage is excluded.
"""

import math

import jax
import pytest

from theorycheck import get_check, make_config
from theorycheck._runner import execute

CHECK = get_check("compositional_sparsity")


def _run(seed, **overrides):
    return execute(CHECK, make_config(CHECK, overrides), seed)


@pytest.fixture(scope="module")
def default_run():
    return _run(0)


def test_default_passes_with_an_advantage_above_one(default_run):
    result = default_run
    assert result.outcome == "pass", result.reason
    assert "sample advantage" in result.reason
    assert result.details["ratio_band"][0] > 1.0
    assert result.details["parameters_dense"] >= result.details["parameters_sparse"]
    # the learning curves fall with n (both nets, median over replicas): a real learning problem
    for net in ("sparse", "dense"):
        curves = result.arrays[f"test_{net}"]
        assert float(jax.numpy.median(curves[:, -1])) < float(jax.numpy.median(curves[:, 0]))


def test_dense_target_control_fails_on_the_advantage():
    result = _run(0, compositional=False)
    assert result.outcome == "fail", result.reason
    assert "no sample advantage" in result.reason
    assert result.details["ratio_band"][1] < 2.0


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_default_and_control_on_more_seeds(seed):
    assert _run(seed).outcome == "pass"
    control = _run(seed, compositional=False)
    assert control.outcome == "fail" and "no sample advantage" in control.reason


@pytest.mark.slow
def test_advantage_grows_with_d():
    """The sweep figure's claim: at d = 16 (grid to 2048) the dense net misses ε = 0.1 in more replicas
    than at d = 8 and the conservative geometric-mean ratio is larger. Measured, seed 0: d = 8 ratio
    2.19 (dense missed ε by 1024 in 1 of 4 replicas), d = 16 ratio >= 3.00 (missed by 2048 in 3 of 4;
    the tree net needed 285–880 samples); both pass."""
    small = _run(0)
    large = _run(0, d=16, max_samples=2048)
    assert small.outcome == large.outcome == "pass", (small.reason, large.reason)
    assert large.measured > small.measured
    missed = [sum(math.isinf(b[1]) for b in r.details["samples_dense_bounds"]) for r in (small, large)]
    assert missed[1] > missed[0]
