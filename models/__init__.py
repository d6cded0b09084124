"""Pure-function models: ``Model(init, apply)`` pairs and the papers' small data sets."""

from ._datasets import chebyshev_regression as chebyshev_regression
from ._datasets import sparse_regression as sparse_regression
from ._linear import deep_linear as deep_linear
from ._linear import diagonal_linear as diagonal_linear
from ._linear import diagonal_linear_params as diagonal_linear_params
from ._linear import diagonal_linear_predictor as diagonal_linear_predictor
from ._mlp import cohen21_regression_net as cohen21_regression_net
from ._mlp import mlp as mlp
from ._mlp import two_layer as two_layer
from ._model import Model as Model
from ._normalisation import batch_norm as batch_norm
from ._normalisation import channel_norm as channel_norm
from ._normalisation import circular_conv as circular_conv
from ._normalisation import deep_linear_conv as deep_linear_conv
from ._normalisation import linear_bn_tanh as linear_bn_tanh
from ._normalisation import dropout as dropout
from ._digits import load_digits as load_digits
from ._conv import conv2d as conv2d
from ._conv import conv_net as conv_net
