"""After zero-mean (batch-normalised) inputs, dropout with keep probability q multiplies the
correlation of two neurons by q and their mutual information by q².

**Statement.** Chen, Chen, Shi, Hsieh, Liao & Zhang, "Rethinking the Usage of Batch Normalization
and Dropout in the Training of Deep Neural Networks" (IC layer), arXiv:1905.05928; shared/THEORY.md
§14 [V-src abstract: dropout "can quadratically reduce the mutual information and linearly reduce
the correlation between any pair of neurons with respect to the dropout layer parameter p"].
With independent masks δ₁, δ₂ ~ Bernoulli(q) (q the keep probability, the paper's p for these
forms; inverted-dropout rescaling by 1/q changes neither quantity) [D, re-derived here]:

* if E X = E Y = 0: corr(δ₁X, δ₂Y) = q·corr(X, Y) (Cov scales by q², each variance by q);
* if P(X = 0) = P(Y = 0) = 0: I(δ₁X; δ₂Y) = q²·I(X; Y) (δ is recoverable from δX; the chain
  rule twice).

**Setup.** (X, Y) = BN outputs: a bivariate normal with correlation ρ = 0.6 shifted by ``mean``
(``distribution=gaussian``), or ReLU of that (``distribution=relu``: an atom at 0, the
BN → ReLU → dropout ordering). Correlation: ``samples`` = M draws, dropped out by
``models.dropout`` with independent masks from the PRNG key, sample correlation against q·ρ.
Mutual information: the same law quantised on a 16 × 16 grid of bin centres (spacing 0.5, none at
0 when ``mean`` = 0), and the exact joint table of (δ₁X, δ₂Y) (:func:`bounds.dropout_joint_table`).
**What is simulated, honestly:** there is no training here; the Monte Carlo sampling of masks
(keyed by the simulator's PRNG key, ``jit``-ed and ``vmap``-able over q and the mean) is the
experiment for the correlation, and the MI claim is an exact table computation.

**Tolerance (derived).** Correlation: 4·s(q, ρ)/√M with s the delta-method standard deviation of
the sample correlation of (δ₁X, δ₂Y) (:func:`bounds.dropout_correlation_sd`; checked by 200-fold
Monte Carlo within 5%): s = 0.86 at q = 0.7, so the tolerance is 3.4/√M there, close to THEORY.md's
3/√M, which is only 2.4σ at q = 0.05 (s = 1.28). Mutual information: relative error of the ratio
I(δ₁X;δ₂Y)/(q²I(X;Y)) ≤ max(1e-12, 4ε(1/I_out + 1/I_in) + 2Tε·κ). Derived: each log argument
p/(p_x p_y) ≈ 1 is rounded at ~3ε, so each log is off by ~4ε absolute, weighted by p (Σp = 1): an
absolute error ≤ 4ε per MI, which is large *relative* to I_out = q²I when q is small; the sum of
T ≤ 17² terms adds T·ε·Σ|terms| = T·ε·κ·I (κ = Σ|terms|/|Σ terms|,
:func:`bounds.mutual_information_condition`, ≈ 2 here). That is ≈ 2.6e-13 at the defaults
(so 1e-12 applies) and ≈ 3.3e-12 at q = 0.05, where the measured error is 1.2e-12.

**Power (inconclusive).** The correlation comparison is decided only where its tolerance can tell
qρ from the alternative: |alternative − qρ| ≥ 2 × tolerance, with the alternative the exact
corr(δ₁X, δ₂Y) of the simulated law (:func:`law_correlation`: qρ/(1 + m²(1 − q)) for the shifted
Gaussian, a quadrature for ReLU) where the hypothesis E X = 0 is broken, and the no-BN control's
value (mean 2) where it holds. Otherwise the run is ``inconclusive`` with the samples that would
decide it, M ≥ (4·2·s/gap)² (e.g. q = 0.05, M = 10⁴: tolerance 0.051 exceeds qρ = 0.03 itself;
M ≥ 1.9e5 decides it), or, beyond the range's 4e6, "use mean = 0 or a larger |mean|" (a
mean of 0.12 shifts the correlation by 1.6e-3 only). A decided MI violation fails whatever the
correlation's power. The MI grid moves by half a bin when a bin centre + mean would be exactly 0
(mean ∈ 0.25 + 0.5ℤ): quantising must not create the atom at 0 the Gaussian law lacks (before,
mean = 0.25 failed the MI claim on the grid's artefact).

**Negative controls.** ``mean=2`` (no BN before dropout): corr = qρσ²/(σ² + m²(1 − q)) = 0.19 ≠
0.42 (q = 0.7), decided by the sampled correlation (gap 0.23 against a tolerance 0.011 at the
quick M = 10⁵); the MI claim still holds (no atom at 0). ``distribution=relu``: ReLU outputs have
an atom at 0 (and a positive mean): MI ratio ≈ 0.2 ≠ q² = 0.49 and the correlation fails too.
"""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from theorycheck import bounds
from theorycheck import models
from theorycheck._check import Check, Result, config_field, decide, register

