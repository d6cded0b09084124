"""Sweep: the edge-of-stability plateau against 2/η over a grid of step sizes and seeds.

Full-batch GD on Cohen et al.'s regression net (shared/THEORY.md §1), one run per (η, seed),
all in one ``vmap`` sharded over every visible device (CPU by default). Writes
``OUT/eos_sweep.json`` (per run: η, seed, 2/η, median post-crossing sharpness, its min and max
ratio to 2/η, crossing step, verdict) and ``OUT/eos_sweep.png`` (median sharpness vs 2/η with
the min–max band).

    python scripts/sweep_edge_of_stability.py --lrs 0.05 0.1 0.2 0.4 --seeds 4 --out runs/eos_sweep
"""

import argparse
import json
import pathlib
import time

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)

import dynamics  # noqa: E402
from theorycheck import get_check, make_config  # noqa: E402
from theorycheck.checks import edge_of_stability as eos  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lrs", type=float, nargs="+", default=[0.05, 0.1, 0.2, 0.4])
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--steps", type=int, default=None, help="default: the check's (80k)")
    parser.add_argument("--every", type=int, default=None, help="default: the check's (40)")
    parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path("runs/eos_sweep"))
    args = parser.parse_args(argv)
    if any(lr <= 0 for lr in args.lrs) or args.seeds < 1:
        parser.error("--lrs must be > 0 and --seeds >= 1")
    check = get_check("edge_of_stability")
    try:
        overrides = {k: v for k, v in (("steps", args.steps), ("every", args.every)) if v is not None}
        config = make_config(check, overrides)
    except ValueError as error:
        parser.error(str(error))
    _, _, net, _ = eos._problem(config.width, config.gain, config.degree, config.n)
    simulate = eos._simulator(config.width, config.gain, config.degree, config.n, "gd",
                              config.steps, config.every, config.lanczos_iterations)

    def one(lr, seed_key):
        key_init, key_run = jax.random.split(seed_key)
        return simulate(net.init(key_init), key_run, lr)

    lrs = np.repeat(np.asarray(args.lrs), args.seeds)
    seeds = np.tile(np.arange(args.seeds), len(args.lrs))
    keys = jax.vmap(jax.random.key)(jnp.asarray(seeds))
    start = time.perf_counter()
    trajectories = dynamics.sweep(one, (jnp.asarray(lrs), keys), in_axes=(0, 0))
    jax.block_until_ready(trajectories)
    seconds = time.perf_counter() - start
    sharpness = np.asarray(trajectories.observations["sharpness"]["eigenvalues"][..., 0])
    converged = np.asarray(trajectories.observations["sharpness"]["converged"][..., 0])
    losses = np.asarray(trajectories.losses)
    steps = np.asarray(trajectories.times[0], dtype=float)
    rows = []
    for i, (lr, seed) in enumerate(zip(lrs, seeds)):
        v = eos.hovering_verdict(sharpness[i], converged[i], steps, losses[i],
                                 np.arange(config.steps, dtype=float), float(lr), config)
        rows.append({"lr": float(lr), "seed": int(seed), "diverged": bool(trajectories.diverged[i]),
                     "outcome": v["outcome"], "reason": v["reason"],
                     **{k: v.get(k, float("nan")) for k in ("threshold", "median_ratio", "crossing_step",
                                                             "max_ratio", "min_ratio")}})
    args.out.mkdir(parents=True, exist_ok=True)
    record = {"devices": [str(d) for d in jax.devices()], "seconds": seconds, "steps": config.steps,
              "every": config.every, "runs": rows}
    (args.out / "eos_sweep.json").write_text(json.dumps(record, indent=2))
    _plot(rows, args.out / "eos_sweep.png")
    for row in rows:
        print(f"η={row['lr']:<6g} seed={row['seed']} 2/η={row['threshold']:<7.3g} "
              f"median S·η/2={row['median_ratio']:.3f} range=[{row['min_ratio']:.3f}, {row['max_ratio']:.3f}] "
              f"{row['outcome'].upper()}")
    print(f"{len(rows)} runs in {seconds:.1f}s on {len(jax.devices())} device(s); wrote {args.out}")


def _plot(rows, path):
    from theorycheck.checks._common import figure

    fig, axes = figure(1, 1)
    ax = axes[0, 0]
    thresholds = np.array([r["threshold"] for r in rows])
    for key, marker in (("median_ratio", "o"), ("min_ratio", "v"), ("max_ratio", "^")):
        ax.loglog(thresholds, thresholds * np.array([r[key] for r in rows]), marker, ls="none", label=key)
    grid = np.geomspace(thresholds.min(), thresholds.max(), 10)
    ax.loglog(grid, grid, "k--", lw=1, label="S = 2/η")
    ax.set_xlabel("2/η")
    ax.set_ylabel("sharpness after crossing")
    ax.legend(fontsize=8)
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
