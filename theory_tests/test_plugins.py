"""A user's own theorem is as first-class as a built-in one: a check file reached with
``--import`` (or ``THEORYCHECK_IMPORT``) runs, sweeps, falsifies and becomes pytest items; an
installed distribution's entry point (group ``theorycheck.checks``) shows in ``theorycheck list``;
broken plugins are reported with their origin (exit 2); a float64 check behaves the same however
it is called."""

import json
import os
import re
import subprocess
import sys

import jax
import pytest

import theorycheck
from theorycheck import Result, _check, _registry, get_check, make_config

from _support import run_cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE = os.path.join(ROOT, "examples", "min_norm", "min_norm_check.py")


def _readme_example() -> str:
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        text = f.read()
    block = re.search(r"<!-- user-theorem -->\n```python\n(.*?)```", text, re.S)
    assert block, "README lost its user-theorem example"
    return block.group(1)


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "THEORYCHECK_IMPORT")}
    return {**env, **extra}


def test_the_readme_example_is_the_shipped_example_file():
    with open(EXAMPLE, encoding="utf-8") as f:
        assert _readme_example() == f.read()
    assert len(_readme_example().splitlines()) <= 50


@pytest.fixture(scope="module")
def user_check(tmp_path_factory):
    """The README's example written to a user's folder and imported as ``--import`` does."""
    path = tmp_path_factory.mktemp("project") / "my_theorem.py"
    path.write_text(_readme_example(), encoding="utf-8")
    assert _registry.discover([str(path)]) == [] or all("my_theorem" not in e.origin for e in _registry.load_errors())
    return str(path)


def test_a_user_check_from_a_file_runs_passes_and_its_control_fails(user_check, tmp_path, capsys):
    code, out = run_cli(capsys, "run", "min_norm", "--import", user_check, "--out", str(tmp_path / "a"))
    assert code == 0, out.out + out.err
    record = json.loads((tmp_path / "a" / "results.json").read_text())["checks"][0]
    assert record["outcome"] == "pass" and record["float64"] is True
    assert (tmp_path / "a" / "min_norm.png").exists()  # the generic figure of a check that draws none
    code, out = run_cli(capsys, "run", "min_norm", "--import", user_check, "--set", "offset=1",
                        "--no-plots", "--out", str(tmp_path / "b"))
    assert code == 1 and "‖θ_T − X⁺y‖" in out.out
    code, out = run_cli(capsys, "run", "min_norm", "--import", user_check, "--set", "steps=10",
                        "--no-plots", "--out", str(tmp_path / "c"))
    assert code == 3 and "raise steps to >=" in out.out
    code, out = run_cli(capsys, "list", "--import", user_check)
    line = next(l for l in out.out.splitlines() if l.startswith("min_norm "))
    assert code == 0 and "file my_theorem.py" in line
    code, out = run_cli(capsys, "show", "min_norm", "--import", user_check)
    assert code == 0 and "contracts by ρ" in out.out and "--set offset=1.0" in out.out


def test_a_user_check_sweeps_with_typed_tidy_records(user_check, tmp_path, capsys):
    code, out = run_cli(capsys, "sweep", "min_norm", "--import", user_check, "--grid", "lr_fraction=0.3,0.6",
                        "--set", "steps=500", "--seeds", "2", "--out", str(tmp_path), "--no-plots")
    assert code == 0, out.out + out.err
    rows = json.loads((tmp_path / "results.json").read_text())["rows"]
    assert len(rows) == 4 and {r["name"] for r in rows} == {"min_norm"}
    assert rows[0]["steps"] == 500 and rows[0]["samples"] == 20 and rows[0]["lr_fraction"] == 0.3
    assert "seconds_amortised" in rows[0] and "seconds" not in rows[0]
    header = (tmp_path / "results.csv").read_text().splitlines()[0].split(",")
    assert header[:3] == ["name", "lr_fraction", "samples"] and "offset" in header


def test_falsify_finds_no_counterexample_in_the_ranges_and_one_when_the_control_key_is_freed(user_check, tmp_path, capsys):
    code, out = run_cli(capsys, "falsify", "min_norm", "--import", user_check, "--budget", "6", "--quick")
    assert code == 0 and "no counterexample in" in out.out, out.out + out.err
    assert "offset" in out.out  # the control's key was held at its default, and the output says so
    code, out = run_cli(capsys, "falsify", "min_norm", "--import", user_check, "--budget", "4",
                        "--range", "offset", "--out", str(tmp_path))
    assert code == 1, out.out + out.err
    report = json.loads((tmp_path / "falsify.json").read_text())
    minimal = report["counterexample"]
    assert list(minimal["overrides"]) == ["offset"]  # shrunk to the one key that breaks the hypothesis
    assert minimal["command"].startswith("theorycheck run min_norm --set offset=")
    assert report["shrink_path"][-1]["overrides"] == minimal["overrides"]