from ._common import figure

RHO = 0.6
GRID, SPACING = 16, 0.5
MI_TOLERANCE = 1e-12
CONTROL_MEAN = 2.0  # the no-BN control's mean: the alternative every run must be able to tell from qρ
Z_CORR = 4.0  # the correlation tolerance in standard deviations
SEPARATION = 2.0  # decided only where |alternative − qρ| >= SEPARATION × the correlation tolerance
SAMPLES_MAX = 4_000_000  # the top of the samples range (the remedy must lie inside it)


@dataclasses.dataclass(frozen=True)
class DropoutDecorrelationConfig:
    keep_prob: float = config_field(0.7, low=0.05, high=0.95, help="dropout keep probability q")
    mean: float = config_field(0.0, low=-3.0, high=3.0, help="mean of the inputs to dropout (0: after BN)")
    samples: int = config_field(1_000_000, low=10_000, high=4_000_000, help="Monte Carlo samples M")
    distribution: str = config_field("gaussian", choices=("gaussian", "relu"),
                                     help="inputs: BN outputs (gaussian) or ReLU of them (an atom at 0)")


def _transform(config, z):
    return jax.nn.relu(z) if config.distribution == "relu" else z


def simulate(config: DropoutDecorrelationConfig, data, key):
    key_z, key_1, key_2 = jax.random.split(key, 3)
    cov = jnp.array([[1.0, RHO], [RHO, 1.0]])
    z = jax.random.multivariate_normal(key_z, jnp.zeros(2), cov, (config.samples,)) + data["mean"]
    xy = _transform(config, z)
    u = models.dropout(xy[:, 0], data["keep_prob"], key_1)
    v = models.dropout(xy[:, 1], data["keep_prob"], key_2)

    def corr(a, b):
        a, b = a - a.mean(), b - b.mean()
        return jnp.sum(a * b) / jnp.sqrt(jnp.sum(a * a) * jnp.sum(b * b))

    return {"corr_dropped": corr(u, v), "corr_inputs": corr(xy[:, 0], xy[:, 1])}


