"""Isometry and curvature: the Fisher's top eigenvalue is bounded by the Jacobians' spectral norms.

**Statement** (Sokół & Park, "Information Geometry of Orthogonal Initializations and Training",
ICLR 2020, arXiv:1810.03785, §3; the arXiv title later became "…and Buffer Insertions"). For a
tanh network ``h^α = W^α x^{α−1} + b^α``, ``x^α = φ(h^α)`` (α = 1..L), readout
``h^g = W^g x^L``, with a Gaussian output (``H_g = ∇²_{h^g} log p = −I``) the Fisher of the
hidden parameters ``θ = (W^α, b^α)_α`` averaged over inputs is ``F̄ = (1/n)Σ_i J_iᵀJ_i``. Its
block for layer α at one input is ``(x^{α−1}ᵀ ⊗ I)``-structured (their eq. 8–10), and

    λ_max(F̄) <= (1/n) Σ_i σ_max(J_{h^1}^{h^g}(x_i))² · Σ_α (‖x_i^{α−1}‖² + 1)          (link)

the paper's "Theorem (Bound on the Fisher Information Eigenvalues)": a block-Gershgorin bound
whose every term is at most quadratic in the spectral radius of the Jacobian J_{h^1}^{h^g}
("the FIM maximum eigenvalue is upper bounded by a quadratic function of the spectral radius of
the input-output Jacobian"), under their mean-field Assumption 1 and Assumption 2 (the maximum
singular value of J_{h^α}^{h^g} increases as α ↓ 1). Its exact, finite-width core needs neither:

    λ_max(F̄) <= (1/n) Σ_i Σ_α λ_max(G_{α,i}) = (1/n) Σ_i Σ_α (‖x_i^{α−1}‖² + 1)·σ_max(J_{h^α}^{h^g}(x_i))²   (bound)

(convexity of λ_max over the average, then Weyl's inequality over the layer blocks ``G_{α,i} =
J_{θ_α}J_{θ_α}ᵀ``; the weight block's Gram is ``‖x^{α−1}‖²`` times the bias block's, eq. 9–10).
(link) follows from (bound) where Assumption 2 holds per sample. The paper's numerical claims:
at initialisation λ_max(F̄) covaries with σ_max²(J) (Pearson 0.64–0.65 across q*, their Fig. 2),
and highly isometric (orthogonal) networks "have a lower FIM condition number".

**Verified with the search tool** (corpus ``code``: the ICLR 2020 OpenReview text, "Anonymous
authors", 49,663 characters): the network and eq. 1–5 (q*, χ = σ_w²∫φ'(√q* h)²dμ), the FIM
definition eq. 6–8 with H_g, eq. 9–10 (``x^{α−1}ᵀ⊗I`` and ``I`` blocks), Lemmas 1–3, the
informal block-Gershgorin Proposition 1, Assumption 2 verbatim, the unnumbered Theorem (two
cases: ‖E x⁰‖ <= 1 the b¹ block dominates, else vec(W¹)), the remark bounding the diagonal
blocks by ``E[λ_max(H_g)]·E[σ_max(J_{h^α}^{h^g})]²``, ρ = 0.65 (Fig. 2 caption) / 0.64 (text),
q* ∈ {1e-4, 1/64, 1/2, 8} at N = 400, L = 200. Not verified: Appendix A.2–A.3 (the rigorous
Gershgorin statement and Lemma 3's proof) are not in the stored text. The theorem is stated for
expectations over random networks in the mean-field limit; this check tests the per-network,
finite-width forms above (no expectation, no N → ∞), which is stronger for (bound) (a theorem
for every network) and an honest per-network test of (link).

**Setup.** For each depth L in ``depths``, each q* in ``q_stars``, each init (orthogonal,
Gaussian) and ``replicas`` draws: ``models.mlp`` (tanh, width N = ``width``, L hidden layers,
``outputs`` linear outputs) with weights σ_w·(Haar-orthogonal or N(0, 1/N)) and biases
N(0, σ_b²); (σ_w², σ_b²) = :func:`bounds.tanh_critical_point` (q*) (χ = 1, the critical line),
σ_w² times ``sigma_w2_scale`` (1 = critical). ``samples`` inputs of squared norm
N(q* − σ_b²)/σ_w² (so q¹ = q*), the same directions for every net (paired comparisons). The
readout is fixed (not in θ, as in the paper). Measured, float64, never a P × P matrix:
λ_max(F̄) by Lanczos on Fisher-vector products (``dynamics.top_fisher_eigenvalues``, JVP + VJP,
``lanczos_iterations`` products); the block Grams at each input (``dynamics.fisher_block_grams``,
d_out × d_out, one transposed linearisation per output) giving σ_max(J_{h^α}^{h^g})² (bias
block), ‖x^{α−1}‖² + 1 (weight-to-bias trace ratio), tr F̄ exactly (the sum of their traces,
the same number as ``dynamics.fisher_trace``) and, with the input treated as one more block,
σ_max(J_{x⁰}^{h^g})² (the quantity of the paper's Fig. 2, details only). The bounds: :func:`bounds.sokol20_fisher_bounds`.

**Criteria and tolerances.**

* *bound* (exact): max over nets of λ_max/B_layers − 1 <= 1e-9. Derived: Lanczos with full
  re-orthogonalisation and the d_out × d_out eigensolvers are backward stable, relative error
  ≲ m·ε ≈ 33·2.2e-16 ≈ 7e-15 on λ and ≲ L·d_out·ε on B; 1e-9 leaves 1e4 headroom. The Ritz
  value never exceeds λ_max (interlacing), so an unconverged estimate could only pass falsely:
  it is *inconclusive* unless residual <= 1e-8·λ (``lanczos_iterations >= samples·outputs + 1``
  spans the Fisher's range, rank <= n·d_out, and makes it exact).
* *link* (the paper's theorem, the main comparison): error = max over nets of λ_max/B_io,
  tolerance 1 + 1e-9 (the same round-off; no slack: the claim is an inequality).
* *orthogonal better conditioned*: κ = λ_max/(tr F̄/r), r = n·d_out >= rank (the top over the
  mean of the at most r nonzero eigenvalues; over all P eigenvalues it would be infinite, most
  are 0). Paired by (depth, q*, replica), k of the m pairs have κ_orth < κ_gauss. A one-sided
  sign test at level 0.01 (derived, no effect size assumed: under "no difference" k ~ Bin(m, ½)):
  pass if P(Bin(m,½) >= k) <= 0.01, fail if P(Bin(m,½) >= m − k) <= 0.01 (Gaussian significantly
  better conditioned), else inconclusive (raise replicas). m >= 7 is needed to decide at all.

Measured (seed 0, defaults, 18 nets): λ_max/B_io 0.17–0.56, λ_max/B_layers 0.18–0.56, Lanczos
relative residual 9e-16, κ_orth 1.7–4.6 vs κ_gauss 2.3–7.2 (9/9 pairs, p = 0.002); Pearson
correlation of log λ_max with log σ_max²(J_{x⁰}^{h^g}) 0.78 (the paper's Fig. 2: 0.64–0.65;
details only: across depth λ_max also grows with Σ_α‖x^{α−1}‖², which σ_max(J) does not see).

**Negative control.** ``sigma_w2_scale=0.5``: σ_w² halved off the critical line (ordered phase,
χ ≈ ½). Assumption 2 is then reversed (the layer-to-output Jacobians shrink toward the input,
σ_max(J_{h^1}) ≪ σ_max(J_{h^L})) and the link fails at depths 4 and 8: λ_max/B_io up to 2.0 (L = 4)
and 18.9 (L = 8, seeds 0 and 1), while the exact bound still holds (λ_max/B_layers <= 0.94), the
orthogonal nets stay better conditioned (9/9) and the λ_max–σ_max²(J_{x⁰}) correlation drops to
0.07. The failure is decided by the simulated Jacobians, not by construction.

**Why the ranges are narrow.** ``depths`` <= 8 with ``width`` >= 64 (L/N <= 1/8): at L = 16,
N = 64 a Gaussian net's per-network Jacobians fluctuate beyond Assumption 2 on the critical line
(measured λ_max/B_io = 1.56 at q* = 1e-3, 1.02 at q* = 1/64, one draw of two), i.e. the
per-network form of a mean-field statement fails where the finite-width fluctuations of Gaussian
products (s_max² ~ e·L, Pennington et al. 2017) are large; orthogonal nets stayed <= 0.94 there.
``sigma_w2_scale`` >= 0.9 is where the theorem's hypotheses (near criticality) hold; below it
the scale is a hypothesis switch (the control). ``q_stars`` in [1e-3, 2]. ``outputs`` >= 2: with
one output the nonzero Fisher spectrum is the n × n NTK Gram, where orthogonal and Gaussian
nets were indistinguishable (range search: κ_orth < κ_gauss in 5/9 pairs at two seeds, p = 0.5);
the link and the exact bound held there too.
"""

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np

