"""Benchmark: HVP/gradient cost, and sharpness accuracy against the HVP budget at the edge of stability.

For three tanh MLPs on the first 1000 scikit-learn digits (MSE, 6k, 55k and 543k parameters):

1. **Cost**: one HVP (``dynamics.hessian_vector_product``, forward-over-reverse) against one GD
   step (a gradient and the update), float32, each a jitted loop of ``--reps`` calls, interleaved,
   medians of ``--repeats``.
2. **Accuracy**: full-batch GD (float32) until the sharpness sits at 2/η with its top eigenvalues
   bunched, then ``--chain`` more records ``--every`` steps apart in float64. The top eigenvalue by
   Lanczos with 10/20/40 HVPs, warm-started along the records exactly as
   ``dynamics.top_hessian_eigenvalues`` does (each record starts from the previous record's top Ritz
   vector) or cold (a random start), against the reference: dense ``eigvalsh`` of the full Hessian
   (up to ``--dense-max`` parameters) or ARPACK ``scipy.sparse.linalg.eigsh`` at tol 1e-12 on the
   same float64 HVP.

Writes ``OUT/bench_hessian.json`` (machine, threads, load average).

    python scripts/bench_hessian.py --out runs/bench
    python scripts/bench_hessian.py --quick --out /tmp/bench
"""

import argparse
import os
import pathlib
import sys

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_common as common  # noqa: E402

from theorycheck import dynamics  # noqa: E402

# name: (widths, learning rate, GD steps to reach the edge of stability)
SIZES = {
    "6k": (common.DIGITS_WIDTHS["5k"], 0.3, 2000),
    "55k": (common.DIGITS_WIDTHS["55k"], 0.1, 2000),
    "543k": (common.DIGITS_WIDTHS["500k"], 0.1, 500),
}
QUICK_SIZES = {"tiny": ((64, 8, 8, 10), 0.5, 200)}


def cost(loss, params, reps, repeats):
    """Median seconds of one GD step and of one HVP (float32), interleaved."""

    def steps(params):
        def step(i, p):
            return jax.tree.map(lambda a, g: a - 0.01 * g, p, jax.grad(loss)(p))

        return jax.lax.fori_loop(0, reps, step, params)

    def hvps(params, v):
        hvp = dynamics.hessian_vector_product(loss, params)
        return jax.lax.fori_loop(0, reps, lambda i, v: (lambda w: w / jnp.linalg.norm(w))(hvp(v)), v)

    v = jnp.ones(common.num_params(params), jnp.float32)
    step_fn = common.compile_seconds(steps, params)[0]
    hvp_fn = common.compile_seconds(hvps, params, v)[0]
    timing = common.interleaved({"step": lambda: step_fn(params), "hvp": lambda: hvp_fn(params, v)}, repeats)
    step_s, hvp_s = timing["step"]["median_s"] / reps, timing["hvp"]["median_s"] / reps
    return {"gd_step_s": step_s, "hvp_s": hvp_s, "hvp_over_step": hvp_s / step_s}


def snapshots(loss, params0, lr, steps, every, chain):
    """Float32 GD for ``steps`` steps, then the parameters at ``chain + 1`` records ``every`` apart."""
    run = dynamics.gradient_descent(loss, dynamics.plain_sgd(lr), num_steps=steps)
    params = jax.jit(run)(params0, jax.random.key(1)).final_params
    record = dynamics.gradient_descent(loss, dynamics.plain_sgd(lr), num_steps=every * chain, every=every,
                                       observers={"params": dynamics.stateless(lambda p, key: p)})
    traj = jax.jit(record)(params, jax.random.key(2))
    return [jax.tree.map(lambda a, i=i: a[i], traj.observations["params"]) for i in range(chain + 1)], bool(traj.diverged)


def reference_eigenvalues(hvp, n, dense_max, count=3):
    """The top ``count`` eigenvalues: dense ``eigvalsh`` for small ``n``, else ARPACK at tol 1e-12."""
    if n <= dense_max:
        hessian = np.asarray(jax.jit(jax.vmap(hvp))(jnp.eye(n)))
        return np.linalg.eigvalsh(0.5 * (hessian + hessian.T))[::-1][:count], "eigvalsh"
    from scipy.sparse.linalg import LinearOperator, eigsh

    matvec = jax.jit(hvp)
    operator = LinearOperator((n, n), matvec=lambda v: np.asarray(matvec(jnp.asarray(v.ravel()))), dtype=np.float64)
    values = eigsh(operator, k=count, which="LA", tol=1e-12, ncv=max(4 * count, 20),
                   v0=np.random.default_rng(0).standard_normal(n), return_eigenvectors=False)
    return np.sort(values)[::-1], "eigsh(tol=1e-12)"


