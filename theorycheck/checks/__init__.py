"""The built-in checks; importing this package registers them."""

from . import gd_quadratic as gd_quadratic
from . import edge_of_stability as edge_of_stability
from . import kernel_rich as kernel_rich
from . import dynamical_isometry as dynamical_isometry
from . import bn_scale_invariance as bn_scale_invariance
from . import channel_norm_gradients as channel_norm_gradients
from . import dropout_decorrelation as dropout_decorrelation
from . import low_rank_bound as low_rank_bound
from . import equal_layer_norms as equal_layer_norms
from . import sgd_noise as sgd_noise
from . import neural_collapse as neural_collapse
from . import gradient_oscillation as gradient_oscillation
from . import synflow_conservation as synflow_conservation
from . import gd_global_convergence as gd_global_convergence
from . import untrained_cs_recovery as untrained_cs_recovery
from . import soft_confusion as soft_confusion
from . import spline_implicit_bias as spline_implicit_bias
from . import low_rank_trends as low_rank_trends
from . import gradient_confusion as gradient_confusion
from . import norm_bounds as norm_bounds
from . import layer_oscillation as layer_oscillation
from . import kernel_rich_matrix as kernel_rich_matrix
from . import central_flow as central_flow
from . import kernel_rich_nonlinear as kernel_rich_nonlinear
from . import compositional_sparsity as compositional_sparsity
from . import isometry_curvature as isometry_curvature
