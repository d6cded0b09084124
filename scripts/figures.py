"""The papers' headline figures, each drawn by one sweep (``theorycheck sweep ...``) or script.

Every recipe below is a row of :data:`RECIPES`: a name, its family (the issue it belongs to), and
either a check with its grid, seeds and ``--set`` overrides (run through the ``theorycheck sweep``
command line in this process, so the figure is the check's own ``plot_sweep``), or a script in
``scripts/`` with its arguments. ``--quick`` swaps in tiny grids (a smoke test: every figure is
drawn, none is meaningful). Outputs go to ``OUT/<recipe>/`` (``OUT/<recipe>-quick/`` with
``--quick``): the sweep's ``results.csv``/``results.json``/``store/`` and ``<check>_sweep.png``, or
the script's NPZ and PNG; ``OUT/figures.json`` lists each recipe's command line, exit code,
seconds and PNGs. A sweep re-run into the same directory resumes (``--resume``): finished points
are not recomputed.

    python scripts/figures.py                          # every family
    python scripts/figures.py --family normalisation --out runs/figures
    python scripts/figures.py --recipe synflow_layer_collapse
    python scripts/figures.py --quick --out /tmp/figures   # smoke test
    python scripts/figures.py --list

Exit codes: 0 when every recipe drew its figure (a sweep whose points include negative controls
or inconclusive runs still draws it: the sweep's own exit code 1 or 3 is recorded, not an error),
2 for bad arguments, 1 when a recipe could not run (its sweep rejected the grid, or a script failed).
"""

import argparse
import glob
import json
import os
import pathlib
import shlex
import subprocess
import sys
import time
from typing import NamedTuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FAMILIES = ("square_loss", "normalisation", "wide")


class Recipe(NamedTuple):
    """One figure: a sweep of ``check`` (``grid``: ``--grid`` values, ``sets``: ``--set`` values)
    over ``seeds`` seeds, or a ``script`` in ``scripts/`` run with ``args``; ``quick_*`` replace
    them under ``--quick``."""

    name: str
    family: str
    what: str
    check: str | None = None
    grid: tuple[str, ...] = ()
    sets: tuple[str, ...] = ()
    seeds: int = 1
    quick_grid: tuple[str, ...] = ()
    quick_sets: tuple[str, ...] = ()
    script: str | None = None
    args: tuple[str, ...] = ()
    quick_args: tuple[str, ...] = ("--quick",)


