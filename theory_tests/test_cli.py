"""The ``theorycheck`` command line and :func:`theorycheck.run_checks`, on a dummy check.

The dummy passes iff ``threshold < 5``, so ``--set threshold=7`` is its negative control. Only the
dummy is ever selected by name, and the built-in check modules are replaced by an empty package
for these tests, so no real check runs (or even needs to import) here.
"""

import csv
import dataclasses
import json
import sys
import types

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import theorycheck
from theorycheck import _check, _runner
from theorycheck.cli import main

NAME = "dummy_threshold"
STATEMENT = "The dummy passes iff its threshold is below 5."
FIELDS = ["name", "statement", "config", "seed", "predicted", "measured", "error", "tolerance",
          "passed", "seconds"]


@dataclasses.dataclass(frozen=True)
class DummyConfig:
    threshold: float = _check.config_field(1.0, low=0.0, high=10.0, help="verdict threshold")
    flag: bool = _check.config_field(False, help="a boolean switch")


def _dummy_run(config, key):
    noise = jax.random.normal(key, (3,))
    measured = jnp.asarray(config.threshold)
    return _check.Result(
        predicted=5.0,
        measured=measured,
        error=jnp.abs(measured - 5.0),
        tolerance=5.0,
        passed=measured < 5.0,
        arrays={"noise": noise, "threshold": measured},
        details={"flag": config.flag, "margin": 5.0 - measured, "series": jnp.arange(2.0)},
    )


def _dummy_plot(config, result, path):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 2))
    fig.subplots().plot(np.asarray(result.arrays["noise"]))
    fig.savefig(path, dpi=40)


DUMMY = _check.Check(
    name=NAME,
    statement=STATEMENT,
    source="theory_tests/test_cli.py",
    config_type=DummyConfig,
    run=_dummy_run,
    plot=_dummy_plot,
    negative_controls=({"threshold": 7.0, "flag": True},),
)


@pytest.fixture(autouse=True)
def dummy(monkeypatch):
    """Registers the dummy; swaps the built-in checks package for an empty one."""
    monkeypatch.setitem(sys.modules, "theorycheck.checks", types.ModuleType("theorycheck.checks"))
    monkeypatch.delattr(theorycheck, "checks", raising=False)
    monkeypatch.setitem(_check._REGISTRY, NAME, DUMMY)
    return DUMMY


def _run(capsys, *args):
    code = main(["run", NAME, *args])
    return code, capsys.readouterr()


def test_passing_check_exits_0_and_writes_every_file(tmp_path, capsys):
    code, out = _run(capsys, "--out", str(tmp_path), "--seed", "3")
    assert code == 0
    assert "PASS" in out.out and "FAIL" not in out.out
    assert str(tmp_path / "results.json") in out.out
    assert "margin=4" in out.out and "flag=False" in out.out  # details under the table
    with open(tmp_path / "results.json") as f:
        records = json.load(f)["checks"]
    assert len(records) == 1
    record = records[0]
    assert list(record) == FIELDS
    assert record["name"] == NAME and record["statement"] == STATEMENT
    assert record["config"] == {"threshold": 1.0, "flag": False}
    assert record["seed"] == 3
    assert record["predicted"] == 5.0 and record["measured"] == 1.0
    assert record["error"] == 4.0 and record["tolerance"] == 5.0
    assert record["passed"] is True
    assert isinstance(record["seconds"], float) and record["seconds"] >= 0.0
    with open(tmp_path / "results.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == FIELDS and len(rows) == 1
    assert json.loads(rows[0]["config"]) == record["config"]
    assert rows[0]["passed"] == "True"
    with np.load(tmp_path / f"{NAME}.npz") as arrays:
        assert set(arrays.files) == {"noise", "threshold"}
        expected = jax.random.normal(jax.random.key(3), (3,))
        np.testing.assert_array_equal(arrays["noise"], np.asarray(expected))
    assert (tmp_path / f"{NAME}.png").read_bytes().startswith(b"\x89PNG")


def test_failing_check_exits_1(tmp_path, capsys):
    code, out = _run(capsys, "--set", "threshold=7", "--set", "flag=true", "--out", str(tmp_path))
    assert code == 1
    assert "FAIL" in out.out
    record = json.loads((tmp_path / "results.json").read_text())["checks"][0]
    assert record["passed"] is False
    assert record["config"] == {"threshold": 7.0, "flag": True}


def test_no_plots_writes_no_png(tmp_path, capsys):
    code, _ = _run(capsys, "--no-plots", "--out", str(tmp_path))
    assert code == 0
    assert not list(tmp_path.glob("*.png"))
    assert (tmp_path / f"{NAME}.npz").exists() and (tmp_path / "results.csv").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["run", "no_such_check"], "unknown check 'no_such_check'; valid checks: "),
        (["run", NAME, "--set", "thresh=1"], "unknown config key 'thresh'"),
        (["run", NAME, "--set", "threshold=abc"], "expects float"),
        (["run", NAME, "--set", "flag=maybe"], "expects bool"),
        (["run", NAME, "--set", "threshold=11"], "must lie in [0.0, 10.0]"),
        (["run", NAME, "--set", "threshold=-1"], "must lie in [0.0, 10.0]"),
        (["run", NAME, "--set", "threshold"], "malformed --set 'threshold'"),
        (["run", NAME, "--seed", "-1"], "seed must lie in"),
        (["show", "no_such_check"], "unknown check 'no_such_check'"),
    ],
)
def test_bad_input_exits_2_before_running(args, message, tmp_path, capsys):
    assert main([*args, "--out", str(tmp_path)] if args[0] == "run" else args) == 2
    err = capsys.readouterr().err
    assert err.startswith("theorycheck: error: ") and err.count("\n") == 1
    assert message in err
    if "valid checks" in message:
        assert NAME in err
    assert not list(tmp_path.iterdir())  # nothing ran


