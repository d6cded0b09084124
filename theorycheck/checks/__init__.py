"""The built-in checks; importing this package registers them."""

from . import gd_quadratic as gd_quadratic
from . import edge_of_stability as edge_of_stability
from . import kernel_rich as kernel_rich
from . import gradient_oscillation as gradient_oscillation
from . import synflow_conservation as synflow_conservation
from . import gd_global_convergence as gd_global_convergence