from theorycheck import bounds
from theorycheck import dynamics
from theorycheck import models
from theorycheck._check import Check, Result, config_field, decide, register

from ._common import figure

ROUND_OFF = 1e-9  # relative: λ_max vs the bounds (derived in the docstring)
LANCZOS_RTOL = 1e-8  # residual <= this·λ counts as converged
SIGN_LEVEL = 0.01  # one-sided sign test level for the conditioning comparison
INITS = ("orthogonal", "gaussian")
MAX_REPLICAS = 8  # the top of the replicas range


@dataclasses.dataclass(frozen=True)
class IsometryCurvatureConfig:
    depths: tuple = config_field((2, 4, 8), low=1, high=8, help="hidden-layer counts L (<= 8 at width >= 64: "
                                 "L/N <= 1/8, see the docstring)")
    q_stars: tuple = config_field((1 / 64, 0.25, 1.0), low=1e-3, high=2.0,
                                  help="pre-activation variance fixed points q* (the critical line's parameter)")
    width: int = config_field(64, low=64, high=128, help="hidden width N")
    samples: int = config_field(8, low=4, high=32, help="inputs n the Fisher averages over")
    outputs: int = config_field(4, low=2, high=8, help="linear outputs d_out (Gaussian output, H_g = I)")
    replicas: int = config_field(1, low=1, high=8, help="networks per (depth, q*, init)")
    lanczos_iterations: int = config_field(33, low=8, high=300,
                                           help="Fisher-vector products per λ_max (>= samples·outputs + 1: exact)")
    sigma_w2_scale: float = config_field(1.0, low=0.25, high=4.0,
                                         help="σ_w² as a multiple of its critical value (1: χ = 1; "
                                              "0.5 is the negative control, the ordered phase)")

    def validate(self):
        if len(set(self.depths)) != len(self.depths) or len(set(self.q_stars)) != len(self.q_stars):
            raise ValueError(f"depths and q_stars must not repeat values (got depths={self.depths}, "
                             f"q_stars={self.q_stars}); e.g. --set depths=2,4,8")


