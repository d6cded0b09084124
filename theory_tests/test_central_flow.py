"""The central_flow check on real runs: `theorycheck run central_flow` at quick sizes (one run,
cached), the default and each control on 2 seeds at reduced sizes and the paper-scale default on
several seeds (``slow``)."""

import json

import pytest

from theorycheck import get_check, make_config
from theorycheck._runner import execute
from _support import run_cli

QUICK = {"architecture": "gelu", "lr": 0.2, "steps": 2000, "every": 10}
QUICK_SEEDS = (0, 2)  # GELU at η = 0.2 starts beyond the edge for about half the seeds (S0 up to 12)


def test_cli_run_at_quick_sizes_passes_and_writes_the_figure(tmp_path, capsys):
    args = ["run", "central_flow", "--seed", "0", "--out", str(tmp_path)]
    for key, value in QUICK.items():
        args += ["--set", f"{key}={value}"]
    code, captured = run_cli(capsys, *args)
    assert code == 0, captured.out + captured.err
    record = json.loads((tmp_path / "results.json").read_text())
    row = record["checks"][0]
    assert row["outcome"] == "pass", row
    details = row["details"]
    assert details["crossing_step"] == 440 and details["spikes"] >= 4 and not details["lambda2_arrived"]
    assert row["error"] <= 0.05 and details["tracking_ratio"] <= 0.25
    assert 0.7 <= details["variance_ratio"] <= 1.3  # GD's variance along u ≈ σ² (reported, not asserted by the check)
    assert (tmp_path / "central_flow.png").stat().st_size > 10_000


def _execute(seed, **overrides):
    check = get_check("central_flow")
    return execute(check, make_config(check, {**QUICK, **overrides}), seed)


@pytest.mark.slow
@pytest.mark.parametrize("seed", QUICK_SEEDS)
def test_quick_default_passes(seed):
    result = _execute(seed)
    assert result.outcome == "pass", result.reason


@pytest.mark.slow
@pytest.mark.parametrize("seed", QUICK_SEEDS)
@pytest.mark.parametrize("control", [{"flow": "gradient"}, {"sigma_term": False}])
def test_quick_controls_fail_for_the_loss(seed, control):
    result = _execute(seed, **control)
    assert result.outcome == "fail", result.reason
    assert "loss:" in result.reason


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4, 5])
def test_paper_scale_default_passes(seed):
    check = get_check("central_flow")
    result = execute(check, make_config(check, {}), seed)
    assert result.outcome == "pass", result.reason
    assert result.details["tracking_ratio"] <= 0.1 and result.error <= 0.01


@pytest.mark.slow
def test_beyond_the_edge_at_initialisation_is_inconclusive():
    result = _execute(1)  # S0 = 10.76 > 2/η = 10
    assert result.outcome == "inconclusive" and "beyond the edge" in result.reason


def test_quick_sizes_are_the_registered_ones():
    assert dict(get_check("central_flow").quick) == QUICK
    assert get_check("central_flow").needs_x64