def test_max_seconds_runs_a_user_file_in_a_spawned_child(user_check, tmp_path):
    done = subprocess.run([sys.executable, "-m", "theorycheck", "run", "min_norm", "--max-seconds", "300",
                           "--no-plots", "--out", str(tmp_path)], env=_env(THEORYCHECK_IMPORT=user_check),
                          cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr


def test_pytest_plugin_collects_a_user_checks_default_control_and_corners(user_check, tmp_path):
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-n", "0",
                           "--theorycheck=min_norm", "--theorycheck-import", user_check, "-m", "not slow",
                           "--rootdir", str(tmp_path)], env=_env(), cwd=tmp_path, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    # default + 1 control + corners of samples, dim, steps, lr_fraction (offset's are slow: a switch)
    assert re.search(r"\b10 passed\b", done.stdout), done.stdout[-2000:]


def test_a_broken_or_clashing_plugin_is_reported_with_its_origin_and_exit_2(tmp_path, capsys):
    broken = tmp_path / "broken.py"
    broken.write_text("raise ImportError('missing dependency')\n")
    clash = tmp_path / "clash.py"
    clash.write_text("from theorycheck import get_check, register\nregister(get_check('gd_quadratic'))\n")
    for path, message in ((broken, "missing dependency"), (clash, "already registered")):
        code, out = run_cli(capsys, "list", "--import", str(path))
        assert code == 2 and str(path) in out.err and message in out.err
        assert "gd_quadratic" in out.out  # the other checks still load and are listed
        code, out = run_cli(capsys, "run", "gd_quadratic", "--import", str(path), "--out", str(tmp_path))
        assert code == 2 and message in out.err
    code, out = run_cli(capsys, "list", "--import", str(tmp_path / "absent.py"))
    assert code == 2 and "no such file" in out.err
    _registry._LOADED.clear()  # forget the broken plugins for the rest of this worker's tests
    _registry.discover()


def test_register_replace_for_notebooks_and_a_clear_error_without():
    check = get_check("gd_quadratic")._replace(name="gd_quadratic_copy", run=None)
    try:
        theorycheck.register(check)
        with pytest.raises(ValueError, match="already registered.*replace=True"):
            theorycheck.register(check)
        assert theorycheck.register(check, replace=True).name == "gd_quadratic_copy"
    finally:
        _check._REGISTRY.pop("gd_quadratic_copy", None)


def test_a_float64_check_called_directly_from_a_float32_process_passes():
    assert not jax.config.read("jax_enable_x64")
    check = get_check("gd_quadratic")
    result = check.run(make_config(check, {"steps": 50}), jax.random.key(0))
    assert result.outcome == "pass", result.reason
    assert result.arrays["loss_simulated"].dtype == "float64"
    assert not jax.config.read("jax_enable_x64")  # scoped: the process is left as it was


def test_result_constructors():
    inconclusive = Result.inconclusive("too short; raise steps to >= 10", details={"steps": 5})
    assert inconclusive.outcome == "inconclusive" and inconclusive.details == {"steps": 5}
    assert Result.decide(0.2, 0.1, what="gap").reason == "gap 0.2 > tolerance 0.1"
    assert Result.decide(0.05, 0.1).outcome == "pass"
    assert Result.decide(float("nan"), 0.1).outcome == "fail"
    assert Result.decide(0.0, 0.1, inconclusive_reasons=["", "undecided"]).outcome == "inconclusive"
    assert Result.decide(0.0, 0.1, fail_reasons=["broke"]).reason == "broke"


def test_the_example_plugin_installed_with_pip_appears_in_list(tmp_path):
    """``pip install examples/min_norm`` into a fresh venv that sees this environment's packages."""
    import site
    import venv

    venv.create(tmp_path / "venv", with_pip=True)
    python = tmp_path / "venv" / "bin" / "python"
    inner = subprocess.run([python, "-c", "import site; print(site.getsitepackages()[0])"], capture_output=True,
                           text=True, check=True).stdout.strip()
    with open(os.path.join(inner, "outer.pth"), "w") as f:  # theorycheck and its dependencies, as installed here
        f.write("\n".join([*site.getsitepackages(), ROOT]) + "\n")
    install = subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps",
                              os.path.join(ROOT, "examples", "min_norm")], capture_output=True, text=True,
                             env=_env(), timeout=600)
    assert install.returncode == 0, install.stderr
    done = subprocess.run([python, "-m", "theorycheck", "list"], capture_output=True, text=True, cwd=tmp_path,
                          env=_env(), timeout=600)
    assert done.returncode == 0, done.stderr
    line = next(l for l in done.stdout.splitlines() if l.startswith("min_norm "))
    assert "plugin theorycheck-min-norm" in line
