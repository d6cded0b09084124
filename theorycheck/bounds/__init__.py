"""Closed-form predictions of the theorems, as independent float64 references.

* GD on quadratics and the edge-of-stability threshold (Cohen et al., ICLR 2021):
  :func:`eos_threshold`, :func:`gd_quadratic_loss_curve`, :func:`gd_quadratic_contraction`.
* The implicit regulariser of diagonal linear networks (Woodworth et al., COLT 2020):
  :func:`woodworth20_link`, :func:`woodworth20_link_inverse`, :func:`woodworth20_potential`,
  :func:`woodworth20_implicit_regularizer`, :func:`woodworth20_implicit_regularizer_minimizer`,
  and its limits :func:`min_l2_interpolant` (α → ∞) and :func:`min_l1_interpolant` (α → 0);
  :func:`woodworth20_residual_time`, a rigorous bound on the time the flow needs to fit the data.
"""

from ._diagonal_linear import ImplicitRegularizerMinimizer as ImplicitRegularizerMinimizer
from ._diagonal_linear import min_l1_interpolant as min_l1_interpolant
from ._diagonal_linear import min_l2_interpolant as min_l2_interpolant
from ._diagonal_linear import woodworth20_implicit_regularizer as woodworth20_implicit_regularizer
from ._diagonal_linear import woodworth20_implicit_regularizer_minimizer as woodworth20_implicit_regularizer_minimizer
from ._diagonal_linear import woodworth20_link as woodworth20_link
from ._diagonal_linear import woodworth20_link_inverse as woodworth20_link_inverse
from ._diagonal_linear import woodworth20_potential as woodworth20_potential
from ._diagonal_linear_rate import woodworth20_metric_lower_bound as woodworth20_metric_lower_bound
from ._diagonal_linear_rate import woodworth20_residual_time as woodworth20_residual_time
from ._gd_quadratic import eos_threshold as eos_threshold
from ._population import paired_noise_band as paired_noise_band
from ._central_flow import cohen25_sigma_squared as cohen25_sigma_squared
from ._central_flow import cohen25_time_averaged_loss as cohen25_time_averaged_loss
from ._gd_quadratic import gd_quadratic_contraction as gd_quadratic_contraction
from ._gd_quadratic import gd_quadratic_loss_curve as gd_quadratic_loss_curve
from ._fuss_catalan import fuss_catalan_moment as fuss_catalan_moment
from ._fuss_catalan import gaussian_product_moments as gaussian_product_moments
from ._isometry_fisher import sokol20_fisher_bounds as sokol20_fisher_bounds
from ._natural_gradient import natural_gradient_flow_outputs as natural_gradient_flow_outputs
from ._isometry_fisher import tanh_critical_point as tanh_critical_point
from ._scalar_chain import daiheckel19_escape_steps as daiheckel19_escape_steps
from ._scalar_chain import scalar_chain_flow_steps as scalar_chain_flow_steps
from ._dropout import dropout_correlation_sd as dropout_correlation_sd
from ._dropout import dropout_joint_table as dropout_joint_table
from ._dropout import mutual_information as mutual_information
from ._dropout import mutual_information_condition as mutual_information_condition
from ._low_rank import eckart_young_distance as eckart_young_distance
from ._low_rank import galanti23_decay as galanti23_decay
from ._low_rank import galanti23_low_rank_distance as galanti23_low_rank_distance
from ._low_rank import galanti23_unrolled_weights as galanti23_unrolled_weights
from ._sgd_noise import galanti23_sgd_noise_floor as galanti23_sgd_noise_floor
from ._sgd_noise import simplex_etf_cosine as simplex_etf_cosine
from ._ntk import du19_gram_infinite as du19_gram_infinite
from ._ntk import du19_loss_bound as du19_loss_bound
from ._ntk import linearized_gd_residuals as linearized_gd_residuals
from ._lazy_training import lazy_roundoff_floor as lazy_roundoff_floor
from ._lazy_training import linearized_gd_displacement as linearized_gd_displacement
from ._lazy_training import linearized_gd_steps_to_interpolant as linearized_gd_steps_to_interpolant
from ._untrained_cs import heckel20_dual_kernel as heckel20_dual_kernel
from ._untrained_cs import heckel20_interpolant_floor as heckel20_interpolant_floor
from ._untrained_cs import heckel20_linearized_limit as heckel20_linearized_limit
from ._untrained_cs import remaining_movement as remaining_movement
from ._soft_confusion import hard_confusion_matrix as hard_confusion_matrix
from ._soft_confusion import hard_f1 as hard_f1
from ._soft_confusion import tsoi22_heaviside_knots as tsoi22_heaviside_knots
from ._soft_confusion import tsoi22_heaviside_reference as tsoi22_heaviside_reference
from ._soft_confusion import tsoi22_heaviside_slopes as tsoi22_heaviside_slopes
from ._spline import WeightedSpline as WeightedSpline
from ._spline import jin23_zeta as jin23_zeta
from ._spline import weighted_natural_spline as weighted_natural_spline
from ._spline import zeta_by_quadrature as zeta_by_quadrature
from ._spline import jin23_kernel as jin23_kernel
from ._spline import jin23_width_fluctuation as jin23_width_fluctuation
from ._confusion import independent_cosine_min_mean as independent_cosine_min_mean
from ._confusion import linear_confusion_bias as linear_confusion_bias
from ._confusion import sankararaman20_linear_confusion as sankararaman20_linear_confusion
from ._norm_bounds import circular_conv_operator as circular_conv_operator
from ._norm_bounds import conv_operator_frobenius_norm as conv_operator_frobenius_norm
from ._norm_bounds import galanti23_stationarity_distance as galanti23_stationarity_distance
from ._norm_bounds import galanti23_stationarity_from_step as galanti23_stationarity_from_step
from ._norm_bounds import galanti23_sparse_rademacher_bound as galanti23_sparse_rademacher_bound
from ._norm_bounds import locally_connected_operator as locally_connected_operator
from ._norm_bounds import neuron_filter_norms as neuron_filter_norms
from ._norm_bounds import golowich18_rademacher_bound as golowich18_rademacher_bound
from ._norm_bounds import hoeffding_deviation as hoeffding_deviation
from ._norm_bounds import square_loss_gap_bound as square_loss_gap_bound
from ._norm_bounds import SquareLossBound as SquareLossBound
from ._norm_bounds import zero_padded_conv_operator as zero_padded_conv_operator
from ._matrix_sensing import CommutingLimit as CommutingLimit
from ._matrix_sensing import commuting_factorization_limit as commuting_factorization_limit
from ._matrix_sensing import linearized_min_norm_interpolant as linearized_min_norm_interpolant
from ._matrix_sensing import min_trace_psd_interpolant_commuting as min_trace_psd_interpolant_commuting
from ._adversarial import box_qp_bvls as box_qp_bvls
from ._adversarial import box_qp_projected_gradient as box_qp_projected_gradient
from ._adversarial import linear_lower_level_l2 as linear_lower_level_l2
from ._adversarial import linear_lower_level_lp as linear_lower_level_lp
from ._adversarial import zhang22_implicit_jvp as zhang22_implicit_jvp
from ._adversarial import zhang22_lower_level_solution as zhang22_lower_level_solution

