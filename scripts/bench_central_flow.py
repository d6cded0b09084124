"""Benchmark: the central flow's cost in GD steps, against the parameter count, and the
preconditioned-sharpness observer's cost against the raw one.

Central flow: :func:`dynamics.central_flow` (Euler dt = ¼ step, ``num_eigs = 2``, 10 warm-started
Lanczos HVPs per sub-step, the SDCP for k = 2) against :func:`dynamics.gradient_descent` on the
same loss for the same number of GD steps, on a one-hidden-layer tanh net on 20 Chebyshev points
(Cohen et al.'s ``regression`` task) at several widths; the ratio is "GD steps per central-flow
step", the unit issue 15 asks for. Observer: Adam on the 5k-parameter digits MLP, ``every = 10``,
with :func:`dynamics.top_preconditioned_hessian_eigenvalues` (Adam's √ν̂ + ε) against
:func:`dynamics.top_hessian_eigenvalues` (20 HVPs each). float64 for the central flow (as the check
runs it), float32 for the observer. Medians of interleaved repeats; the record holds the machine
and load.

    python scripts/bench_central_flow.py --out runs/bench          # ~1-2 min on 2 idle cores
    python scripts/bench_central_flow.py --quick --out /tmp/bench  # smoke test
"""

import argparse
import os
import pathlib
import sys

import jax
import jax.numpy as jnp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_common as common  # noqa: E402

from theorycheck import dynamics, models  # noqa: E402


def central_flow_costs(widths, steps, repeats):
    """Seconds per GD step and per central-flow step (and their ratio) at each width, float64."""
    rows = []
    with jax.enable_x64(True):
        x, y = models.chebyshev_regression(5, 20)
        for width in widths:
            net = models.cohen21_regression_net(width)

            def loss(params, net=net):
                return 0.5 * jnp.mean((net.apply(params, x) - y) ** 2)

            params0 = net.init(jax.random.key(0))
            lr = jnp.asarray(0.1)
            gd = dynamics.gradient_descent(loss, dynamics.plain_sgd(0.1), num_steps=steps, every=steps)
            cf = dynamics.central_flow(loss, num_steps=steps, every=steps, num_eigs=2)
            gd_run = jax.jit(lambda p, k, lr, gd=gd: gd(p, k, {"learning_rate": lr}).final_params)
            cf_run = jax.jit(lambda p, k, lr, cf=cf: cf(p, k, lr).losses)
            key = jax.random.key(1)
            candidates = {"gd": lambda: gd_run(params0, key, lr), "central_flow": lambda: cf_run(params0, key, lr)}
            for fn in candidates.values():
                jax.block_until_ready(fn())
            timings = common.interleaved(candidates, repeats)
            gd_s, cf_s = (timings[name]["median_s"] / steps for name in ("gd", "central_flow"))
            rows.append({"width": width, "params": common.num_params(params0), "gd_step_s": gd_s,
                         "central_flow_step_s": cf_s, "gd_steps_per_central_flow_step": cf_s / gd_s})
    return rows


def observer_costs(steps, every, repeats, quick):
    """Seconds of an Adam run with the raw and with the preconditioned sharpness observer."""
    x, y = common.digits(200 if quick else 1000, synthetic_fallback=quick)
    _, loss, params0 = common.mse_problem(common.DIGITS_WIDTHS["5k"], x, y, jnp.float32)
    observers = {
        "raw": dynamics.top_hessian_eigenvalues(loss, num_iterations=20),
        "preconditioned": dynamics.top_preconditioned_hessian_eigenvalues(
            loss, dynamics.adam_preconditioner(), num_iterations=20),
    }
    runs = {}
    for name, observer in observers.items():
        run = dynamics.gradient_descent(loss, dynamics.adam(1e-3), num_steps=steps, every=every,
                                        observers={"sharpness": observer})
        runs[name] = jax.jit(lambda p, k, run=run: run(p, k).observations["sharpness"]["eigenvalues"])
    key = jax.random.key(2)
    candidates = {name: (lambda fn=fn: fn(params0, key)) for name, fn in runs.items()}
    for fn in candidates.values():
        jax.block_until_ready(fn())
    timings = common.interleaved(candidates, repeats)
    return {"params": common.num_params(params0), "steps": steps, "every": every,
            **{f"{name}_s": t["median_s"] for name, t in timings.items()},
            "preconditioned_over_raw": timings["preconditioned"]["median_s"] / timings["raw"]["median_s"]}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="smoke test: small widths, few steps, one repeat")
    parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path("runs/bench"))
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be >= 1")
    widths, steps, obs_steps = ((25, 50), 40, 40) if args.quick else ((50, 100, 200, 400), 400, 1000)
    repeats = 1 if args.quick else args.repeats
    load_before = common.load()
    common.warm_up()
    flow_rows = central_flow_costs(widths, steps, repeats)
    observer = observer_costs(obs_steps, 10, repeats, args.quick)
    record = {"benchmark": "central_flow", "machine": common.machine(), "load_before": load_before,
              "load_after": common.load(), "quick": args.quick, "repeats": repeats,
              "central_flow": flow_rows, "preconditioned_observer": observer}
    path = common.write(args.out, "bench_central_flow.json", record)
    print(common.table([[r["width"], r["params"], r["gd_step_s"] * 1e3, r["central_flow_step_s"] * 1e3,
                         r["gd_steps_per_central_flow_step"]] for r in flow_rows],
                       ["width", "params", "GD step ms", "CF step ms", "GD steps per CF step"]))
    print(f"Adam, {observer['params']} params, {obs_steps} steps, sharpness every 10: raw {observer['raw_s']:.3f} s, "
          f"preconditioned {observer['preconditioned_s']:.3f} s ({observer['preconditioned_over_raw']:.2f}x)")
    print(f"load {load_before} -> {record['load_after']}; wrote {path}")
    return record


if __name__ == "__main__":
    main()
