"""The benchmark scripts run end to end (tiny sizes, ``--quick``) and write their records."""

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run_script(script, args, tmp_path=None, check=True):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = ["--out", str(tmp_path)] if tmp_path is not None else []
    return subprocess.run([sys.executable, os.path.join(ROOT, "scripts", script), *args, *out],
                          env=env, check=check, capture_output=True, text=True, cwd=ROOT)


def _check_machine(data):
    machine = data["machine"]
    assert machine["devices"] and machine["cpu_count"] >= 1 and len(data["load_before"]) == 3


def test_bench_eos_quick(tmp_path):
    """The library, the hand-written scan and the float64 run start from the same point and agree;
    a new learning rate, momentum or initial scale does not retrace."""
    _run_script("bench_eos.py", ["--quick", "--no-torch"], tmp_path)
    data = json.loads((tmp_path / "bench_eos.json").read_text())
    _check_machine(data)
    results = data["results"]
    assert set(results) == {"library", "jax_scan", "library_f64"}
    for name, result in results.items():
        assert result["run_s"] > 0
        assert result["final_sharpness"] == pytest.approx(results["library"]["final_sharpness"], rel=1e-3), name
    assert data["new_learning_rate"]["traces"] == 1 and not data["new_learning_rate"]["retraced"]
    assert data["retraced_for_new"] == {"learning_rate": False, "momentum": False, "init_scale": False}
    assert data["floor"]["floor_s"] > 0 and data["floor"]["hvp_over_step"] > 0


@pytest.mark.slow  # the suite's time budget (33 s); test_central_flow_dynamics covers the simulator
def test_bench_central_flow_quick(tmp_path):
    """Per width, the central flow's step costs more than a GD step; the Adam observer's record."""
    _run_script("bench_central_flow.py", ["--quick"], tmp_path)
    data = json.loads((tmp_path / "bench_central_flow.json").read_text())
    _check_machine(data)
    assert [row["width"] for row in data["central_flow"]] == [25, 50]
    assert all(row["gd_steps_per_central_flow_step"] > 1 for row in data["central_flow"])
    assert data["preconditioned_observer"]["preconditioned_over_raw"] > 0


@pytest.mark.slow  # the suite's time budget; bench_eos_quick covers the common path
def test_bench_eos_torch_column_quick(tmp_path):
    """PyTorch eager from the same initial point computes the same sharpness."""
    pytest.importorskip("torch")
    _run_script("bench_eos.py", ["--quick", "--columns", "torch"], tmp_path)
    results = json.loads((tmp_path / "bench_eos.json").read_text())["results"]
    assert set(results) == {"library", "torch"} and results["torch"]["speedup_vs_torch"] == 1
    assert results["torch"]["final_sharpness"] == pytest.approx(results["library"]["final_sharpness"], rel=1e-3)


@pytest.mark.slow  # the suite's time budget; bench_eos_quick covers the common path
def test_bench_hessian_quick(tmp_path):
    _run_script("bench_hessian.py", ["--quick"], tmp_path)
    data = json.loads((tmp_path / "bench_hessian.json").read_text())
    _check_machine(data)
    (result,) = data["results"].values()
    assert result["hvp_over_step"] > 0 and result["reference_method"] == "eigvalsh"
    errors = result["relative_error"]
    # the warm start (the observer's) beats a cold one at the same HVP budget
    assert errors["10"]["warm"] < 1e-4 and errors["10"]["warm"] <= errors["10"]["cold"]


@pytest.mark.slow  # the suite's time budget; bench_eos_quick covers the common path
def test_bench_sweep_quick_on_two_devices(tmp_path):
    _run_script("bench_sweep.py", ["--quick", "--devices", "2"], tmp_path)
    data = json.loads((tmp_path / "bench_sweep.json").read_text())
    (result,) = data["results"].values()
    assert result["devices"] == 2 and result["sharded_over"] == 2
    assert result["sweep_config_steps_per_s"] > 0 and result["sweep_over_single"] > 0


def test_bench_suite_rejects_an_unknown_benchmark():
    done = _run_script("bench_suite.py", ["nope"], check=False)
    assert done.returncode == 2 and "unknown benchmark" in done.stderr


def test_gcn_natural_gradient_quick(tmp_path):
    """The GCN example trains NG, Adam and SGD through dynamics.gradient_descent and writes its record
    and figure; at the quick size every optimizer fits the 9 labelled nodes better than chance and
    none diverges."""
    _run_script("gcn_natural_gradient.py", ["--quick"], tmp_path)
    data = json.loads((tmp_path / "gcn_natural_gradient.json").read_text())
    assert (tmp_path / "gcn_natural_gradient.png").stat().st_size > 0
    assert set(data["summary"]) == {"ng", "adam", "sgd"}
    for name, summary in data["summary"].items():
        assert not any(summary["diverged"]), name
        assert summary["mean_final_train_loss"] < 1.0986, name  # below log 3, the uniform prediction
        assert 0.0 <= summary["mean_final_test_accuracy"] <= 1.0