def accuracy(loss64, snaps, budgets, dense_max):
    """Relative error of warm and cold Lanczos at the last snapshot, for each HVP budget."""
    final = snaps[-1]
    n = common.num_params(final)
    reference, method = reference_eigenvalues(dynamics.hessian_vector_product(loss64, final), n, dense_max)

    def top(params, start, key, m):
        pairs = dynamics.lanczos_top_eigenpairs(dynamics.hessian_vector_product(loss64, params), start, key,
                                                num_iterations=m)
        return pairs.eigenvalues[0], pairs.eigenvectors[0], pairs.residuals[0]

    errors = {}
    key = jax.random.key(3)
    for m in budgets:
        lanczos = jax.jit(lambda p, s, k, m=m: top(p, s, k, m))
        start = jax.random.normal(key, (n,), jnp.float64)
        cold, _, cold_residual = lanczos(final, start, key)
        for params in snaps:  # the observer's warm start, record after record
            warm, start, warm_residual = lanczos(params, start, key)
        errors[m] = {"warm": float(abs(warm - reference[0]) / reference[0]),
                     "cold": float(abs(cold - reference[0]) / reference[0]),
                     "warm_residual": float(warm_residual), "cold_residual": float(cold_residual)}
    return {"reference": [float(v) for v in reference], "reference_method": method, "relative_error": errors}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=int, default=50, help="steps between sharpness records")
    parser.add_argument("--chain", type=int, default=4, help="warm-started records before the compared one")
    parser.add_argument("--budgets", type=int, nargs="+", default=[10, 20, 40], help="Lanczos HVPs")
    parser.add_argument("--dense-max", type=int, default=3000, help="largest n for dense eigvalsh")
    parser.add_argument("--reps", type=int, default=20, help="calls per timed loop")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="smoke test: a tiny net, 200 samples")
    parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path("runs/bench"))
    args = parser.parse_args(argv)
    sizes, samples = SIZES, 1000
    if args.quick:
        sizes, samples, args.budgets, args.chain, args.repeats, args.reps = QUICK_SIZES, 200, [5, 10], 2, 1, 5
    if min(args.every, args.chain, args.reps, args.repeats, *args.budgets) < 1:
        parser.error("--every, --chain, --reps, --repeats and --budgets must be positive")
    load_before = common.load()
    common.warm_up()
    x, y = common.digits(samples, synthetic_fallback=args.quick)
    results = {}
    for name, (widths, lr, steps) in sizes.items():
        _, loss32, params32 = common.mse_problem(widths, x, y, jnp.float32)
        entry = {"widths": widths, "params": common.num_params(params32), "lr": lr, "eos_threshold": 2 / lr,
                 "steps": steps, **cost(loss32, params32, args.reps, args.repeats)}
        snaps32, diverged = snapshots(loss32, params32, lr, steps, args.every, args.chain)
        with jax.enable_x64(True):
            _, loss64, _ = common.mse_problem(widths, x, y, jnp.float64)
            snaps = [jax.tree.map(lambda a: a.astype(jnp.float64), p) for p in snaps32]
            entry.update(diverged=diverged, **accuracy(loss64, snaps, args.budgets, args.dense_max))
        results[name] = entry
        print(f"{name}: {entry['params']} params done; load {common.load()}", flush=True)
    warm20 = [r["relative_error"][20]["warm"] for r in results.values() if 20 in r["relative_error"]]
    record = {
        "benchmark": "hessian", "machine": common.machine({"jax_threads": "XLA default (all usable cores)"}),
        "load_before": load_before, "load_after": common.load(), "quick": args.quick, "samples": samples,
        "every": args.every, "chain": args.chain, "repeats": args.repeats, "results": results,
        "targets": {"hvp_over_step<=2": all(r["hvp_over_step"] <= 2 for r in results.values()),
                    "warm20<=1e-6": all(e <= 1e-6 for e in warm20) if warm20 else None},
    }
    path = common.write(args.out, "bench_hessian.json", record)
    rows = [[name, r["params"], r["gd_step_s"] * 1e3, r["hvp_s"] * 1e3, r["hvp_over_step"]] for name, r in results.items()]
    print(common.table(rows, ["model", "params", "GD step ms", "HVP ms", "HVP/step"]))
    rows = []
    for name, r in results.items():
        top3 = " ".join(f"{v:.5g}" for v in r["reference"])
        errors = [f"{r['relative_error'][m][kind]:.1e}" for kind in ("warm", "cold") for m in args.budgets]
        rows.append([name, f"{r['eos_threshold']:.4g}", top3, r["reference_method"], *errors])
    headers = ["model", "2/lr", "top-3 eigenvalues", "reference"]
    headers += [f"{kind} {m}" for kind in ("warm", "cold") for m in args.budgets]
    print(common.table(rows, headers))
    print(f"targets {record['targets']}; load {load_before} -> {record['load_after']}; wrote {path}")
    return record


if __name__ == "__main__":
    main()
