"""The ``theorycheck`` command line: ``list``, ``show NAME``, ``run [NAME ...]``, ``sweep NAME`` and
``falsify NAME``.

Exit codes: 0 every check passed, 1 a check failed, 3 none failed but some were inconclusive,
2 bad input (unknown check or config key, a malformed ``--set``, a value of the wrong type or out
of range, a bad seed, an ``--out`` that is a file or not writable, argparse usage errors), always
before any check runs.
"""

import argparse
import datetime
import inspect
import os
import shlex
import sys

import jax

from theorycheck import dynamics
from collections.abc import Mapping, Sequence
from typing import Any

from ._check import FAIL, INCONCLUSIVE, as_jsonable, describe_fields
from ._registry import IMPORT_ENV, discover, load_errors, origin_of, registry
from ._runner import ConfigError, _run

EXIT_PASSED, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_INCONCLUSIVE = 0, 1, 2, 3

PROG = "theorycheck"


def _error(message: str) -> int:
    print(f"{PROG}: error: {' '.join(str(message).split())}", file=sys.stderr)
    return EXIT_BAD_INPUT


def exit_code(outcomes: Sequence[str]) -> int:
    """0 all passed, 1 any failed, 3 none failed but some were inconclusive."""
    if FAIL in outcomes:
        return EXIT_FAILED
    return EXIT_INCONCLUSIVE if INCONCLUSIVE in outcomes else EXIT_PASSED


def _parse_sets(items: Sequence[str]) -> dict[str, str]:
    overrides = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"malformed --set {item!r}: expected KEY=VALUE")
        overrides[key.strip()] = value
    return overrides


