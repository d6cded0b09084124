"""The ``theorycheck`` command line and :func:`theorycheck.run_checks`, on a dummy check.

The dummy passes iff ``threshold < 5``, so ``--set threshold=7`` is its negative control;
``--set undecided=true`` makes it inconclusive (its error is then NaN) and ``sleep`` makes it slow.
Only the dummy is ever selected by name, and the built-in check modules are replaced by an empty package
for these tests, so no real check runs (or even needs to import) here.
"""

import csv
import dataclasses
import json
import os
import sys
import time
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
FIELDS = ["name", "statement", "config", "seed", "outcome", "passed", "predicted", "measured", "error",
          "tolerance", "reason", "details", "nonfinite", "float64", "seconds"]
PROVENANCE = {"versions", "git", "python", "platform", "backend", "device_kind", "device_count",
              "process_count", "jax_enable_x64", "command", "started"}


def _strict_json(path):
    """Parses ``path`` rejecting NaN/Infinity (which Python's json would otherwise accept)."""
    def reject(constant):
        raise ValueError(f"non-standard JSON constant {constant}")

    return json.loads(path.read_text(), parse_constant=reject)


@dataclasses.dataclass(frozen=True)
class DummyConfig:
    threshold: float = _check.config_field(1.0, low=0.0, high=10.0, help="verdict threshold")
    flag: bool = _check.config_field(False, help="a boolean switch")
    undecided: bool = _check.config_field(False, help="make the run inconclusive")
    sleep: float = _check.config_field(0.0, low=0.0, high=60.0, help="seconds to sleep")