def law_correlation(keep_prob: float, mean: float, distribution: str) -> float:
    """The exact corr(δ₁X, δ₂Y) of the simulated law (no sampling): Cov(δ₁X, δ₂Y) = q²Cov(X, Y) and
    Var(δX) = qE X² − q²(E X)², so corr = q·Cov/√((E X² − q(E X)²)(E Y² − q(E Y)²)). Gaussian:
    qρ/(1 + m²(1 − q)) in closed form; ReLU: the moments of ReLU(Z + m) by a 2-D quadrature of the
    bivariate normal (trapezoid on [−9, 9]², 1e-6 accurate, far below any tolerance)."""
    q = keep_prob
    if distribution == "gaussian":
        return q * RHO / (1.0 + mean**2 * (1.0 - q))
    z = np.linspace(-9.0, 9.0, 1201)
    weight = np.exp(-z**2 / 2) * (z[1] - z[0]) / np.sqrt(2 * np.pi)
    z1, w = np.meshgrid(z, z, indexing="ij")
    p = weight[:, None] * weight[None, :]
    x = np.maximum(z1 + mean, 0.0)
    y = np.maximum(RHO * z1 + np.sqrt(1 - RHO**2) * w + mean, 0.0)
    ex, exx, exy = np.sum(p * x), np.sum(p * x * x), np.sum(p * x * y)
    cov, var = exy - ex**2, exx - q * ex**2  # E Y = E X, E Y² = E X² by symmetry
    return float(q * cov / var) if var > 0 else 0.0


def mi_tables(config, mean):
    """The quantised joint law of (X, Y) and its values (bin centres; for the Gaussian law none at
    0: the grid moves by half a bin where a centre + mean would be 0, mean ∈ 0.25 + 0.5ℤ, so that
    quantising creates no atom the continuous law lacks; the MI depends on the values only
    through which of them are 0)."""
    centres = (np.arange(GRID) - (GRID - 1) / 2) * SPACING
    a, b = np.meshgrid(centres, centres, indexing="ij")
    table = np.exp(-(a**2 - 2 * RHO * a * b + b**2) / (2 * (1 - RHO**2)))
    table /= table.sum()
    values = centres + mean
    if config.distribution == "gaussian" and np.any(np.abs(values) < SPACING / 4):
        values = values + SPACING / 2
    if config.distribution == "relu":
        values = np.maximum(values, 0.0)
    distinct = np.unique(values)  # merge the ReLU atom at 0 into one value
    index = np.searchsorted(distinct, values)
    merged = np.zeros((distinct.size, distinct.size))
    np.add.at(merged, (index[:, None], index[None, :]), table)
    return merged, distinct


