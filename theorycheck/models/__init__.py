"""Pure-function models: ``Model(init, apply)`` pairs and the papers' small data sets."""

from ._datasets import chebyshev_regression as chebyshev_regression
from ._datasets import gaussian_mixture as gaussian_mixture
from ._datasets import sparse_regression as sparse_regression
from ._datasets import teacher_student as teacher_student
from ._graph import Graph as Graph
from ._graph import gcn as gcn
from ._graph import normalized_adjacency as normalized_adjacency
from ._graph import stochastic_block_model as stochastic_block_model
from ._linear import deep_linear as deep_linear
from ._linear import diagonal_linear as diagonal_linear
from ._linear import diagonal_linear_params as diagonal_linear_params
from ._linear import diagonal_linear_predictor as diagonal_linear_predictor
from ._linearize import linearize as linearize
from ._mlp import cohen21_regression_net as cohen21_regression_net
from ._mlp import mlp as mlp
from ._mlp import two_layer as two_layer
from ._resnet import activation_normaliser as activation_normaliser
from ._resnet import residual_mlp as residual_mlp
from ._model import Model as Model
from ._normalisation import batch_norm as batch_norm
from ._normalisation import channel_norm as channel_norm
from ._normalisation import circular_conv as circular_conv
from ._normalisation import deep_linear_conv as deep_linear_conv
from ._normalisation import linear_bn_tanh as linear_bn_tanh
from ._normalisation import dropout as dropout
from ._digits import load_digits as load_digits
from ._generators import circulant as circulant
from ._generators import conv_generator as conv_generator
from ._generators import deep_decoder as deep_decoder
from ._generators import gaussian_kernel as gaussian_kernel
from ._generators import upsample_linear as upsample_linear
from ._losses import accuracy_from_confusion as accuracy_from_confusion
from ._losses import classifier_loss as classifier_loss
from ._losses import f1_from_confusion as f1_from_confusion
from ._losses import sigmoid_heaviside as sigmoid_heaviside
from ._losses import step_heaviside as step_heaviside
from ._losses import soft_confusion_matrix as soft_confusion_matrix
from ._losses import soft_metric_loss as soft_metric_loss
from ._losses import tsoi22_heaviside as tsoi22_heaviside
from ._imbalanced import digits_one_vs_rest as digits_one_vs_rest
from ._spline_net import shallow_relu_1d as shallow_relu_1d
from ._conv import conv2d as conv2d
from ._conv import conv_net as conv_net
from ._conv import local_conv2d as local_conv2d
from ._tree import compositional_target as compositional_target
from ._tree import dense_target as dense_target
from ._tree import tree_net as tree_net

__all__ = [
    "Graph",
    "Model",
    "gcn",
    "normalized_adjacency",
    "stochastic_block_model",
    "accuracy_from_confusion",
    "activation_normaliser",
    "batch_norm",
    "channel_norm",
    "chebyshev_regression",
    "circulant",
    "circular_conv",
    "classifier_loss",
    "cohen21_regression_net",
    "conv2d",
    "conv_generator",
    "compositional_target",
    "conv_net",
    "local_conv2d",
    "deep_decoder",
    "deep_linear",
    "dense_target",
    "deep_linear_conv",
    "diagonal_linear",
    "diagonal_linear_params",
    "diagonal_linear_predictor",
    "digits_one_vs_rest",
    "dropout",
    "f1_from_confusion",
    "gaussian_kernel",
    "gaussian_mixture",
    "linear_bn_tanh",
    "linearize",
    "load_digits",
    "mlp",
    "residual_mlp",
    "shallow_relu_1d",
    "sigmoid_heaviside",
    "step_heaviside",
    "soft_confusion_matrix",
    "soft_metric_loss",
    "sparse_regression",
    "teacher_student",
    "tree_net",
    "tsoi22_heaviside",
    "two_layer",
    "upsample_linear",
]
