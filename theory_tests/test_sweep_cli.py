"""``theorycheck sweep``: the grid, the store, resuming, bad input, devices and processes.

The subprocess tests run the real command line (``python -m theorycheck``) on small grids of the
built-in checks: 4 virtual CPU devices against 1, two ``jax.distributed`` processes on localhost
(gloo collectives) against one, and a sweep killed with SIGKILL after its first records and
resumed against an uninterrupted one.
"""

import csv
import json
import os
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from theorycheck.cli import main

GRID = ["--grid", "lr_fraction=0.5,1.5", "--grid", "condition=geom:10:1000:3"]
NUMBERS = ("predicted", "measured", "tolerance")


def _sweep(*args, env=None, wait=True, **kwargs):
    command = [sys.executable, "-m", "theorycheck", "sweep", *args]
    environment = {**os.environ, "JAX_PLATFORMS": "cpu", **(env or {})}
    if not wait:
        return subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kwargs)
    return subprocess.run(command, env=environment, capture_output=True, text=True, timeout=600, **kwargs)


def _rows(directory):
    with open(os.path.join(directory, "results.csv"), newline="") as f:
        return list(csv.DictReader(f))


def _assert_same_table(a, b, rtol=1e-12):
    """Same points, same outcomes, the same numbers to ``rtol`` (``error`` is itself a relative
    deviation, often at round-off level, so it is compared to ``rtol`` absolutely)."""
    assert [(r["outcome"], r["seed"]) for r in a] == [(r["outcome"], r["seed"]) for r in b]
    for x, y in zip(a, b):
        assert {k: x[k] for k in x if k not in (*NUMBERS, "error", "seconds_amortised", "details", "reason")} == \
               {k: y[k] for k in y if k not in (*NUMBERS, "error", "seconds_amortised", "details", "reason")}
        for key in NUMBERS:
            np.testing.assert_allclose(float(x[key]), float(y[key]), rtol=rtol)
        assert abs(float(x["error"]) - float(y["error"])) <= rtol


def test_sweep_writes_a_tidy_table_and_matches_run(tmp_path, capsys):
    out = tmp_path / "sweep"
    assert main(["sweep", "gd_quadratic", *GRID, "--seeds", "2", "--out", str(out)]) == 0
    rows = _rows(out)
    assert len(rows) == 2 * 3 * 2
    assert list(rows[0])[:3] == ["name", "lr_fraction", "condition"] and rows[0]["name"] == "gd_quadratic"
    assert {"dim", "steps", "momentum", "seed"} <= set(rows[0])  # the fixed keys too
    assert {"outcome", "passed", "predicted", "measured", "error", "tolerance", "reason", "seconds_amortised",
            "chunk_points"} <= set(rows[0]) and "seconds" not in rows[0]
    assert sorted({float(r["condition"]) for r in rows}) == pytest.approx([10.0, 100.0, 1000.0])
    assert len(list((out / "store").glob("*.json"))) == 12
    assert (out / "gd_quadratic_sweep.png").read_bytes().startswith(b"\x89PNG")
    payload = json.loads((out / "results.json").read_text())
    assert payload["check"] == "gd_quadratic" and len(payload["rows"]) == 12 and "provenance" in payload
    # a sweep row is the record that `run` writes for the same config and seed
    assert main(["run", "gd_quadratic", "--set", "lr_fraction=1.5", "--set", "condition=100", "--seed", "1",
                 "--out", str(tmp_path / "run"), "--no-plots"]) == 0
    record = json.loads((tmp_path / "run" / "results.json").read_text())["checks"][0]
    row = next(r for r in rows if r["lr_fraction"] == "1.5" and r["condition"] == "100.0" and r["seed"] == "1")
    for key in NUMBERS:
        np.testing.assert_allclose(float(row[key]), record[key], rtol=1e-12)
    assert row["outcome"] == record["outcome"]


