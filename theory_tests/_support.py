"""Helpers shared by the test modules: run a registered check, call the CLI in-process."""

import jax

from theorycheck import get_check, make_config
from theorycheck.cli import main


def run_check(name, seed=0, **overrides):
    """``registry()[name]`` at its defaults with ``overrides``, keyed by ``seed``: the Result."""
    check = get_check(name)
    return check.run(make_config(check, overrides), jax.random.key(seed))


def run_cli(capsys, *args):
    """``theorycheck ARGS`` in this process: ``(exit code, captured stdout/stderr)``."""
    try:
        code = main(list(args))
    except SystemExit as exit_:
        code = exit_.code
    return code, capsys.readouterr()
