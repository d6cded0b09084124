"""Simulators (gradient flow, GD, SGD) and observers, as pure jit-able functions."""

from ._gradient_descent import gradient_descent as gradient_descent
from ._gradient_descent import sgd as sgd
from ._gradient_flow import gradient_flow as gradient_flow
from ._central_flow import central_flow as central_flow
from ._central_flow import solve_sdcp as solve_sdcp
from ._central_flow import third_derivative as third_derivative
from ._lanczos import Eigenpairs as Eigenpairs
from ._lanczos import hessian_vector_product as hessian_vector_product
from ._lanczos import lanczos_top_eigenpairs as lanczos_top_eigenpairs
from ._observers import Observer as Observer
from ._observers import gradient_cosine as gradient_cosine
from ._observers import layer_gradient_cosines as layer_gradient_cosines
from ._observers import loss_observer as loss_observer
from ._observers import from_record as from_record
from ._observers import parameter_norms as parameter_norms
from ._observers import stateless as stateless
from ._observers import top_hessian_eigenvalues as top_hessian_eigenvalues
from ._observers import top_preconditioned_hessian_eigenvalues as top_preconditioned_hessian_eigenvalues
from ._observers import adam_preconditioner as adam_preconditioner
from ._observers import rmsprop_preconditioner as rmsprop_preconditioner
from ._optimizers import adam as adam
from ._optimizers import rmsprop as rmsprop
from ._optimizers import plain_sgd as plain_sgd
from ._progress import progress_bars as progress_bars
from ._population import PopulationTrajectory as PopulationTrajectory
from ._population import population_training as population_training
from ._trajectory import STATUS_COMPLETED as STATUS_COMPLETED
from ._trajectory import STATUS_DIVERGED as STATUS_DIVERGED
from ._trajectory import STATUS_INVALID_HYPERPARAMS as STATUS_INVALID_HYPERPARAMS
from ._trajectory import STATUS_SOLVER_FAILED as STATUS_SOLVER_FAILED
from ._trajectory import STATUS_STOPPED as STATUS_STOPPED
from ._trajectory import Trajectory as Trajectory
from ._sweep import batch_sharding as batch_sharding
from ._sweep import sweep as sweep
from ._jacobian import input_output_jacobian as input_output_jacobian
from ._fisher import fisher_block_grams as fisher_block_grams
from ._fisher import fisher_trace as fisher_trace
from ._fisher import fisher_vector_product as fisher_vector_product
from ._fisher import top_fisher_eigenvalues as top_fisher_eigenvalues
from ._natural_gradient import NaturalGradientState as NaturalGradientState
from ._natural_gradient import natural_gradient as natural_gradient
from ._jacobian import jacobian_singular_values as jacobian_singular_values
from ._jacobian import single_sample_fisher_eigenvalues as single_sample_fisher_eigenvalues
from ._jacobian import single_sample_fisher_gram as single_sample_fisher_gram
from ._normalisation import WeightRescalingState as WeightRescalingState
from ._normalisation import input_span_complement as input_span_complement
from ._normalisation import off_span_component as off_span_component
from ._normalisation import scale_invariance_residual as scale_invariance_residual
from ._normalisation import weight_rescaling as weight_rescaling
from ._spectral import effective_rank as effective_rank
from ._spectral import numerical_rank as numerical_rank
from ._spectral import parameters as parameters
from ._spectral import spectrum as spectrum
from ._spectral import weight_spectra as weight_spectra
from ._batch_tape import BatchTape as BatchTape
from ._batch_tape import batch_tape as batch_tape
from ._batch_tape import tape_batches as tape_batches
from ._noise import per_sample_gradient_variance as per_sample_gradient_variance
from ._noise import step_norm as step_norm
from ._collapse import neural_collapse_metrics as neural_collapse_metrics
from ._pruning import PruningTrajectory as PruningTrajectory
from ._pruning import apply_mask as apply_mask
from ._pruning import full_mask as full_mask
from ._pruning import global_mask as global_mask
from ._pruning import iterative_pruning as iterative_pruning
from ._pruning import magnitude_scores as magnitude_scores
from ._pruning import snip_scores as snip_scores
from ._pruning import synaptic_saliency as synaptic_saliency
from ._pruning import synflow_objective as synflow_objective
from ._pruning import synflow_scores as synflow_scores
from ._ntk import empirical_ntk as empirical_ntk
from ._sphere import SphereNormalisationState as SphereNormalisationState
from ._sphere import sphere_normalisation as sphere_normalisation
from ._sphere import sphere_params as sphere_params
from ._sphere import sphere_retract as sphere_retract
from ._sphere import sphere_tangent as sphere_tangent
from ._sphere import sphere_weights as sphere_weights
from ._confusion import pairwise_cosine_statistics as pairwise_cosine_statistics
from ._confusion import per_sample_gradient_cosines as per_sample_gradient_cosines
from ._confusion import per_sample_gradients as per_sample_gradients
from ._adversarial import adversarial_loss as adversarial_loss
from ._adversarial import adversarial_sgd as adversarial_sgd
from ._adversarial import fast_at_attack as fast_at_attack
from ._adversarial import fast_at_step as fast_at_step
from ._adversarial import fast_bat_attack as fast_bat_attack
from ._adversarial import fast_bat_step as fast_bat_step
from ._adversarial import fgsm_perturbation as fgsm_perturbation
from ._adversarial import input_gradient as input_gradient
from ._adversarial import pgd_attack as pgd_attack

