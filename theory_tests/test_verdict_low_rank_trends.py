"""low_rank_trends' verdict on doctored singular values (no simulation): every comparison on both sides.

**Statement.** Each trend is a paired comparison over seeds: a strict fall holds iff the mean rank
difference d̄ >= max(2·SE, 1, 0.1·r̄_high) with SE = sd(d)/√n; a consecutive "no rise" fails only for
d̄ < −max(...); a comparison with a diverged or collapsed run is undecided (inconclusive), and a failed
one wins over undecided ones.
"""

import math

import numpy as np
import pytest

from theorycheck import get_check, make_config
from theorycheck.checks import low_rank_trends as lrt

CHECK = get_check("low_rank_trends")
DATA = {"lr": 0.1, "weight_decay": 0.05}


def _s(rank):
    """Singular values with numerical rank ``rank`` (σ/‖σ‖ above 1e-3 for exactly ``rank`` of them)."""
    return np.r_[np.ones(int(rank)), np.full(lrt.WIDTH - int(rank), 1e-6)]


def _arrays(config, wd=((40, 41), (20, 21), (5, 6)), lr=((30, 31), (15, 15), (5, 6)), batch=((5, 6), (50, 51))):
    """Ranks per sweep value (in the config's order) and seed, laid out as the simulator does."""
    rows, index = lrt._settings(config)
    ranks = {b: [None] * len(r) for b, r in rows.items()}
    for name, table in (("weight_decay", wd), ("lr", lr), ("batch", batch)):
        for (b, r), seed_ranks in zip(index[name], table):
            ranks[b][r] = seed_ranks
    arrays = {}
    for b, table in ranks.items():
        arrays[f"b{b}_singular_values"] = np.array([[_s(x) for x in row] for row in table])
        shape = (len(table), config.seeds)
        arrays[f"b{b}_diverged"] = np.zeros(shape, bool)
        arrays[f"b{b}_accuracy"] = np.full(shape, 0.5)
        arrays[f"b{b}_norm"] = np.full(shape, 2.0)
    return arrays


def _verdict(arrays, config, data=DATA):
    return lrt.verdict(config, data, arrays)


@pytest.fixture(scope="module")
def config():
    return make_config(CHECK, {})


def test_the_three_falls_pass(config):
    result = _verdict(_arrays(config), config)
    assert result.outcome == "pass", result.reason
    assert len(result.details["comparisons"]) == 7


@pytest.mark.parametrize("gap, outcome", [(4.0, "pass"), (3.0, "fail")])
def test_relative_floor_band_of_a_strict_fall(config, gap, outcome):
    """SE = 0 (equal differences), r̄_high = 40: required = max(0, 1, 4.0) = 4."""
    wd = ((40, 40), (38, 38), (40 - gap, 40 - gap))
    result = _verdict(_arrays(config, wd=wd), config)
    assert result.outcome == outcome, result.reason
    if outcome == "fail":
        assert "weight_decay 0.005 vs 0.05: mean rank difference 3.00 < required 4.00" in result.reason


@pytest.mark.parametrize("gap, outcome", [(6, "pass"), (5, "inconclusive")])
def test_standard_error_band_of_a_strict_fall(config, gap, outcome):
    """Differences g ± 3 over two seeds: sd = 3√2, SE = sd/√2 = 3, required = max(2·3, 1, 0.1·20) = 6."""
    lr = ((20, 20), (15, 15), (20 - gap - 3, 20 - gap + 3))
    result = _verdict(_arrays(config, lr=lr), config)
    c = next(c for c in result.details["comparisons"] if c["pair"] == "lr 0.025 vs 0.1")
    assert c["se"] == pytest.approx(np.std([gap + 3, gap - 3], ddof=1) / math.sqrt(2)) and c["se"] == pytest.approx(3.0)
    assert c["required"] == pytest.approx(6.0)
    assert result.outcome == outcome, result.reason
    if outcome == "inconclusive":  # a fall of 5 ± 3: below 2·SE but not excluded (5 + 6 >= 2): more seeds
        assert "lr 0.025 vs 0.1: mean rank difference" in result.reason and "raise seeds to >= 4" in result.reason


@pytest.mark.parametrize("diffs, outcome", [((1, -1), "fail"), ((2, 0), "inconclusive")])
def test_a_fall_is_failed_only_when_excluded_at_two_se(config, diffs, outcome):
    """Differences (1, −1): d̄ + 2·SE = 0 + 2 < floor max(1, 0.1·30) = 3, the fall is excluded: fail;
    (2, 0): d̄ + 2·SE = 1 + 2 = 3, not excluded (and 1 < required 3): inconclusive."""
    lr = ((30, 30), (30, 30), tuple(30 - d for d in diffs))
    result = _verdict(_arrays(config, lr=lr), config)
    assert result.outcome == outcome, result.reason
    assert "lr 0.025 vs 0.1: mean rank difference" in result.reason


