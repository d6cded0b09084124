"""The sweep and benchmark scripts run end to end (tiny sizes) and write their records."""

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.parametrize(
    "script, args, record",
    [
        ("sweep_edge_of_stability.py", ["--lrs", "0.1", "0.2", "--seeds", "1", "--steps", "200", "--every", "20"], "eos_sweep.json"),
        ("benchmark_simulators.py", ["--steps", "100", "--every", "10", "--sweep", "2", "--repeats", "1"], "benchmark.json"),
    ],
)
def test_script_writes_its_record(script, args, record, tmp_path):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    subprocess.run([sys.executable, os.path.join(ROOT, "scripts", script), *args, "--out", str(tmp_path)],
                   env=env, check=True, capture_output=True, text=True, cwd=ROOT)
    data = json.loads((tmp_path / record).read_text())
    assert data["devices"]
    if record == "eos_sweep.json":
        assert [run["lr"] for run in data["runs"]] == [0.1, 0.2]
        assert (tmp_path / "eos_sweep.png").exists()
    else:
        assert all(value > 0 for value in data["timings"].values())


def test_sweep_script_rejects_bad_input(tmp_path):
    done = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "sweep_edge_of_stability.py"),
                           "--lrs", "-0.1", "--out", str(tmp_path)], capture_output=True, text=True, cwd=ROOT,
                          env=dict(os.environ, PYTHONPATH=ROOT))
    assert done.returncode == 2 and "--lrs must be > 0" in done.stderr
