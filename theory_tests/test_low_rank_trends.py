"""The low-rank trends of SGD + weight decay (Galanti et al., arXiv:2206.05794; shared/THEORY.md §3 (ii), (iii)).

**Statement.** On digits, the numerical rank of a bias-free ReLU MLP's middle layer falls as λ and
μ grow and is lower at B = 1 than at B ≥ 16 (equal step counts), each difference beyond
max(2·SE, 1) over seeds; without weight decay (the negative control) the rank stays full and the
μ and B comparisons fail.
"""

import numpy as np
import pytest

from theorycheck import get_check, make_config
from _support import run_check, run_cli

NAME = "low_rank_trends"


def _run(seed=0, **overrides):
    return run_check(NAME, seed, **overrides)


_cli = run_cli


@pytest.fixture(scope="module")
def default_result():
    return _run(0)


def test_low_rank_trends_pass_at_default(default_result):
    result = default_result
    assert result.passed, (result.reason, result.details)
    d = result.details
    # the three trends, seed means: λ and μ from smallest to largest fall, B = 1 below B = 16
    assert d["weight_decay_mean_ranks"][-1] + 1 < d["weight_decay_mean_ranks"][0]
    assert d["lr_mean_ranks"][-1] + 1 < d["lr_mean_ranks"][0]
    assert d["batch_mean_ranks"][0] + 1 < d["batch_mean_ranks"][1]
    assert all(c["gap"] >= c["required"] for c in d["comparisons"])
    falls = [c for c in d["comparisons"] if "no rise" not in c["pair"]]
    assert len(falls) == 3 and all(c["required"] >= 1.0 for c in falls)
    assert len(d["comparisons"]) == 7
    # the ranks are numerical ranks of a 64×64 matrix, from every seed
    assert result.arrays["batch_ranks"].shape == (2, 2)
    assert np.all(result.arrays["weight_decay_ranks"] <= 64)


def test_low_rank_trends_control_fails_through_the_cli(tmp_path, capsys):
    code, out = _cli(capsys, "run", NAME, "--set", "weight_decay=0", "--no-plots", "--out", str(tmp_path))
    assert code == 1, out.out
    assert "batch 16 vs 1" in out.out


def test_low_rank_trends_config_validation():
    check = get_check(NAME)
    config = make_config(check, {"batch_sizes": "1,16,64", "lrs": "0.05,0.1"})
    assert config.batch_sizes == (1, 16, 64) and config.lrs == (0.05, 0.1)
    with pytest.raises(ValueError, match="batch_sizes"):
        make_config(check, {"batch_sizes": "16,64"})  # no small batch to compare
    with pytest.raises(ValueError, match="lrs"):
        make_config(check, {"lrs": "0.1"})
    with pytest.raises(ValueError, match="weight_decay"):
        make_config(check, {"weight_decay": 0.01})  # 0.996^63 = 0.78: the bound cannot separate B
    with pytest.raises(ValueError, match="batch_sizes"):
        make_config(check, {"batch_sizes": "1,16,128"})  # out of range


@pytest.mark.slow
@pytest.mark.parametrize("seed, overrides", [
    (1, {}),
    (2, {"seeds": 3, "weight_decay": 0.045, "batch_sizes": "1,16,64"}),
    (5, {"seeds": 3, "steps": 6000, "lrs": "0.03,0.06,0.12", "weight_decays": "0.01,0.03,0.06"}),
])
def test_low_rank_trends_pass_at_other_seeds_and_configs(seed, overrides):
    result = _run(seed, **overrides)
    assert result.passed, (result.reason, result.details)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 3])
def test_low_rank_trends_control_fails_at_other_seeds(seed):
    result = _run(seed, weight_decay=0.0, seeds=3)
    assert result.outcome == "fail", (result.reason, result.details)


def test_a_one_value_wobble_at_full_rank_is_not_a_fall():
    """The relative floor: two seeds that both differ by one singular value at full rank (SE 0)
    do not make a fall (it passed the λ = 0 control on seed 13 before the floor), while the
    default's falls (15 against 5) still count."""
    from theorycheck.checks.low_rank_trends import _compare

    gap, se, required = _compare([64.0, 63.0], [63.0, 62.0])
    assert se == 0.0 and gap == 1.0 and gap < required
    gap, se, required = _compare([15.0, 15.0], [5.0, 6.0])
    assert gap >= required