def verdict(config: DropoutDecorrelationConfig, data, arrays) -> Result:
    q, mean = data["keep_prob"], data["mean"]
    measured = float(arrays["corr_dropped"])
    predicted = q * RHO  # the theorem's q·corr(X, Y) for BN (zero-mean) Gaussian inputs
    corr_error = abs(measured - predicted)
    corr_tolerance = Z_CORR * bounds.dropout_correlation_sd(q, RHO) / np.sqrt(config.samples)
    table, values = mi_tables(config, mean)
    joint, _, _ = bounds.dropout_joint_table(table, values, values, q)
    mi_in, mi_out = bounds.mutual_information(table), bounds.mutual_information(joint)
    mi_ratio = mi_out / mi_in
    mi_error = abs(mi_ratio / q**2 - 1.0)
    condition = max(bounds.mutual_information_condition(table), bounds.mutual_information_condition(joint))
    eps = np.finfo(float).eps
    mi_tolerance = max(MI_TOLERANCE, 4 * eps * (1 / mi_out + 1 / mi_in) + 2 * joint.size * eps * condition)
    fail, inconclusive = [], []
    if mi_error > mi_tolerance:
        fail.append(f"I(δ₁X;δ₂Y)/I(X;Y) = {mi_ratio:.6g}, not q² = {q**2:.6g} (relative error {mi_error:.3g} > "
                    f"{mi_tolerance:.3g})")
    # power: the tolerance must separate qρ from the alternative (the law's own value where the
    # hypothesis is broken; the no-BN control's value where it holds), else nothing is decided
    law = law_correlation(q, mean, config.distribution)
    hypothesis = config.distribution == "gaussian" and mean == 0.0
    alternative = law_correlation(q, CONTROL_MEAN, "gaussian") if hypothesis else law
    separation = abs(alternative - predicted)
    if separation < SEPARATION * corr_tolerance and not fail:
        sd = bounds.dropout_correlation_sd(q, RHO)
        needed = int(np.ceil((Z_CORR * SEPARATION * sd / max(separation, 1e-300)) ** 2))
        which = (f"the no-BN (mean {CONTROL_MEAN:g}) value {alternative:.3g}" if hypothesis else
                 f"this law's own value {alternative:.3g} (mean {mean:g}, {config.distribution})")
        remedy = (f"raise samples to >= {needed}" if needed <= SAMPLES_MAX else
                  f"the shift cannot be resolved within samples <= {SAMPLES_MAX} (needs {needed:.3g}); "
                  + ("raise keep_prob" if hypothesis else "use mean = 0 (the theorem's setting) or a larger |mean|"))
        inconclusive.append(f"the correlation tolerance {corr_tolerance:.3g} cannot separate qρ = {predicted:.3g} from "
                            f"{which} (gap {separation:.3g} < {SEPARATION:g}× tolerance); {remedy}")
    outcome, reason = decide(corr_error / corr_tolerance, 1.0, fail_reasons=fail, inconclusive_reasons=inconclusive,
                             what=f"|corr(δ₁X,δ₂Y) − qρ| = {corr_error:.3g} in units of its tolerance {corr_tolerance:.3g}:")
    details = {
        "corr_dropped": measured, "q_times_rho": predicted, "corr_inputs_sample": float(arrays["corr_inputs"]),
        "corr_error": corr_error, "corr_tolerance": corr_tolerance,
        "mi_inputs_nats": mi_in, "mi_dropped_nats": mi_out, "mi_ratio": mi_ratio, "q_squared": q**2,
        "mi_relative_error": mi_error, "mi_tolerance": mi_tolerance, "mi_condition": condition,
        "atom_at_zero": bool(np.any(values == 0.0)), "law_correlation": law, "alternative_correlation": alternative,
        "separation": separation,
    }
    return Result(
        predicted=predicted, measured=measured, error=corr_error, tolerance=corr_tolerance,
        outcome=outcome, reason=reason,
        arrays={**dict(arrays), "mi_table": table, "mi_values": values, "mi_joint_dropped": joint},
        details=details,
    )


def plot(config: DropoutDecorrelationConfig, result: Result, path) -> None:
    d = result.details
    fig, axes = figure(1, 2)
    q = np.linspace(0.05, 1.0, 50)
    axes[0, 0].plot(q, q * RHO, "k:", label="q·ρ")
    axes[0, 0].errorbar([config.keep_prob], [d["corr_dropped"]], yerr=[d["corr_tolerance"]], fmt="o", label="measured")
    axes[0, 0].set_xlabel("keep probability q")
    axes[0, 0].set_ylabel("corr(δ₁X, δ₂Y)")
    axes[0, 0].legend()
    axes[0, 0].set_title(f"{config.distribution}, mean {config.mean}: {result.outcome.upper()}")
    axes[0, 1].plot(q, q**2, "k:", label="q²")
    axes[0, 1].plot([config.keep_prob], [d["mi_ratio"]], "o", label="exact table")
    axes[0, 1].set_xlabel("keep probability q")
    axes[0, 1].set_ylabel("I(δ₁X;δ₂Y)/I(X;Y)")
    axes[0, 1].legend()
    fig.savefig(path, dpi=110)


CHECK = register(
    Check(
        name="dropout_decorrelation",
        statement="After zero-mean inputs, dropout with keep probability q multiplies correlation by q and "
                  "(without an atom at 0) mutual information by q².",
        source="Chen et al., arXiv:1905.05928 (IC layer) (shared/THEORY.md §14)",
        config_type=DropoutDecorrelationConfig,
        run=None,
        plot=plot,
        negative_controls=({"mean": 2.0}, {"distribution": "relu"}),
        needs_x64=True,
        quick={"samples": 100_000},
        data_keys=("keep_prob", "mean"),
        simulate=simulate,
        verdict=verdict,
    )
)
