"""equal_layer_norms' verdict on doctored arrays (no simulation): every criterion on both sides of its band.

**Statement.** The verdict passes iff the final relative spread of the layer norms is <= 1e-3 and the
flow's balancedness follows D_k(0)e^(−4λt) to 1e-6 (relative to max|D_k(0)|); it is inconclusive for a
run shorter than the derived horizon T*, a diverged run, a collapse to W = 0 and an incomplete flow.
"""

import math

import numpy as np
import pytest

from theorycheck import dynamics, get_check, make_config
from theorycheck.checks import equal_layer_norms as eln

CHECK = get_check("equal_layer_norms")
DATA = {"lr": 0.1, "weight_decay": 0.05}
INITIAL = np.array([1.0, 1.1, 1.2])
TIMES = np.linspace(0.0, 2.0, 11)


def _flow(lam, initial=INITIAL):
    """Flow norms whose balancedness is exactly D(0)e^(−4λt)."""
    d0 = np.diff(initial**2)
    sq = np.empty((TIMES.size, initial.size))
    sq[:, 0] = initial[0] ** 2
    sq[:, 1:] = sq[:, :1] + np.cumsum(d0[None, :] * np.exp(-4 * lam * TIMES)[:, None], axis=1)
    return np.sqrt(sq)


def _arrays(final=(1.0, 1.0, 1.0), lam=DATA["weight_decay"], **changes):
    norms = np.linspace(INITIAL, np.asarray(final, float), 11)
    arrays = {"gd_times": np.linspace(0, 10_000, 11), "gd_norms": norms, "gd_residual": np.full((11, 3), 1e-9),
              "gd_losses": np.full(10_000, 0.5), "gd_diverged": np.asarray(False), "flow_times": TIMES,
              "flow_norms": _flow(lam), "flow_status": np.asarray(dynamics.STATUS_COMPLETED)}
    arrays.update(changes)
    return arrays


def _verdict(arrays, data=DATA, **config):
    return eln.verdict(make_config(CHECK, config), data, arrays)


def _with_spread(spread):
    """Final norms [1, 1, 1 + s] whose relative spread s/mean is ``spread``."""
    s = 3 * spread / (3 - spread)
    return (1.0, 1.0, 1.0 + s)


def test_exactly_equal_norms_pass():
    result = _verdict(_arrays())
    assert result.outcome == "pass" and result.error == 0.0, result.reason


@pytest.mark.parametrize("factor, outcome", [(0.99, "pass"), (1.01, "fail")])
def test_spread_band_on_both_sides(factor, outcome):
    result = _verdict(_arrays(final=_with_spread(factor * eln.TOLERANCE)))
    assert result.outcome == outcome, result.reason
    assert result.measured == pytest.approx(factor * 1e-3, rel=1e-9)
    if outcome == "fail":
        assert "relative spread of the layer norms" in result.reason


@pytest.mark.parametrize("sign", [1.0, -1.0])
@pytest.mark.parametrize("factor, outcome", [(0.9, "pass"), (1.1, "fail")])
def test_flow_balancedness_band_on_both_sides_at_one_record(sign, factor, outcome):
    flow = _flow(DATA["weight_decay"])
    scale = np.max(np.abs(np.diff(INITIAL**2)))
    sq = flow**2
    sq[5, 2] += sign * factor * eln.FLOW_TOLERANCE * scale  # D_2 at one record only, above or below
    result = _verdict(_arrays(flow_norms=np.sqrt(sq)))
    assert result.outcome == outcome, result.reason
    assert result.details["flow_balancedness_error"] == pytest.approx(factor * 1e-6, rel=1e-6)
    if outcome == "fail":
        assert "balancedness" in result.reason


def test_horizon_is_the_derived_formula_and_gates_on_both_sides():
    final = np.array([1.0, 1.0, 1.0])
    d0_max = np.max(np.abs(np.diff(INITIAL**2)))  # 0.23
    lr, lam = DATA["lr"], DATA["weight_decay"]
    t_star = math.log(10 * d0_max / (1e-3 * 1.0)) / (-2 * math.log(1 - 2 * lr * lam))
    assert eln.horizon(d0_max, float(np.min(final**2)), lr, lam) == pytest.approx(t_star, rel=1e-12)
    assert t_star == pytest.approx(385.1, abs=0.1)  # hand value: ln(2300)/(−2 ln 0.99)
    assert eln.horizon(d0_max, 1.0, lr, 0.0) == math.inf
    short = _verdict(_arrays(), steps=math.ceil(t_star) - 1)
    assert short.outcome == "inconclusive" and f"raise steps to >= {math.ceil(t_star)}" in short.reason
    assert _verdict(_arrays(), steps=math.ceil(t_star)).outcome == "pass"


@pytest.mark.parametrize("changes", [{"gd_diverged": np.asarray(True)},
                                     {"gd_norms": np.vstack([np.linspace(INITIAL, 1.0, 10), [np.nan] * 3])}])
def test_a_diverged_run_is_inconclusive_not_data(changes):
    result = _verdict(_arrays(**changes))
    assert result.outcome == "inconclusive" and "diverged" in result.reason and "lower lr" in result.reason


@pytest.mark.parametrize("final", [(0.0, 0.0, 0.0), (1e-4, 2e-4, 5e-4), (0.0, 1e-30, 0.0)])
def test_collapse_to_zero_is_inconclusive_with_a_remedy_in_range(final):
    result = _verdict(_arrays(final=final))  # 0/0 once raised ZeroDivisionError (seed 21, depth 5, λ = 0.1)
    assert result.outcome == "inconclusive" and "collapsed" in result.reason
    assert "lower weight_decay to <= 0.05" in result.reason
    assert CHECK.config_type.__dataclass_fields__["weight_decay"].metadata["low"] <= eln.COLLAPSE_REMEDY


def test_just_above_the_collapse_threshold_is_decided():
    level = 1.01 * eln.COLLAPSE * INITIAL.min()  # equal tiny norms: a genuine (small) balanced point
    assert _verdict(_arrays(final=(level,) * 3), steps=20_000).outcome == "pass"


def test_an_incomplete_flow_is_inconclusive():
    result = _verdict(_arrays(flow_status=np.asarray(dynamics.STATUS_COMPLETED + 1)))
    assert result.outcome == "inconclusive" and "flow_time" in result.reason


def test_control_without_weight_decay_fails_on_the_spread():
    """λ = 0: the flow conserves D exactly (the law holds), the GD norms keep their spread: fail on it."""
    data = {"lr": 0.1, "weight_decay": 0.0}
    result = _verdict(_arrays(final=INITIAL, lam=0.0), data=data)
    assert result.outcome == "fail" and result.reason.startswith("relative spread of the layer norms")
    assert "balancedness" not in result.reason
    assert result.measured == pytest.approx(0.2 / 1.1)
