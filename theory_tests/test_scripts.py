"""The benchmark scripts run end to end (tiny sizes) and write their records."""

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.parametrize(
    "script, args, record",
    [
        ("benchmark_simulators.py", ["--steps", "100", "--every", "10", "--sweep", "2", "--repeats", "1"], "benchmark.json"),
    ],
)
def test_script_writes_its_record(script, args, record, tmp_path):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    subprocess.run([sys.executable, os.path.join(ROOT, "scripts", script), *args, "--out", str(tmp_path)],
                   env=env, check=True, capture_output=True, text=True, cwd=ROOT)
    data = json.loads((tmp_path / record).read_text())
    assert data["devices"]
    assert all(value > 0 for value in data["timings"].values())
