"""Benchmark: the edge-of-stability job through ``dynamics``, by hand in JAX, and in PyTorch eager.

The job: full-batch GD (η = 0.1, 2000 steps) with MSE on a 64-200-200-10 tanh MLP (55k
parameters) on the first 1000 scikit-learn digits (standardised, one-hot targets), the sharpness
every 50 steps by 20 Lanczos HVPs warm-started from the previous top eigenvector (+1 HVP for the
residual), float32. Columns:

* ``library``: ``dynamics.gradient_descent`` + ``dynamics.plain_sgd`` +
  ``dynamics.top_hessian_eigenvalues``, jitted as a whole;
* ``jax_scan``: the same arithmetic written by hand as one ``lax.scan`` over flat parameters;
* ``torch``: PyTorch eager as its users write it: a Python loop, ``torch.optim.SGD``, double-backward
  HVPs, the same Lanczos iteration, ``torch.set_num_threads(cores)``; on CUDA when JAX runs on a
  GPU (``--torch-device``);
* ``library_f64``: the library job in float64.

Also measured in the same process: one GD step and one HVP, whose counts give the job's
arithmetic floor (``steps × step + HVPs × HVP``), and a change of η, of the heavy-ball β or of the
initial scale (none of the calls may retrace). Runs are interleaved, medians of ``--repeats``; the record
(``OUT/bench_eos.json``) holds the machine, thread counts and the load average.

    python scripts/bench_eos.py --out runs/bench          # ~2.5 min on 2 idle cores
    python scripts/bench_eos.py --quick --out /tmp/bench  # smoke test, seconds
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


COLUMNS = ("library", "jax_scan", "torch", "library_f64")


def library_job(loss, lr, *, steps, every, iterations, dtype):
    """``run(params0, key, lr, momentum)`` through the public API; ``lr`` and the heavy-ball
    ``momentum`` are data (no retrace); the job itself is plain GD (momentum 0)."""
    zero = np.asarray(0.0, dtype)  # keep the optimizer's injected hyperparameters in ``dtype``
    run = dynamics.gradient_descent(
        loss, dynamics.plain_sgd(np.asarray(lr, dtype), momentum=zero, weight_decay=zero),
        num_steps=steps, every=every,
        observers={"sharpness": dynamics.top_hessian_eigenvalues(loss, num_iterations=iterations)},
    )

    def job(params0, key, lr, momentum):
        traj = run(params0, key, {"learning_rate": lr, "momentum": momentum})
        return traj.observations["sharpness"]["eigenvalues"][:, 0], loss(traj.final_params)

    return job


def scan_job(loss, *, steps, every, iterations):
    """The same job written by hand: flat parameters, one ``lax.scan``, no checks."""

    def job(params0, key, lr, momentum):
        del momentum  # plain GD, written without a momentum buffer
        flat0, unravel = ravel_pytree(params0)
        grad = jax.grad(lambda z: loss(unravel(z)))
        n, m, dtype = flat0.size, iterations, flat0.dtype

        def sharpness(z, v):
            def hvp(u):
                return jax.jvp(grad, (z,), (u,))[1]

            def body(j, carry):
                q, alphas, betas = carry
                w = hvp(q[j])
                alpha = q[j] @ w
                w = w - q.T @ (q @ w)
                w = w - q.T @ (q @ w)
                beta = jnp.linalg.norm(w)
                return q.at[j + 1].set(w / beta), alphas.at[j].set(alpha), betas.at[j].set(beta)

            q = jnp.zeros((m + 1, n), dtype).at[0].set(v / jnp.linalg.norm(v))
            q, alphas, betas = jax.lax.fori_loop(0, m, body, (q, jnp.zeros(m, dtype), jnp.zeros(m, dtype)))
            values, vectors = jnp.linalg.eigh(jnp.diag(alphas) + jnp.diag(betas[:-1], 1) + jnp.diag(betas[:-1], -1))
            top = vectors[:, -1] @ q[:m]
            top = top / jnp.linalg.norm(top)
            residual = jnp.linalg.norm(hvp(top) - values[-1] * top)
            return values[-1], residual, top

        def block(carry, _):
            z, v = carry
            value, _, v = sharpness(z, v)
            z = jax.lax.fori_loop(0, every, lambda i, z: z - lr * grad(z), z)
            return (z, v), value

        (z, v), values = jax.lax.scan(block, (flat0, jax.random.normal(key, (n,), dtype)), length=steps // every)
        last, _, _ = sharpness(z, v)
        return jnp.append(values, last), loss(unravel(z))

    return job


def torch_job(params0, x, y, lr, *, steps, every, iterations, device="cpu"):
    """The job in PyTorch eager on ``device``; returns ``run() -> (sharpness list, final loss)``."""
    import torch

    layers = []
    for i, layer in enumerate(params0):
        w = np.asarray(layer["w"], np.float32)
        linear = torch.nn.Linear(*w.shape)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(w.T.copy()))
            linear.bias.copy_(torch.from_numpy(np.array(layer["b"], np.float32)))
        layers += [linear.to(device), torch.nn.Tanh()] if i < len(params0) - 1 else [linear.to(device)]
    initial = [p.detach().clone() for p in torch.nn.Sequential(*layers).parameters()]
    xt = torch.tensor(x, dtype=torch.float32, device=device)
    yt = torch.tensor(y, dtype=torch.float32, device=device)
    m, tiny = iterations, float(np.finfo(np.float32).eps) ** 0.75

    def run():
        model = torch.nn.Sequential(*layers)
        with torch.no_grad():
            for p, p0 in zip(model.parameters(), initial):
                p.copy_(p0)
        params = list(model.parameters())
        n = sum(p.numel() for p in params)

        def loss_fn():
            return 0.5 * ((model(xt) - yt) ** 2).sum(1).mean()

        def sharpness(v):
            grads = torch.autograd.grad(loss_fn(), params, create_graph=True)
            flat_grad = torch.cat([g.reshape(-1) for g in grads])

            def hvp(u):
                parts = torch.autograd.grad(flat_grad, params, grad_outputs=u, retain_graph=True)
                return torch.cat([h.reshape(-1) for h in parts])

            q = torch.zeros(m + 1, n, device=device)
            q[0] = v / v.norm()
            alphas, betas = torch.zeros(m, device=device), torch.zeros(m, device=device)
            for j in range(m):
                w = hvp(q[j])
                alphas[j] = q[j] @ w
                w = w - q.T @ (q @ w)
                w = w - q.T @ (q @ w)
                beta = w.norm()
                if beta <= tiny * max(abs(float(alphas[j])), 1.0):  # breakdown: random restart
                    w = torch.randn(n, device=device)
                    w = w - q.T @ (q @ w)
                    w = w - q.T @ (q @ w)
                    beta = torch.zeros(())
                q[j + 1] = w / w.norm()
                betas[j] = beta
            t = torch.diag(alphas) + torch.diag(betas[:-1], 1) + torch.diag(betas[:-1], -1)
            values, vectors = torch.linalg.eigh(t)
            top = vectors[:, -1] @ q[:m]
            top = top / top.norm()
            _ = (hvp(top) - values[-1] * top).norm()  # the residual, as the library reports it
            return float(values[-1]), top.detach()

        optimizer = torch.optim.SGD(params, lr=lr)
        v, values = torch.randn(n, device=device), []
        for step in range(steps):
            if step % every == 0:
                value, v = sharpness(v)
                values.append(value)
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn()
            loss.backward()
            optimizer.step()
        values.append(sharpness(v)[0])
        with torch.no_grad():
            return values, float(loss_fn())

    return run


def floor_pieces(loss, params0, lr, reps):
    """Jitted loops of ``reps`` GD steps and of ``reps`` HVPs (the HVP the observer uses)."""

    def steps(params):
        return jax.lax.fori_loop(0, reps, lambda i, p: jax.tree.map(lambda a, g: a - lr * g, p, jax.grad(loss)(p)), params)

    def hvps(params, v):
        hvp = dynamics.hessian_vector_product(loss, params)
        return jax.lax.fori_loop(0, reps, lambda i, v: (lambda w: w / jnp.linalg.norm(w))(hvp(v)), v)

    v = jnp.ones(common.num_params(params0), jax.tree.leaves(params0)[0].dtype)
    return common.compile_seconds(steps, params0)[0], common.compile_seconds(hvps, params0, v)[0], v


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--every", type=int, default=50)
    parser.add_argument("--iterations", type=int, default=20, help="Lanczos HVPs per sharpness estimate")
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--columns", nargs="+", default=list(COLUMNS), help=f"any of {COLUMNS} (library always runs)")
    parser.add_argument("--no-torch", action="store_true", help="drop the PyTorch column")
    parser.add_argument("--torch-device", choices=("auto", "cpu", "cuda"), default="auto",
                        help="PyTorch's device; auto: cuda when JAX runs on a GPU and PyTorch sees one")
    parser.add_argument("--quick", action="store_true", help="smoke test: tiny net, 100 steps, 1 repeat")
    parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path("runs/bench"))
    args = parser.parse_args(argv)
    columns = {"library", *args.columns} - ({"torch"} if args.no_torch else set())
    if columns - set(COLUMNS):
        parser.error(f"unknown columns {sorted(columns - set(COLUMNS))}; choose from {COLUMNS}")
    widths, samples = common.DIGITS_WIDTHS["55k"], 1000
    if args.quick:
        widths, samples, args.steps, args.every, args.iterations, args.repeats = (64, 16, 16, 10), 200, 100, 50, 5, 1
    if min(args.steps, args.every, args.iterations, args.repeats) < 1 or args.steps % args.every or args.lr <= 0:
        parser.error("--steps, --every, --iterations, --repeats must be positive, --every must divide --steps, --lr > 0")
    load_before = common.load()
    x, y = common.digits(samples, synthetic_fallback=args.quick)
    shape = dict(steps=args.steps, every=args.every, iterations=args.iterations)
    key, lr = jax.random.key(1), args.lr
    _, loss32, params32 = common.mse_problem(widths, x, y, jnp.float32)
    lr32, lr64 = np.float32(lr), np.float64(lr)
    warmup_s = common.warm_up()

    traces = {"count": 0}
    library = library_job(loss32, lr, dtype=np.float32, **shape)

    def counted(params0, key, lr, momentum):
        traces["count"] += 1
        return library(params0, key, lr, momentum)

    beta32 = np.float32(0.0)
    compiled, compile_s = {}, {}
    _, compile_s["library"] = common.compile_seconds(counted, params32, key, lr32, beta32)
    library_jit = jax.jit(counted)  # reuses the compilation above
    candidates = {"library": lambda: library_jit(params32, key, lr32, beta32)}
    if "jax_scan" in columns:
        compiled["jax_scan"], compile_s["jax_scan"] = common.compile_seconds(scan_job(loss32, **shape), params32, key,
                                                                              lr32, beta32)
        candidates["jax_scan"] = lambda: compiled["jax_scan"](params32, key, lr32, beta32)
    if "library_f64" in columns:
        with jax.enable_x64(True):  # float64 only for this column: x64 mode slows every compile
            _, loss64, params64 = common.mse_problem(widths, x, y, jnp.float64)  # the same initial point
            compiled["library_f64"], compile_s["library_f64"] = common.compile_seconds(
                library_job(loss64, lr, dtype=np.float64, **shape), params64, key, lr64, np.float64(0.0))

        def library_f64():
            with jax.enable_x64(True):
                return compiled["library_f64"](params64, key, lr64, np.float64(0.0))

        candidates["library_f64"] = library_f64
    threads = {"jax_threads": "XLA default (all usable cores)"}
    if "torch" in columns:
        try:
            import torch
        except ImportError:
            parser.error('PyTorch is not installed: pip install -e ".[bench]", or pass --no-torch')

        torch.set_num_threads(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count())
        device = args.torch_device
        if device == "auto":
            device = "cuda" if jax.default_backend() == "gpu" and torch.cuda.is_available() else "cpu"
        elif device == "cuda" and not torch.cuda.is_available():
            parser.error("--torch-device cuda: PyTorch sees no CUDA device; use --torch-device cpu")
        threads.update(torch=torch.__version__, torch_threads=torch.get_num_threads(), torch_device=device)
        candidates["torch"] = torch_job(params32, x, y, lr, device=device, **shape)
        compile_s["torch"] = 0.0
    reps = args.every
    step_fn, hvp_fn, v = floor_pieces(loss32, params32, lr32, reps)
    candidates["gd_step_x%d" % reps] = lambda: step_fn(params32)
    candidates["hvp_x%d" % reps] = lambda: hvp_fn(params32, v)

    outcomes = {name: fn() for name, fn in candidates.items()}  # warm-up, and the final numbers
    timings = common.interleaved(candidates, args.repeats)

    # a new learning rate, momentum or init scale: the calls must not retrace (or recompile)
    traces_before = traces["count"]
    new_lr_s = common.seconds(lambda: library_jit(params32, key, np.float32(lr / 2), beta32))
    retraced = {"learning_rate": traces["count"] != traces_before}
    for name, call in (("momentum", lambda: library_jit(params32, key, lr32, np.float32(0.5))),
                       ("init_scale", lambda: library_jit(jax.tree.map(lambda a: 1.1 * a, params32), key, lr32, beta32))):
        before = traces["count"]
        jax.block_until_ready(call())
        retraced[name] = traces["count"] != before
    records = args.steps // args.every + 1
    hvp_count = records * (args.iterations + 1)
    step_s = timings["gd_step_x%d" % reps]["median_s"] / reps
    hvp_s = timings["hvp_x%d" % reps]["median_s"] / reps
    floor_s = args.steps * step_s + hvp_count * hvp_s
    torch_s = timings.get("torch", {}).get("median_s")
    results = {}
    for name in COLUMNS:
        if name not in candidates:
            continue
        sharp, final_loss = outcomes[name]
        run_s = timings[name]["median_s"]
        results[name] = {
            "compile_s": compile_s[name], "run_s": run_s, "runs_s": timings[name]["runs_s"],
            "speedup_vs_torch": torch_s / run_s if torch_s else None,
            "run_over_floor": run_s / floor_s if name != "library_f64" else None,
            "final_sharpness": float(np.asarray(sharp)[-1]), "final_loss": float(final_loss),
            "max_sharpness": float(np.max(np.asarray(sharp))),
        }
    record = {
        "benchmark": "eos_job", "machine": common.machine(threads), "load_before": load_before,
        "load_after": common.load(), "quick": args.quick, "repeats": args.repeats,
        "first_compile_in_process_s": warmup_s,
        "job": {"widths": widths, "params": common.num_params(params32), "samples": samples, "lr": lr,
                "hvps": hvp_count, **shape},
        "results": results,
        "floor": {"gd_step_s": step_s, "hvp_s": hvp_s, "hvp_over_step": hvp_s / step_s, "floor_s": floor_s},
        "new_learning_rate": {"second_call_s": new_lr_s, "over_run": new_lr_s / results["library"]["run_s"],
                              "traces": traces["count"], "retraced": retraced["learning_rate"]},
        "retraced_for_new": retraced,
        "targets": {
            "speedup_vs_torch>=2": None if torch_s is None else results["library"]["speedup_vs_torch"] >= 2,
            "compile<=2x_jax_scan": (None if "jax_scan" not in results
                                     else results["library"]["compile_s"] <= 2 * results["jax_scan"]["compile_s"]),
            "no_retrace_for_new_lr_momentum_init_scale": not any(retraced.values()),
            "run<=1.1*floor": results["library"]["run_over_floor"] <= 1.1,
        },
    }
    path = common.write(args.out, "bench_eos.json", record)
    rows = [[name, r["compile_s"], r["run_s"], r["speedup_vs_torch"] or "-", r["run_over_floor"] or "-",
             r["final_sharpness"], r["final_loss"]] for name, r in results.items()]
    print(f"EoS job: {record['job']['params']} params, {args.steps} steps, {hvp_count} HVPs, 2/lr = {2 / lr:.4g}")
    print(common.table(rows, ["column", "compile s", "run s", "x torch", "run/floor", "sharpness", "loss"]))
    print(f"floor: step {step_s * 1e3:.3f} ms, HVP {hvp_s * 1e3:.3f} ms ({hvp_s / step_s:.2f} steps), "
          f"floor {floor_s:.3f} s; new lr: {new_lr_s:.3f} s, traces {traces['count']}, retraced {retraced}")
    print(f"targets {record['targets']}; load {load_before} -> {record['load_after']}; wrote {path}")
    return record


if __name__ == "__main__":
    main()