def _dummy_run(config, key):
    time.sleep(config.sleep)
    noise = jax.random.normal(key, (3,))
    measured = float(config.threshold)
    if config.undecided:
        outcome, reason = _check.INCONCLUSIVE, "undecided on purpose; set undecided=false"
    else:
        outcome, reason = (_check.PASS, "below 5") if measured < 5.0 else (_check.FAIL, "not below 5")
    return _check.Result(
        predicted=5.0,
        measured=measured,
        error=float("nan") if config.undecided else abs(measured - 5.0),
        tolerance=5.0,
        outcome=outcome,
        reason=reason,
        arrays={"noise": noise, "threshold": jnp.asarray(measured)},
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
    figure_keys=("flag",),
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
    assert f"{NAME}: PASS: below 5" in out.out  # the reason
    payload = _strict_json(tmp_path / "results.json")
    assert set(payload) == {"provenance", "checks"}
    provenance = payload["provenance"]
    assert set(provenance) == PROVENANCE
    assert provenance["versions"]["jax"] == jax.__version__
    assert provenance["device_count"] == jax.device_count() and provenance["backend"] == jax.default_backend()
    assert provenance["command"][0] == "theorycheck"
    records = payload["checks"]
    assert len(records) == 1
    record = records[0]
    assert list(record) == FIELDS
    assert record["name"] == NAME and record["statement"] == STATEMENT
    assert record["config"] == {"threshold": 1.0, "flag": False, "undecided": False, "sleep": 0.0}
    assert record["seed"] == 3
    assert record["outcome"] == "pass" and record["passed"] is True and record["reason"] == "below 5"
    assert record["predicted"] == 5.0 and record["measured"] == 1.0
    assert record["error"] == 4.0 and record["tolerance"] == 5.0
    assert record["details"] == {"flag": False, "margin": 4.0, "series": [0.0, 1.0]}
    assert record["nonfinite"] == {}
    assert isinstance(record["seconds"], float) and record["seconds"] >= 0.0
    with open(tmp_path / "results.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == FIELDS and len(rows) == 1
    assert json.loads(rows[0]["config"]) == record["config"]
    assert json.loads(rows[0]["details"]) == record["details"]
    assert rows[0]["passed"] == "True" and rows[0]["outcome"] == "pass"
    with np.load(tmp_path / f"{NAME}.npz") as arrays:
        assert set(arrays.files) == {"noise", "threshold", "_record", "_provenance"}
        expected = jax.random.normal(jax.random.key(3), (3,))
        np.testing.assert_array_equal(arrays["noise"], np.asarray(expected))
        assert json.loads(str(arrays["_record"]))["outcome"] == "pass"
        assert json.loads(str(arrays["_provenance"])) == provenance
    assert (tmp_path / f"{NAME}.png").read_bytes().startswith(b"\x89PNG")


def test_failing_check_exits_1(tmp_path, capsys):
    code, out = _run(capsys, "--set", "threshold=7", "--set", "flag=true", "--out", str(tmp_path))
    assert code == 1
    assert "FAIL" in out.out and f"{NAME}: FAIL: not below 5" in out.out
    record = _strict_json(tmp_path / "results.json")["checks"][0]
    assert record["passed"] is False and record["outcome"] == "fail"
    assert record["config"]["threshold"] == 7.0 and record["config"]["flag"] is True


def test_inconclusive_exits_3_and_writes_null_with_the_reason(tmp_path, capsys):
    code, out = _run(capsys, "--set", "undecided=true", "--out", str(tmp_path))
    assert code == 3
    assert "INCONCLUSIVE" in out.out and "undecided on purpose" in out.out
    record = _strict_json(tmp_path / "results.json")["checks"][0]
    assert record["outcome"] == "inconclusive" and record["passed"] is False
    assert record["error"] is None and record["nonfinite"] == {"error": "nan"}
    assert record["reason"] == "undecided on purpose; set undecided=false"


@pytest.mark.parametrize("outcomes, code", [(("pass", "pass"), 0), (("pass", "inconclusive"), 3),
                                             (("inconclusive", "fail"), 1), (("fail", "pass"), 1)])
def test_exit_code_of_mixed_outcomes(outcomes, code):
    from theorycheck.cli import exit_code

    assert exit_code(list(outcomes)) == code


def test_decide_orders_inconclusive_fail_pass_and_fails_nan():
    assert _check.decide(0.5, 1.0)[0] == "pass"
    assert _check.decide(1.5, 1.0)[0] == "fail"
    assert _check.decide(float("nan"), 1.0)[0] == "fail"  # no comparison is not a pass
    assert _check.decide(0.5, 1.0, fail_reasons=["", "the threshold moved"]) == ("fail", "the threshold moved")
    outcome, reason = _check.decide(1.5, 1.0, inconclusive_reasons=["raise t1"], fail_reasons=["x"])
    assert (outcome, reason) == ("inconclusive", "raise t1")


def test_a_malformed_verdict_is_a_bug_not_a_record(monkeypatch, tmp_path):
    def no_reason(config, key):
        return _dummy_run(config, key)._replace(outcome="fail", reason="")

    def bad_outcome(config, key):
        return _dummy_run(config, key)._replace(outcome="passed")

    for run, match in ((no_reason, "without a reason"), (bad_outcome, "outcome 'passed'")):
        monkeypatch.setitem(_check._REGISTRY, NAME, DUMMY._replace(run=run))
        with pytest.raises(ValueError, match=match):
            theorycheck.run_checks([NAME], {}, 0, tmp_path, plots=False, progress=False)


def test_no_plots_writes_no_png_and_switches_off_figure_work(tmp_path, capsys):
    code, _ = _run(capsys, "--no-plots", "--out", str(tmp_path))
    assert code == 0
    assert not list(tmp_path.glob("*.png"))
    assert (tmp_path / f"{NAME}.npz").exists() and (tmp_path / "results.csv").exists()
    record = _strict_json(tmp_path / "results.json")["checks"][0]
    assert record["config"]["flag"] is False  # the dummy's figure key
    code, _ = _run(capsys, "--no-plots", "--set", "flag=true", "--out", str(tmp_path / "set"))
    assert _strict_json(tmp_path / "set" / "results.json")["checks"][0]["config"]["flag"] is True


def test_bad_out_exits_2_before_any_check_runs(monkeypatch, tmp_path, capsys):
    ran = []
    monkeypatch.setitem(_check._REGISTRY, NAME, DUMMY._replace(run=lambda c, k: ran.append(1)))
    a_file = tmp_path / "a_file"
    a_file.write_text("not a directory")
    assert main(["run", NAME, "--out", str(a_file)]) == 2
    assert "is not a directory" in capsys.readouterr().err
    assert main(["run", NAME, "--out", str(a_file / "below")]) == 2
    assert "is not writable" in capsys.readouterr().err
    read_only = tmp_path / "read_only"
    read_only.mkdir()
    read_only.chmod(0o500)
    try:
        if not os.access(read_only, os.W_OK):  # root writes anywhere: nothing to test there
            assert main(["run", NAME, "--out", str(read_only)]) == 2
            assert "is not writable" in capsys.readouterr().err
    finally:
        read_only.chmod(0o700)
    assert not ran


def test_max_seconds_turns_an_overrun_into_inconclusive(tmp_path, capsys):
    start = time.perf_counter()
    code, out = _run(capsys, "--set", "sleep=30", "--max-seconds", "3", "--out", str(tmp_path), "--no-plots")
    assert time.perf_counter() - start < 25  # killed, not waited for
    assert code == 3
    record = _strict_json(tmp_path / "results.json")["checks"][0]
    assert record["outcome"] == "inconclusive" and "--max-seconds 3" in record["reason"]
    # within the budget the same check runs in its own process and records the same numbers
    code, _ = _run(capsys, "--max-seconds", "60", "--seed", "3", "--out", str(tmp_path / "ok"), "--no-plots")
    assert code == 0
    with np.load(tmp_path / "ok" / f"{NAME}.npz") as arrays:
        np.testing.assert_array_equal(arrays["noise"], np.asarray(jax.random.normal(jax.random.key(3), (3,))))


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "soon"])
def test_bad_max_seconds_exits_2(value, tmp_path, capsys):
    assert main(["run", NAME, "--max-seconds", value, "--out", str(tmp_path)]) == 2
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    "args, message",
    [
        (["run", "no_such_check"], "unknown check 'no_such_check'; valid checks: "),
        (["run", NAME, "--set", "thresh=1"], "unknown config key 'thresh'"),
        (["run", NAME, "--set", "threshold=abc"], "expects float"),
        (["run", NAME, "--set", "flag=maybe"], "expects bool"),
        (["run", NAME, "--set", "threshold=11"], "must lie in [0.0, 10.0]"),
        (["run", NAME, "--set", "threshold=-1"], "must lie in [0.0, 10.0]"),
        (["run", NAME, "--set", "threshold=nan"], "must be finite"),
        (["run", NAME, "--set", "threshold=inf"], "must be finite"),
        (["run", NAME, "--set", "threshold=-inf"], "must be finite"),
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
        assert NAME in err.split("valid checks: ")[1]  # the valid names are listed
    assert not list(tmp_path.iterdir())  # nothing ran


def test_unknown_key_lists_the_valid_keys(tmp_path, capsys):
    assert main(["run", NAME, "--set", "thresh=1", "--out", str(tmp_path)]) == 2
    assert "valid keys: threshold, flag, undecided, sleep" in capsys.readouterr().err


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


@pytest.mark.parametrize("name", sorted(theorycheck.registry()))
def test_show_explains_every_registered_check_from_its_docstring(name, capsys):
    """`show` needs no file outside the repository: it prints the check module's docstring, which
    states the theorem, the setup, the derived tolerance and the negative control."""
    assert main(["show", name]) == 0
    out = capsys.readouterr().out
    assert "the check (its docstring" in out
    assert "tolerance" in out.split("the check (its docstring")[1].lower()


def test_negative_control_line_from_show_fails(tmp_path, capsys):
    main(["show", NAME])
    lines = capsys.readouterr().out.splitlines()
    line = next(l.strip() for l in lines if l.strip().startswith("theorycheck run "))
    argv = line.split()[1:]  # drop "theorycheck"
    assert main([*argv, "--out", str(tmp_path), "--no-plots"]) == 1


def test_run_checks_library_api(tmp_path):
    records = theorycheck.run_checks([NAME], {"threshold": 6}, 0, tmp_path, plots=False,
                                     progress=False)
    assert [(r["outcome"], r["passed"]) for r in records] == [("fail", False)]
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
    assert records[0]["config"]["threshold"] == 8.0 and records[0]["config"]["flag"] is True
    assert records[1]["config"] == {"flag": True}
    with pytest.raises(ValueError, match="valid keys: threshold, flag"):
        theorycheck.run_checks([NAME, other.name], {"nope": 1}, 0, tmp_path)


def test_float64_is_scoped_to_the_checks_that_need_it(monkeypatch, tmp_path):
    """A check that needs float64 runs in float64 although the process is in float32, and the
    process is still in float32 afterwards (no import or run side effect)."""
    dtypes = []

    def run(config, key):
        dtypes.append(jnp.zeros(()).dtype)
        return _dummy_run(config, key)

    monkeypatch.setitem(_check._REGISTRY, NAME, DUMMY._replace(run=run, needs_x64=True))
    with jax.enable_x64(False):
        records = theorycheck.run_checks([NAME], {}, 0, tmp_path, plots=False, progress=False)
        assert jnp.zeros(()).dtype == jnp.float32
    assert dtypes == [jnp.float64] and records[0]["float64"] is True
