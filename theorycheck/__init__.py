"""theorycheck: executable theorems about neural-network training, in JAX.

A *check* pairs a simulation with a theorem's prediction and a derived tolerance
(:class:`Check`, :class:`Result`); :func:`registry` lists the built-in ones, the installed
plugins' and the user's own (:func:`register`, :func:`theorem`), and :func:`run_checks` runs them
and writes their records (``theorycheck run`` on the command line). The library:
``from theorycheck import models, dynamics, bounds``; pytest and hypothesis helpers:
``theorycheck.testing``.
"""

from ._check import Check as Check
from ._check import Result as Result
from ._check import config_field as config_field
from ._check import decide as decide
from ._check import make_config as make_config
from ._check import register as register
from ._check import theorem as theorem
from ._registry import get_check as get_check
from ._registry import origin_of as origin_of
from ._registry import registry as registry
from ._runner import run_checks as run_checks

__version__ = "0.1.0"

__all__ = [
    "Check",
    "Result",
    "config_field",
    "decide",
    "get_check",
    "make_config",
    "origin_of",
    "register",
    "registry",
    "run_checks",
    "theorem",
]