__all__ = [
    "box_qp_bvls",
    "box_qp_projected_gradient",
    "linear_lower_level_l2",
    "linear_lower_level_lp",
    "zhang22_implicit_jvp",
    "zhang22_lower_level_solution",
    "natural_gradient_flow_outputs",
    "CommutingLimit",
    "commuting_factorization_limit",
    "linearized_min_norm_interpolant",
    "min_trace_psd_interpolant_commuting",
    "cohen25_sigma_squared",
    "cohen25_time_averaged_loss",
    "ImplicitRegularizerMinimizer",
    "SquareLossBound",
    "WeightedSpline",
    "circular_conv_operator",
    "conv_operator_frobenius_norm",
    "daiheckel19_escape_steps",
    "dropout_correlation_sd",
    "dropout_joint_table",
    "du19_gram_infinite",
    "du19_loss_bound",
    "eckart_young_distance",
    "eos_threshold",
    "fuss_catalan_moment",
    "galanti23_decay",
    "galanti23_low_rank_distance",
    "galanti23_sgd_noise_floor",
    "galanti23_stationarity_distance",
    "galanti23_stationarity_from_step",
    "galanti23_sparse_rademacher_bound",
    "locally_connected_operator",
    "neuron_filter_norms",
    "galanti23_unrolled_weights",
    "gaussian_product_moments",
    "gd_quadratic_contraction",
    "gd_quadratic_loss_curve",
    "golowich18_rademacher_bound",
    "hard_confusion_matrix",
    "hard_f1",
    "heckel20_dual_kernel",
    "heckel20_interpolant_floor",
    "heckel20_linearized_limit",
    "hoeffding_deviation",
    "independent_cosine_min_mean",
    "jin23_kernel",
    "jin23_width_fluctuation",
    "jin23_zeta",
    "linear_confusion_bias",
    "lazy_roundoff_floor",
    "linearized_gd_displacement",
    "linearized_gd_residuals",
    "linearized_gd_steps_to_interpolant",
    "min_l1_interpolant",
    "min_l2_interpolant",
    "paired_noise_band",
    "mutual_information",
    "mutual_information_condition",
    "remaining_movement",
    "sankararaman20_linear_confusion",
    "scalar_chain_flow_steps",
    "simplex_etf_cosine",
    "square_loss_gap_bound",
    "tsoi22_heaviside_knots",
    "tsoi22_heaviside_reference",
    "tsoi22_heaviside_slopes",
    "weighted_natural_spline",
    "woodworth20_implicit_regularizer",
    "woodworth20_implicit_regularizer_minimizer",
    "woodworth20_link",
    "woodworth20_link_inverse",
    "woodworth20_metric_lower_bound",
    "woodworth20_potential",
    "woodworth20_residual_time",
    "zero_padded_conv_operator",
    "zeta_by_quadrature",
    "sokol20_fisher_bounds",
    "tanh_critical_point",
]
