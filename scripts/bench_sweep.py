"""Benchmark: one run against an 8-configuration sweep (``dynamics.sweep``) on 1 and 4 devices.

The job is the edge-of-stability job of ``bench_eos.py`` (55k-parameter tanh MLP on 1000 digits,
float32, the sharpness every 50 steps by 20 warm-started Lanczos HVPs), shortened to ``--steps``.
The sweep is ``--configs`` learning rates in one ``vmap``, its batch sharded over the devices.
Single runs and sweeps are interleaved in one process, medians of ``--repeats``; the 4-device
variant is the same script in a subprocess with
``XLA_FLAGS=--xla_force_host_platform_device_count=4`` (read when jax is imported). Reports
config·steps/s and its ratio to a single run, for the sweep compiled once, and the time of a
second ``dynamics.sweep`` call (which compiles again: it builds ``jit(vmap(fn))`` on every call).
Writes ``OUT/bench_sweep.json``.

    python scripts/bench_sweep.py --out runs/bench
    python scripts/bench_sweep.py --quick --out /tmp/bench
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_common as common  # noqa: E402

from theorycheck import dynamics  # noqa: E402


def measure(args) -> dict:
    """Single run and sweep, interleaved, on the devices this process sees."""
    common.warm_up()
    widths, samples = ((64, 16, 16, 10), 200) if args.quick else (common.DIGITS_WIDTHS["55k"], 1000)
    x, y = common.digits(samples, synthetic_fallback=args.quick)
    _, loss, params0 = common.mse_problem(widths, x, y, jnp.float32)
    run = dynamics.gradient_descent(
        loss, dynamics.plain_sgd(0.1), num_steps=args.steps, every=args.every,
        observers={"sharpness": dynamics.top_hessian_eigenvalues(loss, num_iterations=args.iterations)},
    )
    key = jax.random.key(1)

    def one(lr):
        traj = run(params0, key, {"learning_rate": lr})
        return traj.observations["sharpness"]["eigenvalues"][-1, 0], traj.losses[-1]

    lrs = jnp.asarray(np.geomspace(0.05, 0.2, args.configs), jnp.float32)
    single, single_compile_s = common.compile_seconds(one, lrs[0])
    # dynamics.sweep as users call it: it builds jit(vmap(fn)) afresh, so each call compiles
    calls = 0 if args.quick else 2
    sweep_calls_s = [common.seconds(lambda: dynamics.sweep(one, (lrs,), in_axes=(0,))) for _ in range(calls)] or [None]
    # the same sharded vmap compiled once: what a sweep costs after its compile
    sharding = dynamics.batch_sharding(args.configs)
    placed = lrs if sharding is None else jax.device_put(lrs, sharding)
    sweep, sweep_compile_s = common.compile_seconds(jax.vmap(one), placed)
    timing = common.interleaved({"single": lambda: single(lrs[0]), "sweep": lambda: sweep(placed)}, args.repeats)
    single_rate = args.steps / timing["single"]["median_s"]
    sweep_rate = args.configs * args.steps / timing["sweep"]["median_s"]
    return {
        "devices": len(jax.devices()), "sharded_over": 1 if sharding is None else len(sharding.mesh.devices.flat),
        "single_run_s": timing["single"]["median_s"], "sweep_s": timing["sweep"]["median_s"],
        "single_runs_s": timing["single"]["runs_s"], "sweep_runs_s": timing["sweep"]["runs_s"],
        "single_compile_s": single_compile_s, "sweep_compile_s": sweep_compile_s,
        "dynamics_sweep_calls_s": sweep_calls_s,
        "single_steps_per_s": single_rate, "sweep_config_steps_per_s": sweep_rate,
        "sweep_over_single": sweep_rate / single_rate, "params": common.num_params(params0),
        "machine": common.machine({"jax_threads": "XLA default (all usable cores)"}), "load": common.load(),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--every", type=int, default=50)
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--configs", type=int, default=8)
    parser.add_argument("--devices", type=int, nargs="+", default=[1, 4], help="virtual CPU device counts")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="smoke test: a tiny net, 100 steps, 1 repeat")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path("runs/bench"))
    args = parser.parse_args(argv)
    if args.quick:
        args.steps, args.iterations, args.repeats = 100, 5, 1
    if min(args.steps, args.every, args.iterations, args.configs, args.repeats, *args.devices) < 1 or args.steps % args.every:
        parser.error("every count must be positive and --every must divide --steps")
    if args.child:
        print(json.dumps(measure(args)))
        return None
    load_before = common.load()
    results = {}
    for count in args.devices:
        if count == 1 and jax.device_count() == 1:
            results[count] = measure(args)
            continue
        env = dict(os.environ, XLA_FLAGS=(os.environ.get("XLA_FLAGS", "") + f" --xla_force_host_platform_device_count={count}").strip())
        done = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", "--steps", str(args.steps), "--every", str(args.every), "--iterations", str(args.iterations),
                               "--configs", str(args.configs), "--repeats", str(args.repeats)] + (["--quick"] if args.quick else []),
                              env=env, capture_output=True, text=True, check=True)
        results[count] = json.loads(done.stdout.strip().splitlines()[-1])
    record = {"benchmark": "sweep", "machine": common.machine({"jax_threads": "XLA default (all usable cores)"}),
              "load_before": load_before, "load_after": common.load(), "quick": args.quick, "steps": args.steps,
              "every": args.every, "iterations": args.iterations, "configs": args.configs, "repeats": args.repeats,
              "results": results}
    path = common.write(args.out, "bench_sweep.json", record)
    rows = [[f"{count} device(s)", r["single_steps_per_s"], r["sweep_config_steps_per_s"], r["sweep_over_single"],
             r["sweep_compile_s"], r["dynamics_sweep_calls_s"][-1], r["load"][0]] for count, r in results.items()]
    print(f"{args.configs}-config sweep, {args.steps} steps, {results[next(iter(results))]['params']} params")
    print(common.table(rows, ["devices", "single steps/s", "sweep config·steps/s", "ratio", "compile s",
                                    "dynamics.sweep call s", "load"]))
    print(f"load {load_before} -> {record['load_after']}; wrote {path}")
    return record


if __name__ == "__main__":
    main()
