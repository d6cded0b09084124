"""All benchmarks: the EoS job against PyTorch, HVP cost and sharpness accuracy, sweep scaling.

Runs ``bench_eos.py`` (the edge-of-stability job: library, hand-written JAX scan, PyTorch eager,
float64; compile time; no retrace for a new η, β or initial scale), ``bench_central_flow.py`` (the
central flow's step in GD steps against the parameter count; the preconditioned sharpness
observer against the raw one), ``bench_hessian.py`` (HVP/gradient
cost, sharpness accuracy against the HVP budget) and ``bench_sweep.py`` (one run against an
8-configuration sweep on 1 and 4 devices), each writing ``OUT/bench_<name>.json`` with the machine,
thread counts and load average. CPU by default; on a GPU machine (``pip install -e ".[cuda]"``)
the same command runs there. About 5 minutes on 2 idle cores; ``--quick`` is a smoke test.

    pip install -e ".[bench]"      # PyTorch (CPU wheel) and scikit-learn
    python scripts/bench_suite.py --out runs/bench
    python scripts/bench_suite.py --quick --out /tmp/bench
"""

import argparse
import os
import pathlib
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_central_flow  # noqa: E402
import bench_eos  # noqa: E402
import bench_hessian  # noqa: E402
import bench_sweep  # noqa: E402

BENCHMARKS = {"eos": bench_eos, "central_flow": bench_central_flow, "hessian": bench_hessian, "sweep": bench_sweep}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"which benchmarks (default all): {', '.join(BENCHMARKS)}")
    parser.add_argument("--quick", action="store_true", help="smoke test: tiny sizes, one repeat")
    parser.add_argument("--no-torch", action="store_true", help="skip the PyTorch column of the EoS job")
    parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path("runs/bench"))
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; choose from {list(BENCHMARKS)}")
    common = ["--out", str(args.out)] + (["--quick"] if args.quick else [])
    records = {}
    for name in args.names or list(BENCHMARKS):
        print(f"== {name}", flush=True)
        extra = ["--no-torch"] if name == "eos" and args.no_torch else []
        records[name] = BENCHMARKS[name].main(common + extra)
    return records


if __name__ == "__main__":
    main()