def test_the_seeds_remedy_stays_inside_the_range():
    config = make_config(CHECK, {"seeds": 6})
    lr = ((20,) * 6, (20,) * 6, (9, 21, 9, 21, 9, 21))  # fall 5 ± 6: 2·SE = 5.4 > 5, undecided
    result = _verdict(_arrays(config, wd=((40,) * 6, (20,) * 6, (5,) * 6), lr=lr, batch=((5,) * 6, (50,) * 6)), config)
    assert result.outcome == "inconclusive" and "undecidable at 6 seeds" in result.reason


@pytest.mark.parametrize("rise, outcome", [(3, "pass"), (4, "fail")])
def test_no_rise_band_between_consecutive_values(config, rise, outcome):
    """μ = 0.05 above μ = 0.025 by `rise` (SE 0; the row predicted higher, μ = 0.025, has rank 30):
    a rise fails iff it exceeds max(1, 0.1·30) = 3."""
    lr = ((30, 30), (30 + rise, 30 + rise), (5, 5))
    result = _verdict(_arrays(config, lr=lr), config)
    required = max(1.0, 0.1 * 30)
    assert (rise > required) == (outcome == "fail")
    assert result.outcome == outcome, result.reason
    if outcome == "fail":
        assert "lr 0.025 vs 0.05 (no rise)" in result.reason


def test_every_large_batch_is_compared():
    config = make_config(CHECK, {"batch_sizes": "1,16,64"})
    result = _verdict(_arrays(config, batch=((5, 6), (50, 51), (5, 6))), config)
    assert result.outcome == "fail" and "batch 64 vs 1" in result.reason


@pytest.mark.parametrize("flag, word", [("diverged", "diverged"), ("norm", "collapsed to zero")])
def test_one_bad_seed_makes_its_comparisons_undecided(config, flag, word):
    arrays = _arrays(config)
    rows, index = lrt._settings(config)
    b, r = index["lr"][2]
    key = f"b{b}_{flag}"
    arrays[key] = arrays[key].copy()
    arrays[key][r, 1] = True if flag == "diverged" else 0.0
    result = _verdict(arrays, config)
    assert result.outcome == "inconclusive" and word in result.reason
    assert "lr 0.025 vs 0.1" in result.reason


def test_a_failed_comparison_wins_over_an_undecided_one(config):
    arrays = _arrays(config, batch=((50, 51), (50, 51)))  # no batch-size fall
    b, r = lrt._settings(config)[1]["lr"][2]
    arrays[f"b{b}_diverged"] = arrays[f"b{b}_diverged"].copy()
    arrays[f"b{b}_diverged"][r] = True
    result = _verdict(arrays, config)
    assert result.outcome == "fail" and "batch 16 vs 1" in result.reason and "diverged" in result.reason


def test_control_without_weight_decay_fails_on_the_lr_and_batch_falls():
    """λ = 0 for the μ and B sweeps: full rank (63–64) everywhere; the λ sweep (its own λ's) still falls."""
    config = make_config(CHECK, {"weight_decay": 0.0})
    arrays = _arrays(config, lr=((64, 63), (63, 64), (64, 63)), batch=((63, 64), (64, 63)))
    result = _verdict(arrays, config, data={"lr": 0.1, "weight_decay": 0.0})
    assert result.outcome == "fail"
    assert "lr 0.025 vs 0.1: mean rank difference" in result.reason and "batch 16 vs 1" in result.reason
    assert "weight_decay 0.005 vs 0.05:" not in result.reason


def test_validate_admits_only_decidable_sweeps():
    for bad, key in (({"batch_sizes": "2,16"}, "batch_sizes"), ({"batch_sizes": "4,64"}, "batch_sizes"),
                     ({"lrs": "0.01,0.02"}, "lrs"), ({"lrs": "0.1,0.12"}, "lrs"),
                     ({"weight_decays": "0,0.001"}, "weight_decays")):
        with pytest.raises(ValueError, match=key):
            make_config(CHECK, bad)
    # B = 2 could never pass: even at μλ = 0.12·0.06 the factor (1 − 2μλ)^31 stays above 0.6
    assert (1 - 2 * 0.12 * 0.06) ** 31 > lrt.MAX_FACTOR
    # the remedies it names are accepted
    need = (1 - 0.6 ** (1 / 63)) / (2 * 0.05)
    assert lrt._needed(0.05) == pytest.approx(need) and need <= 0.12
    make_config(CHECK, {"lrs": f"0.02,{need * 1.0001}"})