__all__ = [
    "adversarial_loss",
    "adversarial_sgd",
    "fast_at_attack",
    "fast_at_step",
    "fast_bat_attack",
    "fast_bat_step",
    "fgsm_perturbation",
    "input_gradient",
    "pgd_attack",
    "BatchTape",
    "Eigenpairs",
    "NaturalGradientState",
    "Observer",
    "PopulationTrajectory",
    "PruningTrajectory",
    "STATUS_COMPLETED",
    "STATUS_DIVERGED",
    "STATUS_INVALID_HYPERPARAMS",
    "STATUS_SOLVER_FAILED",
    "STATUS_STOPPED",
    "SphereNormalisationState",
    "Trajectory",
    "WeightRescalingState",
    "adam",
    "adam_preconditioner",
    "apply_mask",
    "batch_sharding",
    "batch_tape",
    "central_flow",
    "effective_rank",
    "empirical_ntk",
    "fisher_block_grams",
    "fisher_trace",
    "fisher_vector_product",
    "from_record",
    "full_mask",
    "global_mask",
    "gradient_cosine",
    "gradient_descent",
    "gradient_flow",
    "hessian_vector_product",
    "input_output_jacobian",
    "input_span_complement",
    "iterative_pruning",
    "jacobian_singular_values",
    "lanczos_top_eigenpairs",
    "layer_gradient_cosines",
    "loss_observer",
    "magnitude_scores",
    "natural_gradient",
    "neural_collapse_metrics",
    "numerical_rank",
    "off_span_component",
    "pairwise_cosine_statistics",
    "parameter_norms",
    "parameters",
    "per_sample_gradient_cosines",
    "per_sample_gradient_variance",
    "per_sample_gradients",
    "plain_sgd",
    "population_training",
    "progress_bars",
    "rmsprop",
    "rmsprop_preconditioner",
    "scale_invariance_residual",
    "sgd",
    "single_sample_fisher_eigenvalues",
    "single_sample_fisher_gram",
    "snip_scores",
    "solve_sdcp",
    "spectrum",
    "sphere_normalisation",
    "sphere_params",
    "sphere_retract",
    "sphere_tangent",
    "sphere_weights",
    "stateless",
    "step_norm",
    "sweep",
    "synaptic_saliency",
    "synflow_objective",
    "synflow_scores",
    "tape_batches",
    "third_derivative",
    "top_fisher_eigenvalues",
    "top_hessian_eigenvalues",
    "top_preconditioned_hessian_eigenvalues",
    "weight_rescaling",
    "weight_spectra",
]