def _grid(config):
    """(depth, q*, init, replica) for every net, in the order ``simulate`` stacks them."""
    return [(d, q, init, r) for d in config.depths for q in config.q_stars for init in INITS
            for r in range(config.replicas)]


def _net_measurements(net, params, inputs, key, config, max_depth):
    hidden, readout = params[:-1], params[-1]

    def apply(theta, x):
        return net.apply([*theta, readout], x)

    observer = dynamics.top_fisher_eigenvalues(apply, inputs, num_iterations=config.lanczos_iterations,
                                               rtol=LANCZOS_RTOL)
    record, _ = observer.observe(hidden, observer.init(hidden, key), key)
    # one transposed linearisation per output gives every block Gram, the input's included:
    # the input block's Gram is J_(x⁰)J_(x⁰)ᵀ (the paper's Fig. 2 quantity σ_max(J_(x⁰→h^g))²)
    grams, input_gram = jax.vmap(lambda x: dynamics.fisher_block_grams(
        lambda p, _: apply(p[0], p[1][None, :]), (hidden, x), x))(inputs)
    layers = jnp.stack([g["w"] + g["b"] for g in grams])  # (L, n, d_out, d_out)
    biases = jnp.stack([g["b"] for g in grams])
    # one batched eigensolve for every Gram (the layer blocks, the bias blocks, the input's)
    tops = jnp.linalg.eigvalsh(jnp.concatenate([layers, biases, input_gram[None]]))[..., -1]
    depth = layers.shape[0]
    block, jac, io = tops[:depth].T, tops[depth:2 * depth].T, tops[-1]  # (n, L), (n, L), (n,)
    layer_traces = jnp.trace(layers, axis1=2, axis2=3)  # (L, n)
    act = (layer_traces / jnp.trace(biases, axis1=2, axis2=3)).T  # ‖x^(α−1)‖² + 1
    # tr F̄ = (1/n) Σ_i Σ_blocks tr(J_B J_Bᵀ): the exact trace from the same Grams
    trace = jnp.mean(jnp.sum(layer_traces, axis=0))
    pad = ((0, 0), (0, max_depth - block.shape[1]))  # zero columns leave every sum unchanged
    return {"lam": record["eigenvalues"][0], "residual": record["residuals"][0], "trace": trace,
            "block_tops": jnp.pad(block, pad), "jacobian_tops": jnp.pad(jac, pad),
            "activation_norms": jnp.pad(act, pad), "io_top": jnp.mean(io)}


