"""Regenerates the documentation's figure cache: one real run per check at its default config.

    python scripts/docs_figures.py                      # every registered check (slow: the lead's job)
    python scripts/docs_figures.py gd_quadratic gradient_oscillation
    python scripts/docs_figures.py --stale              # only the checks whose figure is missing or stale
    python scripts/docs_figures.py kernel_rich --sweep  # also the check's sweep figure (scripts/figures.py recipe)

For each check, ``theorycheck run NAME --seed 0`` runs at the default config (the library's
``run_checks``, exactly what the CLI does) and writes ``docs/_cache/NAME/figure.png`` (the check's
own figure, downscaled to at most 900 px wide) and ``docs/_cache/NAME/record.json``: the run's
record, its provenance, the command, and ``source_sha256``, the hash of the check's module source.
The docs build (``docs/_hooks.py``) shows them on the check's page, and says so visibly when the
module has changed since (a stale figure) or when there is none.

``--sweep`` also runs the check's recipe of ``scripts/figures.py`` (the paper's headline sweep:
minutes to hours at full size; ``--quick`` uses the recipe's tiny grid) and caches its PNG as
``docs/_cache/NAME/sweep.png``. ``--seed`` and ``--max-seconds`` pass through.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import docs_pages  # noqa: E402

MAX_WIDTH = 900  # px: the page column is ~800 px; keeps the committed PNGs small


def _downscale(source: Path, target: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    image = plt.imread(source)
    height, width = image.shape[:2]
    if width <= MAX_WIDTH:
        shutil.copyfile(source, target)
        return
    step = -(-width // MAX_WIDTH)  # an integer stride: no interpolation dependency
    plt.imsave(target, image[::step, ::step])


def cache_check(name: str, seed: int, max_seconds: float | None, cache: Path) -> dict:
    """Runs ``name`` at its default config and caches its figure and record; returns the record."""
    from theorycheck import registry, run_checks
    from theorycheck._provenance import provenance

    check = registry()[name]
    command = f"theorycheck run {name} --seed {seed}"
    with tempfile.TemporaryDirectory(prefix=f"docs-{name}-") as out:
        started = time.time()
        record = run_checks([name], {}, seed, out, plots=True, progress=False, max_seconds=max_seconds)[0]
        png = Path(out) / f"{name}.png"
        if not png.is_file():
            raise RuntimeError(f"{name}: the run wrote no figure")
        target = cache / name
        target.mkdir(parents=True, exist_ok=True)
        _downscale(png, target / "figure.png")
        prov = json.loads((Path(out) / "results.json").read_text()).get("provenance") or provenance()
    record = dict(record, command=command, source_sha256=docs_pages.source_hash(check),
                  source_file=str(docs_pages.module_file(check).relative_to(ROOT))
                  if docs_pages.module_file(check).is_relative_to(ROOT) else docs_pages.module_file(check).name,
                  provenance=prov, wall_seconds=round(time.time() - started, 2))
    (target / "record.json").write_text(json.dumps(record, indent=1, sort_keys=True, allow_nan=False) + "\n")
    return record


def cache_sweep(name: str, quick: bool, cache: Path) -> None:
    """Runs the check's ``scripts/figures.py`` recipe and caches its PNG as ``sweep.png``."""
    import figures

    recipes = [r for r in figures.RECIPES if r.check == name]
    if not recipes:
        print(f"{name}: no sweep recipe in scripts/figures.py; skipped")
        return
    recipe = recipes[0]
    with tempfile.TemporaryDirectory(prefix=f"docs-{name}-sweep-") as out:
        argv = figures.sweep_argv(recipe, str(Path(out) / recipe.name), quick)
        subprocess.run([sys.executable, "-m", "theorycheck", *argv], check=False, cwd=ROOT)
        pngs = sorted((Path(out) / recipe.name).glob("*_sweep.png"))
        if not pngs:
            print(f"{name}: the sweep wrote no figure; skipped")
            return
        _downscale(pngs[0], cache / name / "sweep.png")
    record_path = cache / name / "record.json"
    record = json.loads(record_path.read_text())
    record["sweep_command"] = "theorycheck " + " ".join(a for a in argv if not a.startswith(out))
    record_path.write_text(json.dumps(record, indent=1, sort_keys=True, allow_nan=False) + "\n")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="checks to run (default: every registered check)")
    parser.add_argument("--stale", action="store_true", help="only the checks whose figure is missing or stale")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-seconds", type=float, default=None, help="per-check budget (a child process)")
    parser.add_argument("--sweep", action="store_true", help="also cache the check's sweep figure")
    parser.add_argument("--quick", action="store_true", help="with --sweep: the recipe's tiny grid")
    parser.add_argument("--cache", default=str(docs_pages.CACHE), help="cache directory (default docs/_cache)")
    args = parser.parse_args(argv)
    from theorycheck import registry

    checks = registry()
    cache = Path(args.cache)
    unknown = [n for n in args.names if n not in checks]
    if unknown:
        parser.error(f"unknown check(s) {unknown}; valid: {', '.join(checks)}")
    names = args.names or list(checks)
    if args.stale:
        names = [n for n in names if docs_pages.cache_state(checks[n], cache)[0] != "fresh"]
    failures = 0
    for name in names:
        try:
            record = cache_check(name, args.seed, args.max_seconds, cache)
            print(f"{name}: {record['outcome']} in {record['wall_seconds']} s -> {cache / name}")
            if args.sweep:
                cache_sweep(name, args.quick, cache)
        except Exception as error:  # noqa: BLE001 (one check's failure never stops the others)
            failures += 1
            print(f"{name}: not cached: {type(error).__name__}: {error}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
