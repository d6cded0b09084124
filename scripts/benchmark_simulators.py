"""Benchmark: throughput of the simulators and observers on the foundation checks' problems.

Times (after compilation, best of ``--repeats``):
* GD steps per second on Cohen et al.'s regression net, without observers and with the
  warm-started Lanczos sharpness observer recorded every ``--every`` steps;
* one Lanczos sharpness estimate (20 HVPs) and one HVP;
* one gradient-flow solve of the diagonal linear network to residual 1e-9 (Kvaerno5), D = 2, 3;
* a ``vmap`` over learning rates (runs per second), sharded over every device.

Writes ``OUT/benchmark.json`` with the device list and every timing. CPU by default; on a GPU
machine install the ``cuda`` extra and run the same command.

    python scripts/benchmark_simulators.py --out runs/benchmark
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
import models  # noqa: E402
from theorycheck import get_check, make_config  # noqa: E402


def best_time(fn, repeats):
    jax.block_until_ready(fn())  # compile
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(fn())
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--every", type=int, default=100)
    parser.add_argument("--sweep", type=int, default=16, help="learning rates in the vmap benchmark")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path("runs/benchmark"))
    args = parser.parse_args(argv)
    if args.steps < 1 or args.every < 1 or args.steps % args.every or args.sweep < 1 or args.repeats < 1:
        parser.error("--steps, --every, --sweep, --repeats must be positive and --every must divide --steps")
    x, y = models.chebyshev_regression(5, 20)
    net = models.cohen21_regression_net(100)

    def loss(p):
        return 0.5 * jnp.mean((net.apply(p, x) - y) ** 2)

    params0 = net.init(jax.random.key(0))
    key = jax.random.key(1)
    sharpness = dynamics.top_hessian_eigenvalues(loss, num_iterations=20)
    timings = {}

    plain = jax.jit(dynamics.gradient_descent(loss, dynamics.plain_sgd(0.1), num_steps=args.steps))
    timings["gd_steps_per_s"] = args.steps / best_time(lambda: plain(params0, key), args.repeats)
    observed = jax.jit(dynamics.gradient_descent(loss, dynamics.plain_sgd(0.1), num_steps=args.steps,
                                                 every=args.every, observers={"s": sharpness}))
    timings["gd_with_sharpness_steps_per_s"] = args.steps / best_time(lambda: observed(params0, key), args.repeats)
    state = sharpness.init(params0, key)
    estimate = jax.jit(lambda p: sharpness.observe(p, state, key)[0])
    timings["lanczos_20_hvp_seconds"] = best_time(lambda: estimate(params0), args.repeats)
    hvp = jax.jit(lambda p, v: dynamics.hessian_vector_product(loss, p)(v))
    vector = jnp.ones(sum(leaf.size for leaf in jax.tree.leaves(params0)))
    timings["hvp_seconds"] = best_time(lambda: hvp(params0, vector), args.repeats)

    check = get_check("kernel_rich")
    for depth in (2, 3):
        config = make_config(check, {"depth": depth, "alpha": 0.3, "figure_sweep": False})
        timings[f"diagonal_flow_D{depth}_alpha0.3_check_seconds"] = best_time(
            lambda: check.run(config, key), args.repeats)  # the flow plus the dual solve

    lrs = jnp.asarray(np.geomspace(0.02, 0.2, args.sweep))
    sweep_run = dynamics.gradient_descent(loss, dynamics.plain_sgd(0.1), num_steps=args.steps)

    def one(lr):
        return sweep_run(params0, key, {"learning_rate": lr}).losses[-1]

    seconds = best_time(lambda: dynamics.sweep(one, (lrs,), in_axes=(0,)), args.repeats)
    timings["lr_sweep_runs_per_s"] = args.sweep / seconds
    record = {"devices": [str(d) for d in jax.devices()], "steps": args.steps, "every": args.every,
              "sweep": args.sweep, "timings": timings}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "benchmark.json").write_text(json.dumps(record, indent=2))
    for name, value in timings.items():
        print(f"{name:40s} {value:.4g}")
    print(f"devices: {record['devices']}; wrote {args.out / 'benchmark.json'}")


if __name__ == "__main__":
    main()