def simulate(config: IsometryCurvatureConfig, data, key):
    n, width, max_depth = config.samples, config.width, max(config.depths)
    key_x, key_nets, key_lanczos = jax.random.split(key, 3)
    directions = jax.random.normal(key_x, (n, width))
    directions = directions / jnp.linalg.norm(directions, axis=1, keepdims=True)
    critical = [bounds.tanh_critical_point(float(q)) for q in config.q_stars]
    # one entry per net of a depth, in _grid's order (q*, init, replica)
    per_depth = [(qi, ii) for qi in range(len(config.q_stars)) for ii in range(len(INITS)) for _ in range(config.replicas)]
    q_star = jnp.asarray([config.q_stars[qi] for qi, _ in per_depth])
    sigma_w2 = jnp.asarray([critical[qi][0] for qi, _ in per_depth]) * data["sigma_w2_scale"]
    sigma_b2 = jnp.asarray([critical[qi][1] for qi, _ in per_depth])
    out = []
    for depth in config.depths:
        nets = [models.mlp([width] * (depth + 1) + [config.outputs], "tanh", init=init, bias_std=1.0) for init in INITS]
        keys = jax.random.split(jax.random.fold_in(key_nets, depth), len(per_depth))
        # both inits drawn for every key (cheap), the net's own kept: one stacked batch per depth
        # lax.map, not vmap: a batched float64 QR (the orthogonal init) deadlocks XLA's CPU runtime
        # (as in dynamical_isometry; jax 0.10.2)
        drawn = [jax.lax.map(net.init, keys) for net in nets]
        is_gaussian = jnp.asarray([ii for _, ii in per_depth], dtype=bool)
        params = jax.tree.map(
            lambda o, g: jnp.where(is_gaussian.reshape((-1,) + (1,) * (o.ndim - 1)), g, o), *drawn)

        def one(p, sw2, sb2, q, net=nets[0], depth=depth):
            scaled = [{"w": jnp.sqrt(sw2) * layer["w"], "b": jnp.sqrt(sb2) * layer["b"]} for layer in p[:-1]]
            inputs = directions * jnp.sqrt(width * (q - sb2) / sw2)
            return _net_measurements(net, [*scaled, p[-1]], inputs, jax.random.fold_in(key_lanczos, depth),
                                     config, max_depth)

        # lax.map over the nets: under vmap the batched float64 solvers (the Lanczos Ritz eigh) hang
        # XLA's CPU runtime here too (measured: no progress in 10 min at 1% CPU)
        out.append(jax.lax.map(lambda a: one(*a), (params, sigma_w2, sigma_b2, q_star)))
    arrays = {k: jnp.concatenate([o[k] for o in out]) for k in out[0]}
    arrays["sigma_w2"] = jnp.tile(sigma_w2, len(config.depths))
    return arrays


def _binomial_tail(m: int, k: int) -> float:
    """P(Bin(m, ½) >= k)."""
    return sum(math.comb(m, j) for j in range(max(k, 0), m + 1)) / 2.0**m