RECIPES: list[Recipe] = [
    # ---------------------------------------------------------------- issue 8: square loss
    Recipe("low_rank_vs_weight_decay_lr", "square_loss",
           "rank of the hidden layers of W_T against λ and μ (Galanti et al.)",
           check="low_rank_bound", grid=("weight_decay=0,0.04,0.05,0.06", "lr=0.09,0.1,0.12"), seeds=3,
           quick_grid=("weight_decay=0,0.05",), quick_sets=("steps=1000", "width=96")),
    Recipe("low_rank_vs_batch_size", "square_loss",
           "rank of the hidden layers of W_T against the batch size B (width 256, μλ at the top of its range: "
           "the bound bites only while 2μλ·width/B ≳ ln 2, so B ≤ 3, low_rank_bound's range)",
           check="low_rank_bound", grid=("batch_size=1,2,3",), sets=("width=256", "lr=0.12", "weight_decay=0.06"),
           seeds=2, quick_grid=("batch_size=1,2",), quick_sets=("steps=1000", "width=144", "lr=0.12", "weight_decay=0.06")),
    Recipe("neural_collapse_digits", "square_loss",
           "NC1–NC4 of a ReLU MLP on digits under MSE + WD, decreasing past interpolation (issue 8)",
           script="neural_collapse_digits.py"),
    Recipe("low_rank_trends", "square_loss",
           "numerical rank of the middle layer on digits against B, λ and μ, with and without weight decay "
           "(Galanti et al.)",
           check="low_rank_trends", grid=("weight_decay=0,0.05",), sets=("batch_sizes=1,4,16,64",), seeds=3,
           quick_grid=("weight_decay=0.05",), quick_sets=("batch_sizes=1,16",)),
    Recipe("compositional_sparsity_d", "square_loss",
           "test error against n for the tree-structured and the dense net, compositional and dense targets, "
           "and the sample ratio against d (Xu et al.; Poggio et al.)",
           check="compositional_sparsity", grid=("d=8,16", "compositional=true,false"), sets=("max_samples=2048",),
           quick_grid=("d=8",), quick_sets=("max_samples=128", "replicas=3")),
    Recipe("norm_bounds_table", "square_loss",
           "Rademacher (norm) bound beside the generalisation gap, MLP and circular conv net on digits (Xu et al.)",
           check="norm_bounds", grid=("init_scale=0.5,1.0,1.5",), seeds=2,
           quick_grid=("init_scale=1.0",), quick_sets=("steps=100", "samples=128")),
    # ---------------------------------------------------------------- issue 9: normalisation
    Recipe("channel_norm_gradients", "normalisation",
           "‖∇_{c₁}L‖ against kernel scale and depth, with and without channel normalisation (Dai & Heckel)",
           check="channel_norm_gradients",
           grid=("depth=2,4,8,12,16", "kernel_scale=0.25,1,2", "channel_norm=true,false"), seeds=2,
           quick_grid=("depth=2,4", "kernel_scale=1", "channel_norm=true,false")),
    Recipe("dynamical_isometry_spectra", "normalisation",
           "Jacobian singular-value densities against depth, orthogonal against Gaussian (Pennington et al.)",
           check="dynamical_isometry", grid=("depth=1,2,4,8,16", "init=orthogonal,gaussian"), sets=("width=128",),
           quick_grid=("depth=1,2", "init=orthogonal,gaussian"), quick_sets=("width=8", "replicas=1")),
    Recipe("isometry_curvature_sigma", "normalisation",
           "Fisher λ_max against the Jacobian bound across depth, q* and σ_w² around criticality, orthogonal "
           "against Gaussian (Sokół & Park)",
           check="isometry_curvature", grid=("sigma_w2_scale=0.5,1,2",),
           quick_grid=("sigma_w2_scale=1",), quick_sets=("depths=4", "q_stars=0.015625", "samples=4", "outputs=2",
                                                         "lanczos_iterations=9")),
    Recipe("untrained_cs_recovery", "normalisation",
           "recovery error against the number of measurements, smooth signal against white noise "
           "(Heckel & Soltanolkotabi)",
           check="untrained_cs_recovery",
           grid=("measurements_factor=1,2,3,4,6,8,12,16", "signal=smooth,noise"),
           quick_grid=("measurements_factor=2,8", "signal=smooth,noise"), quick_sets=("width=256", "steps=1000")),
    # ---------------------------------------------------------------- issue 10: wide networks
    Recipe("gd_global_convergence_width", "wide",
           "Gram concentration and drift against width (log-log), loss at T against the rate bound (Du et al.)",
           check="gd_global_convergence", grid=("lr=0.2,0.4,0.8",), sets=("steps=800",), seeds=2,
           quick_grid=("lr=0.4",), quick_sets=("widths=16,32,64", "steps=10")),
    Recipe("synflow_layer_collapse", "wide",
           "surviving weights per layer against compression: SynFlow, magnitude, SNIP (Tanaka et al.)",
           check="synflow_conservation", grid=("compression=lin:0.5:3.5:7",),
           quick_grid=("compression=0.5,1",), quick_sets=("depth=3", "width=16", "rounds=10")),
    Recipe("spline_implicit_bias", "wide",
           "sup distance of the trained net to the natural and the (1+x²)²-weighted spline against width "
           "(Jin & Montúfar)",
           check="spline_implicit_bias", grid=("width=1024,4096,16384", "init=uniform,gaussian"),
           quick_grid=("width=512", "init=uniform"), quick_sets=("steps=10000",)),
    Recipe("gradient_confusion_depth_width", "wide",
           "minimum pairwise gradient cosine against width per depth and against depth (Sankararaman et al.)",
           check="gradient_confusion", grid=("depths=1,2,4,8",), sets=("widths=16,64,256",), seeds=3,
           quick_grid=("depths=4",), quick_sets=("widths=16,64", "draws=8")),
    Recipe("soft_confusion_imbalance", "wide",
           "test F1 of soft-F1 against MSE training as the positive fraction falls (Tsoi et al.)",
           check="soft_confusion", grid=("imbalance=0.01,0.02,0.03,0.05",), seeds=2,
           quick_grid=("imbalance=0.02",)),
]


