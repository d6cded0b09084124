"""theorycheck: executable theorems about neural-network training, in JAX.

A *check* pairs a simulation with a theorem's prediction and a derived tolerance
(:class:`Check`, :class:`Result`); :func:`registry` lists the built-in ones and
:func:`run_checks` runs them and writes their records (``theorycheck run`` on the command line).
"""

from ._check import Check as Check
from ._check import Result as Result
from ._check import config_field as config_field
from ._check import get_check as get_check
from ._check import make_config as make_config
from ._check import register as register
from ._check import registry as registry
from ._runner import run_checks as run_checks

__version__ = "0.1.0"

__all__ = [
    "Check",
    "Result",
    "config_field",
    "get_check",
    "make_config",
    "register",
    "registry",
    "run_checks",
]