def _replicas_needed(config, k, m) -> int:
    """Replicas at which the observed fraction k/m would pass the sign test (capped search)."""
    per = len(config.depths) * len(config.q_stars)
    frac = k / m if m else 1.0
    for replicas in range(config.replicas + 1, MAX_REPLICAS + 1):
        mm = per * replicas
        if _binomial_tail(mm, math.ceil(frac * mm)) <= SIGN_LEVEL:
            return replicas
    return None


def verdict(config: IsometryCurvatureConfig, data, arrays) -> Result:
    grid = _grid(config)
    lam, residual, trace = (np.asarray(arrays[k], dtype=float) for k in ("lam", "residual", "trace"))
    rank = config.samples * config.outputs
    layer_bound, input_bound = np.array([
        bounds.sokol20_fisher_bounds(arrays["block_tops"][g], arrays["jacobian_tops"][g], arrays["activation_norms"][g])
        for g in range(len(grid))]).T
    bound_ratio, link_ratio = lam / layer_bound, lam / input_bound
    kappa = lam * rank / trace
    inconclusive, failed = [], []
    finite = all(np.all(np.isfinite(np.asarray(arrays[k], dtype=float)))
                 for k in ("lam", "residual", "trace", "block_tops", "jacobian_tops", "activation_norms"))
    if not finite or not np.all(input_bound > 0):
        inconclusive.append("non-finite or vanishing Fisher / Jacobian measurements (float64 overflow or underflow); "
                            "keep sigma_w2_scale within [0.9, 2] and depths <= 8")
    unconverged = ~(residual <= LANCZOS_RTOL * np.abs(lam))
    if finite and unconverged.any():
        inconclusive.append(
            f"Lanczos not converged on {int(unconverged.sum())} of {lam.size} nets (max residual/λ "
            f"{np.max(residual / np.abs(lam)):.2g} > {LANCZOS_RTOL:g}); raise lanczos_iterations to >= {rank + 1}")
    pairs = [(g, g + config.replicas) for g, (_, _, init, _) in enumerate(grid) if init == "orthogonal"]
    orth_better = int(sum(kappa[a] < kappa[b] for a, b in pairs))
    m = len(pairs)
    p_orth, p_gauss = _binomial_tail(m, orth_better), _binomial_tail(m, m - orth_better)
    bound_error = float(np.max(bound_ratio) - 1.0)
    link_error = float(np.max(link_ratio))
    if not inconclusive:
        if bound_error > ROUND_OFF:
            worst = int(np.argmax(bound_ratio))
            failed.append(f"exact layer bound violated: λ_max(F̄)/Σ_α(‖x^(α−1)‖²+1)σ_max(J_(h^α))² = "
                          f"{bound_ratio[worst]:.6g} > 1 at (L, q*, init) = {grid[worst][:3]}")
        if link_error > 1.0 + ROUND_OFF:
            worst = int(np.argmax(link_ratio))
            failed.insert(0, f"Jacobian link violated: λ_max(F̄) = {lam[worst]:.4g} exceeds the input-Jacobian "
                             f"bound σ_max(J_(h^1))²·Σ_α(‖x^(α−1)‖²+1) = {input_bound[worst]:.4g} "
                             f"(ratio {link_ratio[worst]:.3g}) at (L, q*, init) = {grid[worst][:3]}")
        if p_gauss <= SIGN_LEVEL:
            failed.append(f"orthogonal nets are not better conditioned: κ = λ_max/(tr F̄/r) is smaller for "
                          f"orthogonal init in only {orth_better}/{m} pairs (sign test p = {p_gauss:.3g} for Gaussian)")
        elif p_orth > SIGN_LEVEL:
            needed = _replicas_needed(config, orth_better, m)
            remedy = (f"raise replicas to >= {needed}" if needed is not None else
                      f"raise replicas to {MAX_REPLICAS} and use depths >= 4 with q_stars <= 1/64, where the "
                      "orthogonal–Gaussian gap is widest")
            inconclusive.append(
                f"conditioning comparison undecided: κ_orth < κ_gauss in {orth_better}/{m} pairs (sign test "
                f"p = {p_orth:.3g} > {SIGN_LEVEL}); {remedy}")
    outcome, reason = decide(link_error, 1.0 + ROUND_OFF, fail_reasons=failed, inconclusive_reasons=inconclusive,
                             what="max λ_max(F̄)/[σ_max(J_(h^1))²·Σ_α(‖x^(α−1)‖²+1)] (Jacobian link)")
    if outcome == "pass":
        reason += (f"; exact layer bound holds (max ratio {np.max(bound_ratio):.3g}); orthogonal better conditioned in "
                   f"{orth_better}/{m} pairs (sign test p = {p_orth:.3g})")
    io_top = np.asarray(arrays["io_top"], dtype=float)
    with np.errstate(all="ignore"):
        correlation = float(np.corrcoef(np.log(lam), np.log(io_top))[0, 1]) if lam.size > 2 else float("nan")
    details = {
        "nets": len(grid), "rank_bound": rank,
        "max_link_ratio": link_error, "min_link_ratio": float(np.min(link_ratio)),
        "max_bound_ratio": float(np.max(bound_ratio)), "min_bound_ratio": float(np.min(bound_ratio)),
        "orthogonal_better_conditioned_pairs": orth_better, "pairs": m,
        "sign_test_p_orthogonal": p_orth, "sign_test_p_gaussian": p_gauss,
        "kappa_orthogonal": [float(kappa[a]) for a, _ in pairs],
        "kappa_gaussian": [float(kappa[b]) for _, b in pairs],
        "lambda_max": [float(v) for v in lam],
        "link_ratios": [float(v) for v in link_ratio],
        "max_lanczos_relative_residual": float(np.max(residual / np.abs(lam))) if finite else None,
        "pearson_log_lambda_vs_log_smax2_io": correlation,
        "lambda_orthogonal_smaller_pairs": int(sum(lam[a] < lam[b] for a, b in pairs)),
    }
    out = {k: np.asarray(v) for k, v in arrays.items()}
    out.update(layer_bound=layer_bound, input_bound=input_bound, kappa=kappa,
               depth=np.array([g[0] for g in grid]), q_star=np.array([g[1] for g in grid]),
               orthogonal=np.array([g[2] == "orthogonal" for g in grid]))
    return Result(predicted=float(input_bound[int(np.argmax(link_ratio))]), measured=float(lam[int(np.argmax(link_ratio))]),
                  error=link_error, tolerance=1.0 + ROUND_OFF, outcome=outcome, reason=reason, arrays=out,
                  details=details)


