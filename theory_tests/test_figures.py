"""The figure recipes (``scripts/figures.py``) and the checks' sweep figures draw from real records."""

import json
import os
import subprocess
import sys

import jax
import numpy as np
import pytest

from theorycheck import get_check, make_config
from theorycheck.checks import dynamical_isometry

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run_script(script, args, check=True):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, os.path.join(ROOT, "scripts", script), *args],
                          env=env, check=check, capture_output=True, text=True, cwd=ROOT)


def test_recomputed_spectra_are_the_simulators_initial_record():
    """The sweep figure recomputes the initial singular values from (config, seed): they must be
    the networks the check itself simulated (the same key splits), not fresh draws. (Gaussian
    init: its spectrum differs between seeds, so a wrong key would show.)"""
    check = get_check("dynamical_isometry")
    config = make_config(check, {"width": 8, "depth": 3, "replicas": 2, "init": "gaussian"})
    spectra = []
    for seed in (0, 7):
        result = check.run(config, jax.random.key(seed))
        spectra.append(dynamical_isometry.initial_singular_values(config, seed))
        np.testing.assert_allclose(spectra[-1], result.arrays["singular_values"][0], rtol=1e-12, atol=1e-14)
    assert np.max(np.abs(spectra[0] - spectra[1])) > 1e-3


def test_figures_lists_every_family_and_rejects_unknown_names():
    listed = _run_script("figures.py", ["--list"]).stdout
    for family in ("square_loss", "normalisation", "wide"):
        assert f"[{family}]" in listed
    assert "theorycheck sweep synflow_conservation --grid compression=lin:0.5:3.5:7" in listed
    assert "scripts/neural_collapse_digits.py" in listed
    done = _run_script("figures.py", ["--recipe", "nope", "--list"], check=False)
    assert done.returncode == 2 and "unknown recipe" in done.stderr


@pytest.mark.slow  # ~10 s (compiles)
def test_figures_quick_recipe_draws_its_sweep_figure(tmp_path):
    _run_script("figures.py", ["--recipe", "synflow_layer_collapse", "--quick", "--out", str(tmp_path)])
    (record,) = json.loads((tmp_path / "figures.json").read_text())
    assert record["ok"] and record["exit_code"] in (0, 1, 3) and record["quick"]
    assert record["pngs"] == [str(tmp_path / "synflow_layer_collapse-quick" / "synflow_conservation_sweep.png")]
    rows = json.loads((tmp_path / "synflow_layer_collapse-quick" / "results.json").read_text())["rows"]
    assert sorted(r["compression"] for r in rows) == [0.5, 1.0]


@pytest.mark.slow  # every family's quick grid: a few minutes
def test_every_quick_recipe_draws_a_figure(tmp_path):
    _run_script("figures.py", ["--quick", "--out", str(tmp_path)])
    records = json.loads((tmp_path / "figures.json").read_text())
    assert len(records) >= 7 and all(r["ok"] for r in records), [r for r in records if not r["ok"]]
    summary = json.loads((tmp_path / "neural_collapse_digits-quick" / "neural_collapse_digits.json").read_text())
    assert summary["end"]["nc1"] < summary["start"]["nc1"]


def test_every_recipe_grid_is_a_valid_sweep_plan():
    """Each sweep recipe's full and quick grids name real keys with admissible values (the whole
    plan is validated as `theorycheck sweep` does before anything runs); scripts exist."""
    sys.path.insert(0, os.path.join(ROOT, "scripts"))
    try:
        import figures
    finally:
        sys.path.pop(0)
    from theorycheck._sweep import parse_grid, plan_sweep
    from theorycheck.cli import _parse_sets

    for recipe in figures.RECIPES:
        if recipe.script is not None:
            assert os.path.exists(os.path.join(ROOT, "scripts", recipe.script)), recipe.name
            continue
        for grid, sets in ((recipe.grid, recipe.sets), (recipe.quick_grid, recipe.quick_sets)):
            plan = plan_sweep(recipe.check, parse_grid(grid), list(range(recipe.seeds)), _parse_sets(sets))
            assert plan.points, recipe.name


def test_a_sweep_keeps_its_checks_sweep_arrays_beside_each_record(tmp_path, capsys):
    """``sweep_arrays``: dynamical_isometry's sweep stores each point's singular values as
    ``store/<id>.npz`` (read back as ``row["arrays"]``), equal to the spectra that the figure would
    otherwise recompute; the tables stay scalar, and ``--resume`` recomputes nothing."""
    from theorycheck._sweep import parse_grid, plan_sweep, read_store
    from theorycheck.cli import main

    args = ["sweep", "dynamical_isometry", "--grid", "init=gaussian", "--grid", "depth=2,3",
            "--set", "width=8", "--set", "replicas=2", "--seeds", "2", "--out", str(tmp_path)]
    assert main(args) == 1  # Gaussian init is the check's negative control: every point fails
    plan = plan_sweep("dynamical_isometry", parse_grid(["init=gaussian", "depth=2,3"]), [0, 1],
                      {"width": "8", "replicas": "2"})
    rows = read_store(str(tmp_path), plan)
    assert len(rows) == 4 and len(list((tmp_path / "store").glob("*.npz"))) == 4
    for row in rows:
        config = make_config(get_check("dynamical_isometry"), row["config"])
        np.testing.assert_allclose(row["arrays"]["singular_values"][0],
                                   dynamical_isometry.initial_singular_values(config, row["seed"]),
                                   rtol=1e-12, atol=1e-14)
    assert "arrays" not in json.loads((tmp_path / "results.json").read_text())["rows"][0]
    capsys.readouterr()
    assert main([*args, "--resume"]) == 1
    assert "0 computed now" in capsys.readouterr().out