def test_unknown_key_lists_the_valid_keys(tmp_path, capsys):
    assert main(["run", NAME, "--set", "thresh=1", "--out", str(tmp_path)]) == 2
    assert "valid keys: threshold, flag" in capsys.readouterr().err


@pytest.mark.parametrize("args", [["run", NAME, "--seed", "x"], ["frobnicate"], []])
def test_argparse_usage_errors_exit_2(args, capsys):
    assert main(args) == 2
    assert "error:" in capsys.readouterr().err


def test_list_shows_name_and_statement(capsys):
    assert main(["list"]) == 0
    line = next(l for l in capsys.readouterr().out.splitlines() if l.startswith(NAME))
    assert STATEMENT in line


def test_show_prints_keys_ranges_and_negative_controls(capsys):
    assert main(["show", NAME]) == 0
    out = capsys.readouterr().out
    assert STATEMENT in out and "theory_tests/test_cli.py" in out
    assert "threshold" in out and "float" in out and "[0.0, 10.0]" in out
    assert "flag" in out and "bool" in out and "{true, false}" in out
    assert f"theorycheck run {NAME} --set threshold=7.0 --set flag=true" in out


def test_negative_control_line_from_show_fails(tmp_path, capsys):
    main(["show", NAME])
    lines = capsys.readouterr().out.splitlines()
    line = next(l.strip() for l in lines if l.strip().startswith("theorycheck run "))
    argv = line.split()[1:]  # drop "theorycheck"
    assert main([*argv, "--out", str(tmp_path), "--no-plots"]) == 1


def test_run_checks_library_api(tmp_path):
    records = theorycheck.run_checks([NAME], {"threshold": 6}, 0, tmp_path, plots=False,
                                     progress=False)
    assert [r["passed"] for r in records] == [False]
    assert records[0]["config"]["threshold"] == 6.0
    json.dumps(records)  # JSON-serialisable as returned


def test_override_applies_only_where_the_key_exists(monkeypatch, tmp_path):
    @dataclasses.dataclass(frozen=True)
    class OtherConfig:
        flag: bool = _check.config_field(False)

    other = DUMMY._replace(name="dummy_other", config_type=OtherConfig,
                           run=lambda config, key: _dummy_run(DummyConfig(flag=config.flag), key))
    monkeypatch.setitem(_check._REGISTRY, other.name, other)
    records = theorycheck.run_checks([NAME, other.name], {"threshold": 8, "flag": "true"}, 0,
                                     tmp_path, plots=False, progress=False)
    assert records[0]["config"] == {"threshold": 8.0, "flag": True}
    assert records[1]["config"] == {"flag": True}
    with pytest.raises(ValueError, match="valid keys: threshold, flag"):
        theorycheck.run_checks([NAME, other.name], {"nope": 1}, 0, tmp_path)


def test_needs_x64_without_x64_is_a_runtime_error(monkeypatch, tmp_path):
    monkeypatch.setitem(_check._REGISTRY, NAME, DUMMY._replace(needs_x64=True))
    monkeypatch.setattr(_runner, "_x64_enabled", lambda: False)
    with pytest.raises(RuntimeError, match="jax_enable_x64"):
        theorycheck.run_checks([NAME], {}, 0, tmp_path)
    assert not list(tmp_path.iterdir())