def _draw_bounds(ax, a, title):
    lam = np.asarray(a["lam"])
    orth = np.asarray(a["orthogonal"], dtype=bool)
    depth = np.asarray(a["depth"])
    markers = dict(zip(sorted(set(depth.tolist())), "os^Dvp<>"))
    for is_orth, colour in ((True, "C0"), (False, "C3")):
        for d, marker in markers.items():
            sel = (orth == is_orth) & (depth == d)
            if not sel.any():
                continue
            ax.scatter(a["input_bound"][sel], lam[sel], c=colour, marker=marker, s=28,
                       label=f"{'orthogonal' if is_orth else 'Gaussian'}, L = {d}")
            ax.scatter(a["layer_bound"][sel], lam[sel], facecolors="none", edgecolors=colour, marker=marker, s=28)
    both = np.concatenate([a["input_bound"], a["layer_bound"], lam])
    both = both[np.isfinite(both) & (both > 0)]
    if both.size:
        line = np.array([both.min() * 0.8, both.max() * 1.2])
        ax.plot(line, line, "k:", lw=1, label="λ_max = bound")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("bound: filled σ_max(J_(h¹))²·Σ(‖x‖²+1) (link), open Σ_α(‖x‖²+1)σ_max(J_(h^α))² (exact)")
    ax.set_ylabel("λ_max(F̄) (Lanczos)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=6)


def plot(config: IsometryCurvatureConfig, result: Result, path) -> None:
    a = result.arrays
    fig, axes = figure(1, 2, figsize=(12.8, 4.6))
    _draw_bounds(axes[0, 0], a, f"σ_w² = {config.sigma_w2_scale:g}×critical: {result.outcome.upper()}")
    ax = axes[0, 1]
    orth = np.asarray(a["orthogonal"], dtype=bool)
    kappa, depth, q = np.asarray(a["kappa"]), np.asarray(a["depth"]), np.asarray(a["q_star"])
    ax.scatter(kappa[~orth], kappa[orth], c=np.log2(depth[orth]), cmap="viridis", s=30)
    for x, y, qq in zip(kappa[~orth], kappa[orth], q[orth]):
        ax.annotate(f"q*={qq:.3g}", (x, y), fontsize=6)
    top = float(np.nanmax(kappa)) * 1.1 if kappa.size else 1.0
    ax.plot([1, top], [1, top], "k:", lw=1)
    ax.set_xlabel("κ = λ_max/(tr F̄ / n·d_out), Gaussian init")
    ax.set_ylabel("κ, orthogonal init (same depth, q*, replica)")
    ax.set_title("below the diagonal: orthogonal better conditioned (colour: log₂ L)", fontsize=9)
    fig.savefig(path, dpi=110)


def plot_sweep(rows, path) -> None:
    """λ_max(F̄) against the input-Jacobian bound for every net of every record (its kept arrays),
    one panel per record's ``sigma_w2_scale``, or the records' max link ratio where arrays were not kept."""
    keyed = {}
    for r in rows:
        keyed.setdefault(r["config"].get("sigma_w2_scale", 1.0), []).append(r)
    fig, axes = figure(1, len(keyed), figsize=(6.4 * len(keyed), 4.6))
    for ax, (scale, mine) in zip(axes[0], sorted(keyed.items())):
        with_arrays = [r for r in mine if r.get("arrays") and "lam" in r["arrays"]]
        if with_arrays:
            merged = {k: np.concatenate([np.atleast_1d(np.asarray(r["arrays"][k])) for r in with_arrays])
                      for k in ("lam", "input_bound", "layer_bound", "orthogonal", "depth")}
            passed = sum(r["outcome"] == "pass" for r in mine)
            _draw_bounds(ax, merged, f"σ_w² = {scale:g}×critical: {passed}/{len(mine)} records pass")
        else:
            ax.bar(range(len(mine)), [r["details"].get("max_link_ratio", np.nan) for r in mine])
            ax.axhline(1.0, color="k", ls=":")
            ax.set_ylabel("max λ_max/bound (link)")
            ax.set_title(f"σ_w² = {scale:g}×critical", fontsize=9)
    fig.savefig(path, dpi=110)


CHECK = register(
    Check(
        name="isometry_curvature",
        statement="At initialisation the Fisher's λ_max of a critical tanh net is at most σ_max(J_(h¹→out))²·"
                  "Σ_α(‖x^(α−1)‖²+1) (and exactly at most Σ_α(‖x^(α−1)‖²+1)σ_max(J_(h^α→out))²); orthogonal "
                  "nets have a smaller λ_max/mean-eigenvalue than Gaussian ones.",
        source="Sokół & Park, ICLR 2020, arXiv:1810.03785, §3 (Theorem: Bound on the Fisher Information "
               "Eigenvalues; Assumption 2); shared/THEORY.md §12",
        config_type=IsometryCurvatureConfig,
        run=None,
        plot=plot,
        negative_controls=({"sigma_w2_scale": 0.5},),
        needs_x64=True,
        quick={"depths": (4,), "q_stars": (1 / 64,), "samples": 4, "outputs": 2, "replicas": 8,
               "lanczos_iterations": 9},
        # each static corner is a fresh float64 compile of the depth-L program: the costliest run
        # under -m slow (the suite's budget)
        slow_corners=("depths=high", "width=high", "samples=high", "outputs=high", "replicas=high",
                      "lanczos_iterations=high"),
        data_keys=("sigma_w2_scale",),
        simulate=simulate,
        verdict=verdict,
        plot_sweep=plot_sweep,
        sweep_arrays=("lam", "input_bound", "layer_bound", "orthogonal", "depth"),
    )
)
