"""Simulators (gradient flow, GD, SGD) and observers, as pure jit-able functions."""

from ._gradient_descent import gradient_descent as gradient_descent
from ._gradient_descent import sgd as sgd
from ._gradient_flow import gradient_flow as gradient_flow
from ._lanczos import Eigenpairs as Eigenpairs
from ._lanczos import hessian_vector_product as hessian_vector_product
from ._lanczos import lanczos_top_eigenpairs as lanczos_top_eigenpairs
from ._observers import Observer as Observer
from ._observers import gradient_cosine as gradient_cosine
from ._observers import loss_observer as loss_observer
from ._observers import parameter_norms as parameter_norms
from ._observers import stateless as stateless
from ._observers import top_hessian_eigenvalues as top_hessian_eigenvalues
from ._optimizers import plain_sgd as plain_sgd
from ._trajectory import STATUS_COMPLETED as STATUS_COMPLETED
from ._trajectory import STATUS_DIVERGED as STATUS_DIVERGED
from ._trajectory import STATUS_SOLVER_FAILED as STATUS_SOLVER_FAILED
from ._trajectory import STATUS_STOPPED as STATUS_STOPPED
from ._trajectory import Trajectory as Trajectory
from ._sweep import batch_sharding as batch_sharding
from ._sweep import sweep as sweep
from ._jacobian import input_output_jacobian as input_output_jacobian
from ._jacobian import jacobian_singular_values as jacobian_singular_values
from ._jacobian import single_sample_fisher_eigenvalues as single_sample_fisher_eigenvalues
from ._jacobian import single_sample_fisher_gram as single_sample_fisher_gram
