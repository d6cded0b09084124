"""A user's own theorem: GD from zero on underdetermined least squares reaches the min-ℓ2-norm interpolant."""
import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np

from theorycheck import Result, bounds, config_field, dynamics, theorem


@dataclasses.dataclass(frozen=True)
class MinNormConfig:
    samples: int = config_field(20, low=1, high=200, help="n equations")
    dim: int = config_field(50, low=2, high=1000, help="d unknowns (d > n)")
    steps: int = config_field(2000, low=1, high=100_000, help="GD steps T")
    lr_fraction: float = config_field(0.5, low=0.01, high=0.99, help="η as a fraction of 2/λ_max")
    offset: float = config_field(0.0, low=0.0, high=10.0, help="start's norm outside the row space")

    def validate(self):
        if self.samples >= self.dim:
            raise ValueError(f"samples ({self.samples}) must be < dim ({self.dim}): underdetermined")


@theorem(MinNormConfig, statement="GD from zero on underdetermined least squares converges to X⁺y",
         source="Zhang et al., ICLR 2017, §5", controls=[{"offset": 1.0}], needs_x64=True)
def min_norm(config, key):
    """Inside range(Xᵀ) the error θ_t − X⁺y contracts by ρ = max|1 − ηλ| over the nonzero eigenvalues
    of XᵀX/n; outside it GD never moves. Tolerance: ρ^T‖X⁺y‖ + 1e-9‖X⁺y‖ (float64 rounding).
    Control: a start with a component of norm ``offset`` outside the row space keeps it."""
    key_x, key_y, key_u = jax.random.split(key, 3)
    x = jax.random.normal(key_x, (config.samples, config.dim))
    y = jax.random.normal(key_y, (config.samples,))
    eigenvalues = np.linalg.eigvalsh(np.asarray(x.T @ x) / config.samples)
    lr = config.lr_fraction * 2 / eigenvalues[-1]
    rho = np.max(np.abs(1 - lr * eigenvalues[eigenvalues > 1e-9 * eigenvalues[-1]]))
    outside = jax.random.normal(key_u, (config.dim,))
    outside -= jnp.linalg.pinv(x) @ (x @ outside)  # the part of a random vector outside range(Xᵀ)
    loss = lambda theta: 0.5 * jnp.mean((x @ theta - y) ** 2)
    run = dynamics.gradient_descent(loss, dynamics.plain_sgd(lr), num_steps=config.steps)
    theta = run(config.offset * outside / jnp.linalg.norm(outside), key).final_params
    target = bounds.min_l2_interpolant(np.asarray(x), np.asarray(y))
    scale = float(np.linalg.norm(target))
    tolerance = (rho**config.steps + 1e-9) * scale
    if tolerance > 0.1 * scale:
        return Result.inconclusive(f"ρ^T = {rho**config.steps:.2g} leaves GD short of X⁺y; "
                                   f"raise steps to >= {math.ceil(math.log(0.05) / math.log(rho))}")
    error = float(np.linalg.norm(np.asarray(theta) - target))
    return Result.decide(error, tolerance, predicted=scale, measured=float(np.linalg.norm(theta)),
                         what="‖θ_T − X⁺y‖")