def _number(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _details(details: Mapping[str, Any]) -> str:
    def fmt(value):
        if isinstance(value, float):
            return f"{value:.4g}"
        if isinstance(value, list):
            return "[" + ", ".join(fmt(v) for v in value) + "]"
        return str(value)

    return ", ".join(f"{k}={fmt(v)}" for k, v in as_jsonable(dict(details)).items())


def _control_line(name: str, overrides: Mapping[str, Any]) -> str:
    """``theorycheck run NAME --set K=V ...``: the command line that reproduces ``overrides``."""
    from .testing import _text

    sets = " ".join(f"--set {shlex.quote(f'{k}={_text(v)}')}" for k, v in overrides.items())
    return f"{PROG} run {name} {sets}".rstrip()


def _cmd_list(args) -> int:
    checks = registry()
    if not checks:
        print("(no checks registered)")
        return 0
    origins = {name: _short_origin(origin_of(name)) for name in checks}
    width, origin_width = max(map(len, checks)), max(map(len, origins.values()))
    for name, check in checks.items():
        print(f"{name.ljust(width)}  {origins[name].ljust(origin_width)}  {check.statement}")
    return 0


def _short_origin(origin: str) -> str:
    """``built-in``, ``plugin DIST`` (an entry point), ``file NAME.py`` or ``module NAME``."""
    kind, _, what = origin.partition(" ")
    if kind == "entry":  # "entry point NAME = VALUE (DIST VERSION)"
        dist = what.rpartition("(")[2].rstrip(")")
        return f"plugin {dist}" if "(" in what else f"plugin {what.split()[1]}"
    if kind == "file":
        return f"file {os.path.basename(what)}"
    return origin


def _report_load_errors() -> bool:
    """Prints every plugin that failed to load, with its origin; True when there were any."""
    errors = load_errors(reported=True)
    for error in errors:
        print(f"{PROG}: error: check plugin {error.origin} failed to load: {error.message}", file=sys.stderr)
    return bool(errors)


def _cmd_show(args) -> int:
    checks = registry()
    if args.name not in checks:
        return _error(f"unknown check {args.name!r}; valid checks: {', '.join(checks) or '(none registered)'}")
    check = checks[args.name]
    print(check.name)
    print(f"  statement: {check.statement}")
    print(f"  source:    {check.source}")
    print(f"  from:      {origin_of(check.name)}")
    print(f"  float64:   {'required (scoped to this check)' if check.needs_x64 else 'not required'}")
    if check.data_keys:
        batch = "vmap" if check.batching == "vmap" else "lax.map (event-stopped solves)"
        print(f"  data keys: {', '.join(check.data_keys)} (traced: a sweep over them is one jitted {batch})")
    if check.figure_keys:
        print(f"  figure-only keys: {', '.join(check.figure_keys)} (off under --no-plots)")
    print("\nconfig (override with --set KEY=VALUE):")
    rows = [
        [f["name"], f["type"], repr(f["default"]), f["admissible"], f["help"] or ""]
        for f in describe_fields(check)
    ]
    print(_indent(_table(rows, ["key", "type", "default", "admissible", "help"])))
    print("\nnegative controls (a hypothesis is violated; each must FAIL, exit 1):")
    if not check.negative_controls:
        print("  (none)")
    for overrides in check.negative_controls:
        print(f"  {_control_line(check.name, overrides)}")
    explanation = _check_docstring(check)
    if explanation:
        print("\nthe check (its docstring: statement, setup, derived tolerance, negative control):")
        print(_indent(explanation))
    return 0


def _check_docstring(check) -> str:
    """The check's ``doc``, else the docstring of the module that defines it (where its config
    dataclass lives)."""
    if check.doc:
        return inspect.cleandoc(check.doc)
    module = sys.modules.get(check.config_type.__module__)
    return inspect.cleandoc(module.__doc__) if module is not None and module.__doc__ else ""


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def _cmd_run(args) -> int:
    try:
        overrides = _parse_sets(args.set)
        out = args.out or os.path.join("runs", datetime.datetime.now().strftime("%Y%m%d-%H%M%S"))
        with dynamics.progress_bars(sys.stderr.isatty()):  # a bar inside long simulations
            outcomes = _run(args.names or None, overrides, args.seed, out, plots=not args.no_plots,
                            max_seconds=args.max_seconds, argv=[PROG, *sys.argv[1:]])
    except ConfigError as error:
        return _error(str(error))
    header = ["check", "verdict", "predicted", "measured", "error", "tolerance", "seconds"]
    rows = [
        [
            o.record["name"],
            o.record["outcome"].upper(),
            *(_number(o.record[k]) for k in ("predicted", "measured", "error", "tolerance")),
            f"{o.record['seconds']:.1f}",
        ]
        for o in outcomes
    ]
    print(_table(rows, header))
    print()
    for o in outcomes:
        print(f"{o.record['name']}: {o.record['outcome'].upper()}: {o.record['reason']}")
        if o.result.details:
            print(f"  {_details(o.result.details)}")
    counts = {k: sum(o.record["outcome"] == k for o in outcomes) for k in ("pass", FAIL, INCONCLUSIVE)}
    print(f"\n{counts['pass']}/{len(outcomes)} passed, {counts[FAIL]} failed, {counts[INCONCLUSIVE]} "
          f"inconclusive; results: {os.path.join(out, 'results.json')}")
    return exit_code([o.record["outcome"] for o in outcomes])


def _seed_list(args) -> list[int]:
    if args.seed_list is not None:
        try:
            return [int(v) for v in args.seed_list.split(",")]
        except ValueError:
            raise ConfigError(f"--seed-list expects comma-separated integers, got {args.seed_list!r}") from None
    if args.seeds < 1:
        raise ConfigError(f"--seeds must be >= 1, got {args.seeds}")
    return list(range(args.seeds))


def _initialize_distributed(args) -> None:
    """``jax.distributed.initialize`` from the flags, or from a cluster's environment."""
    flags = (args.coordinator, args.num_processes, args.process_id)
    if any(v is not None for v in flags):
        if any(v is None for v in flags):
            raise ConfigError("--coordinator, --num-processes and --process-id go together")
        jax.config.update("jax_cpu_collectives_implementation", "gloo")  # CPU processes: gloo
        jax.distributed.initialize(coordinator_address=args.coordinator, num_processes=args.num_processes,
                                   process_id=args.process_id)
    elif os.environ.get("JAX_COORDINATOR_ADDRESS") or int(os.environ.get("SLURM_NTASKS", "1")) > 1:
        jax.distributed.initialize()  # SLURM, Open MPI, TPU pods: detected by JAX


def _cmd_sweep(args) -> int:
    from ._sweep import parse_grid, plan_sweep, run_sweep, tidy

    try:
        overrides = _parse_sets(args.set)
        plan = plan_sweep(args.name, parse_grid(args.grid), _seed_list(args), overrides)
        out = args.out or os.path.join("runs", f"sweep-{args.name}-"
                                       + datetime.datetime.now().strftime("%Y%m%d-%H%M%S"))
        _initialize_distributed(args)
        rows, computed = run_sweep(plan, out, resume=args.resume, plots=not args.no_plots,
                                   argv=[PROG, *sys.argv[1:]])
    except ConfigError as error:
        return _error(str(error))
    if jax.process_index() != 0:
        return exit_code([r["outcome"] for r in rows])
    flat = tidy(plan, rows)
    keys = list(plan.grid)
    header = [*keys, "seed", "verdict", "error", "tolerance", "s/point"]
    shown = flat if len(flat) <= 60 else [r for r in flat if r["outcome"] != "pass"]
    table = [[*(_number(r[k]) for k in keys), str(r["seed"]), r["outcome"].upper(), _number(r["error"]),
              _number(r["tolerance"]), f"{r['seconds_amortised']:.2f}"] for r in shown]
    if table:
        print(_table(table, header))
    if len(flat) > 60:
        print(f"({len(flat) - len(shown)} passing rows not shown; all rows are in results.csv)")
    not_passed = [r for r in flat if r["outcome"] != "pass"]
    for r in not_passed[:20]:
        where = ", ".join(f"{k}={_number(r[k])}" for k in keys)
        print(f"{where}, seed={r['seed']}: {r['outcome'].upper()}: {r['reason']}")
    counts = {k: sum(r["outcome"] == k for r in flat) for k in ("pass", FAIL, INCONCLUSIVE)}
    print(f"\n{counts['pass']}/{len(flat)} passed, {counts[FAIL]} failed, {counts[INCONCLUSIVE]} inconclusive; "
          f"{computed} computed now; results: {os.path.join(out, 'results.csv')}")
    return exit_code([r["outcome"] for r in flat])


def _cmd_falsify(args) -> int:
    from ._falsify import DEFAULT_BUDGET, command_line, falsify, parse_ranges, summary
    from ._registry import get_check

    try:
        try:
            check = get_check(args.name)
        except ValueError as error:
            raise ConfigError(str(error)) from None
        search = falsify(check, budget=args.budget if args.budget is not None else DEFAULT_BUDGET,
                         seed=args.seed, fixed=_parse_sets(args.set), ranges=parse_ranges(check, args.range),
                         quick=args.quick, max_seconds=args.max_seconds, out_dir=args.out,
                         progress=(lambda m: print(f"  {m}", file=sys.stderr)) if sys.stderr.isatty() else None)
    except ConfigError as error:
        return _error(str(error))
    report = summary(search)
    held = ", ".join(report["held_at_default"])
    print(f"{check.name}: {report['configs']} configs: {report['pass']} passed, {report['fail']} failed, "
          f"{report['inconclusive']} inconclusive" + (f"; {search.stopped}" if search.stopped else "")
          + (f" (held at their defaults, the negative controls' keys: {held}; free one with --range KEY)"
             if held else ""))
    if search.counterexample is None:
        print(f"no counterexample in {report['configs']} configs ({report['inconclusive']} inconclusive)")
        return EXIT_PASSED
    print(f"\ncounterexample (shrunk in {len(search.shrink_path) - 1} steps):")
    for step, trial in enumerate(search.shrink_path):
        print(f"  {step}: {trial.overrides or '(defaults)'} seed {trial.seed}: {trial.record['reason']}")
    print(f"\nminimal: {command_line(check, search.counterexample)}")
    print(f"  FAIL: {search.counterexample.record['reason']}")
    if args.out:
        print(f"records: {os.path.join(args.out, 'falsify.json')}")
    return EXIT_FAILED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Executable theorems about neural-network training, in JAX.",
        epilog="exit codes: 0 all checks passed, 1 a check failed, 3 none failed but some were "
        "inconclusive, 2 bad input",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    plugins = argparse.ArgumentParser(add_help=False)
    plugins.add_argument("--import", dest="imports", action="append", default=[], metavar="MODULE_OR_FILE",
                         help="import a module or a .py file that registers checks first (repeatable; "
                              f"also ${IMPORT_ENV}, {os.pathsep}-separated)")

    listing = commands.add_parser("list", parents=[plugins], help="one line per check: name, origin, statement")
    listing.set_defaults(handler=_cmd_list)

    show = commands.add_parser(
        "show", parents=[plugins], help="a check's statement, source, config keys and negative controls"
    )
    show.add_argument("name", metavar="NAME")
    show.set_defaults(handler=_cmd_show)

    run = commands.add_parser("run", parents=[plugins], help="run checks (all of them if no NAME is given)")
    run.add_argument("names", nargs="*", metavar="NAME", help="checks to run (default: all)")
    run.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="config override, applied to every selected check that has KEY (repeatable)",
    )
    run.add_argument("--seed", type=int, default=0, help="PRNG seed in [0, 2**32-1] (default 0)")
    run.add_argument("--out", metavar="DIR", help="output directory (default runs/<YYYYmmdd-HHMMSS>/)")
    run.add_argument("--no-plots", action="store_true",
                     help="do not write the PNG figures (and skip work that only feeds them)")
    run.add_argument("--max-seconds", type=_positive_seconds, metavar="S",
                     help="per-check wall-clock budget; a check over it is killed and INCONCLUSIVE")
    run.set_defaults(handler=_cmd_run)

    sweep = commands.add_parser("sweep", parents=[plugins], help="run one check over a grid of config values and seeds")
    sweep.add_argument("name", metavar="NAME")
    sweep.add_argument("--grid", action="append", default=[], metavar="KEY=V1,V2,...",
                       help="a swept key: KEY=V1,V2,..., KEY=geom:LO:HI:N or KEY=lin:LO:HI:N (repeatable); "
                            "KEY=A,B;C,D sweeps a list-valued key over the lists (A, B) and (C, D)")
    seeds = sweep.add_mutually_exclusive_group()
    seeds.add_argument("--seeds", type=int, default=1, metavar="N", help="seeds 0..N-1 (default 1)")
    seeds.add_argument("--seed-list", metavar="S1,S2,...", help="explicit seeds")
    sweep.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help="a fixed config override (repeatable)")
    sweep.add_argument("--out", metavar="DIR", help="output directory (default runs/sweep-NAME-<time>/)")
    sweep.add_argument("--resume", action="store_true", help="skip every (config, seed) already in DIR's store")
    sweep.add_argument("--no-plots", action="store_true", help="do not draw the sweep figure")
    sweep.add_argument("--coordinator", metavar="HOST:PORT", help="jax.distributed coordinator (multi-host)")
    sweep.add_argument("--num-processes", type=int, metavar="N", help="jax.distributed process count")
    sweep.add_argument("--process-id", type=int, metavar="I", help="this process's index in [0, N)")
    sweep.set_defaults(handler=_cmd_sweep)

    hunt = commands.add_parser("falsify", parents=[plugins],
                               help="search a check's ranges for a counterexample (hypothesis) and shrink it")
    hunt.add_argument("name", metavar="NAME")
    hunt.add_argument("--budget", type=int, metavar="N", help="configs to draw (default 50)")
    hunt.add_argument("--seed", type=int, default=0, help="the search's seed: the same seed draws the same configs")
    hunt.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="pin a key (repeatable)")
    hunt.add_argument("--range", action="append", default=[], metavar="KEY[=LO:HI|=V1,V2]",
                      help="search KEY over its advertised range, over [LO, HI] (past it too) or over values; "
                           "frees a negative control's key, which is otherwise held at its default (repeatable)")
    hunt.add_argument("--quick", action="store_true", help="pin the check's quick sizes; draw other integer keys no higher than their defaults")
    hunt.add_argument("--max-seconds", type=_positive_seconds, metavar="S", help="bound on the whole search")
    hunt.add_argument("--out", metavar="DIR", help="write the records, results.csv and falsify.json here")
    hunt.set_defaults(handler=_cmd_falsify)
    return parser


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not (value > 0 and value < float("inf")):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text!r}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``theorycheck`` console script; returns the exit code.

    float64 is not switched on here: each check that needs it runs inside
    ``jax.enable_x64(True)`` (see :func:`theorycheck.run_checks`).
    """
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:  # argparse: --help (0) or a usage error (2)
        code = exit_.code
        return code if isinstance(code, int) else (0 if code is None else 2)
    discover(args.imports)
    if args.command == "list":  # the checks that did load are still listed
        broken = _report_load_errors()
        code = args.handler(args)
        return EXIT_BAD_INPUT if broken else code
    if _report_load_errors():
        return EXIT_BAD_INPUT
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