def sweep_argv(recipe: Recipe, out_dir: str, quick: bool) -> list[str]:
    """The ``theorycheck`` arguments of a sweep recipe."""
    grid = recipe.quick_grid if quick else recipe.grid
    sets = recipe.quick_sets if quick else recipe.sets
    return ["sweep", recipe.check, *(a for g in grid for a in ("--grid", g)), *(a for s in sets for a in ("--set", s)),
            "--seeds", str(1 if quick else recipe.seeds), "--out", out_dir, "--resume"]


def run_recipe(recipe: Recipe, out: str, quick: bool) -> dict:
    """Draws one figure; returns its record (command, exit code, seconds, PNGs)."""
    directory = os.path.join(out, recipe.name + ("-quick" if quick else ""))
    start = time.perf_counter()
    if recipe.check is not None:
        from theorycheck.cli import main as theorycheck

        argv = sweep_argv(recipe, directory, quick)
        command = ["theorycheck", *argv]
        code = theorycheck(argv)
        ok = code in (0, 1, 3)  # 1/3: some points failed or were inconclusive (controls): still drawn
    else:
        args = list(recipe.quick_args if quick else recipe.args)
        command = [sys.executable, os.path.join("scripts", recipe.script), *args, "--out", directory]
        env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
        code = subprocess.run(command, cwd=ROOT, env=env).returncode
        ok = code == 0
    pngs = sorted(glob.glob(os.path.join(directory, "*.png")))
    return {"recipe": recipe.name, "family": recipe.family, "what": recipe.what,
            "command": " ".join(shlex.quote(c) for c in command), "exit_code": code, "ok": bool(ok and pngs),
            "seconds": round(time.perf_counter() - start, 1), "pngs": pngs}


def select(family: str, names) -> list[Recipe]:
    chosen = [r for r in RECIPES if family == "all" or r.family == family]
    if names:
        known = {r.name for r in RECIPES}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ValueError(f"unknown recipe(s) {unknown}; choose from {sorted(known)}")
        chosen = [r for r in chosen if r.name in names]
    return chosen


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", default="all", choices=(*FAMILIES, "all"), help="which issue's figures")
    parser.add_argument("--recipe", action="append", default=[], metavar="NAME", help="only these recipes (repeatable)")
    parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path("runs/figures"))
    parser.add_argument("--quick", action="store_true", help="tiny grids: a smoke test of every figure")
    parser.add_argument("--list", action="store_true", help="print the recipes and their commands, run nothing")
    args = parser.parse_args(argv)
    try:
        recipes = select(args.family, args.recipe)
    except ValueError as error:
        parser.error(str(error))
    if not recipes:
        parser.error(f"no recipe named {args.recipe} in family {args.family!r}")
    out = str(args.out)
    if args.list:
        for r in recipes:
            directory = os.path.join(out, r.name + ("-quick" if args.quick else ""))
            command = (" ".join(["theorycheck", *map(shlex.quote, sweep_argv(r, directory, args.quick))]) if r.check
                       else " ".join(["python", f"scripts/{r.script}",
                                      *(r.quick_args if args.quick else r.args), "--out", directory]))
            print(f"{r.name} [{r.family}]: {r.what}\n    {command}")
        return 0
    os.makedirs(out, exist_ok=True)
    records = []
    for recipe in recipes:
        print(f"== {recipe.name}: {recipe.what}", flush=True)
        record = run_recipe(recipe, out, args.quick)
        print(f"   {record['command']}\n   exit {record['exit_code']}, {record['seconds']} s, "
              f"{', '.join(record['pngs']) or 'no figure'}", flush=True)
        records.append(record)
    summary_path = os.path.join(out, "figures.json")
    previous = {}
    if os.path.exists(summary_path):
        with open(summary_path, encoding="utf-8") as f:
            previous = {r["recipe"] + ("-quick" if r.get("quick") else ""): r for r in json.load(f)}
    for record in records:
        previous[record["recipe"] + ("-quick" if args.quick else "")] = {**record, "quick": args.quick}
    with open(summary_path, "w", encoding="utf-8") as f:
        json.dump(list(previous.values()), f, indent=1, ensure_ascii=False)
    return 0 if all(r["ok"] for r in records) else 1


if __name__ == "__main__":
    sys.exit(main())