def test_resume_of_a_finished_sweep_computes_and_rewrites_nothing(tmp_path, capsys):
    out = tmp_path / "sweep"
    args = ["sweep", "gd_quadratic", "--grid", "lr_fraction=0.5,0.9", "--out", str(out), "--no-plots"]
    assert main(args) == 0
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    capsys.readouterr()
    assert main([*args, "--resume"]) == 0
    assert "0 computed now" in capsys.readouterr().out
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == before
    assert main(args) == 2  # without --resume an existing sweep is never overwritten
    assert "pass --resume" in capsys.readouterr().err
    assert main(["sweep", "gd_quadratic", "--grid", "lr_fraction=0.5,0.8", "--out", str(out), "--resume"]) == 2
    assert "different sweep" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args, message",
    [
        (["sweep", "gd_quadratic"], "empty grid"),
        (["sweep", "gd_quadratic", "--grid", "nope=1,2"], "unknown config key 'nope'"),
        (["sweep", "gd_quadratic", "--grid", "dim=3,100000"], "'dim' must lie in"),
        (["sweep", "gd_quadratic", "--grid", "lr_fraction="], "empty value"),
        (["sweep", "gd_quadratic", "--grid", "lr_fraction=0.5,,0.9"], "empty value"),
        (["sweep", "gd_quadratic", "--grid", "lr_fraction=geom:0:1:3"], "lr_fraction=geom:LO:HI:N"),
        (["sweep", "gd_quadratic", "--grid", "lr_fraction=lin:0.1:1"], "lr_fraction=lin:LO:HI:N"),
        (["sweep", "gd_quadratic", "--grid", "lr_fraction=0.5", "--set", "lr_fraction=0.9"], "both swept"),
        (["sweep", "gd_quadratic", "--grid", "lr_fraction=0.5", "--grid", "lr_fraction=0.9"], "twice"),
        (["sweep", "gd_quadratic", "--grid", "momentum=nan"], "must be finite"),
        (["sweep", "gd_quadratic", "--grid", "lr_fraction=0.5", "--seeds", "0"], "--seeds must be >= 1"),
        (["sweep", "gd_quadratic", "--grid", "lr_fraction=0.5", "--seed-list", "1,x"], "--seed-list"),
        (["sweep", "no_such_check", "--grid", "a=1"], "unknown check 'no_such_check'"),
    ],
)
def test_bad_grids_exit_2_naming_the_key_before_running(args, message, tmp_path, capsys):
    assert main([*args, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("theorycheck: error: ") and message in err
    assert not (tmp_path / "out").exists()


def test_a_sweep_killed_midway_resumes_to_the_uninterrupted_table(tmp_path):
    """SIGKILL after the first records (one static group per `steps` value, so records land group
    by group), then --resume: the table equals an uninterrupted sweep's bit for bit (the promise:
    chunks are cut from the whole grid, so every remaining point runs in the same batch; a kill
    between two records of one chunk makes the resume recompute that whole chunk)."""
    args = ["gd_quadratic", "--grid", "steps=20,30,40,50", "--seeds", "2", "--no-plots"]
    killed = tmp_path / "killed"
    process = _sweep(*args, "--out", str(killed), wait=False)
    store = killed / "store"
    deadline = time.time() + 300
    while time.time() < deadline and not (store.exists() and list(store.glob("*.json"))):
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    written = len(list(store.glob("*.json")))
    assert 1 <= written < 8, f"the kill came too late or too early ({written} records)"
    assert not list(store.glob(".tmp-*"))  # atomic writes: no half-written record
    resumed = _sweep(*args, "--out", str(killed), "--resume")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert f"{8 - written} computed now" in resumed.stdout
    whole = _sweep(*args, "--out", str(tmp_path / "whole"))
    assert whole.returncode == 0, whole.stderr
    _assert_same_table(_rows(killed), _rows(tmp_path / "whole"), rtol=0)


@pytest.mark.parametrize("name, args", [
    ("gd_quadratic", [*GRID, "--seeds", "2"]),
    ("kernel_rich", ["--grid", "alpha=0.3,1.0", "--seeds", "2", "--set", "n=10", "--set", "d=30"]),
    pytest.param("edge_of_stability", ["--grid", "lr=0.09,0.12", "--seeds", "2", "--set", "steps=20000",
                                       "--set", "every=40"], marks=pytest.mark.slow),  # ~20 s: two 20k-step sweeps
])
def test_four_devices_give_the_numbers_of_one(name, args, tmp_path):
    """gd_quadratic and kernel_rich (non-chaotic) to 1e-12 on 4 virtual devices against 1; the
    edge of stability (chaotic after the crossing) to the same verdicts."""
    four = {"XLA_FLAGS": "--xla_force_host_platform_device_count=4"}
    for tag, env in (("one", {}), ("four", four)):
        done = _sweep(name, *args, "--no-plots", "--out", str(tmp_path / f"{name}-{tag}"), env=env)
        assert done.returncode in (0, 3), done.stdout + done.stderr
    one, many = _rows(tmp_path / f"{name}-one"), _rows(tmp_path / f"{name}-four")
    if name == "edge_of_stability":
        assert [r["outcome"] for r in one] == [r["outcome"] for r in many]
    else:
        _assert_same_table(one, many)


def _free_port():
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def test_two_processes_give_the_table_of_one(tmp_path):
    """Two `jax.distributed` CPU processes on localhost (gloo): the grid is sharded over the
    global mesh, process 0 writes the store; the table equals a single-process sweep's."""
    args = ["gd_quadratic", *GRID, "--seeds", "2", "--no-plots"]
    port = _free_port()
    shared = tmp_path / "two"
    workers = [
        _sweep(*args, "--out", str(shared), "--coordinator", f"localhost:{port}", "--num-processes", "2",
               "--process-id", str(i), wait=False)
        for i in (1, 0)
    ]
    outputs = [w.communicate(timeout=600)[0].decode() for w in workers]
    assert all(w.returncode == 0 for w in workers), "\n".join(outputs)
    single = _sweep(*args, "--out", str(tmp_path / "one"))
    assert single.returncode == 0, single.stderr
    _assert_same_table(_rows(shared), _rows(tmp_path / "one"))
    provenance = json.loads((shared / "results.json").read_text())["provenance"]
    assert provenance["process_count"] == 2 and provenance["device_count"] == 2


def test_a_list_valued_key_sweeps_over_lists_separated_by_semicolons():
    from theorycheck._sweep import parse_grid, plan_sweep

    plan = plan_sweep("gradient_confusion", parse_grid(["widths=16,64;16,128"]), [0])
    assert [p.config.widths for p in plan.points] == [(16, 64), (16, 128)]
    plan = plan_sweep("gradient_confusion", parse_grid(["depths=4,8"]), [0])  # commas alone: one-element lists
    assert [p.config.depths for p in plan.points] == [(4,), (8,)]
    with pytest.raises(Exception, match="empty value"):
        parse_grid(["widths=16,64;"])
