"""One-line weakenings of norm_bounds' verdict (run: mutation_campaign.py --check norm_bounds)."""

from mutation_campaign import Mutant

P = "theorycheck/checks/norm_bounds.py"
T = ("-n", "0", "theory_tests/test_verdict_norm_bounds.py", "theory_tests/test_norm_bounds.py")

MUTANTS = [
    Mutant("nb-bound-loosened", P, "        if not gap <= total:", "        if not gap <= 10 * total:",
           "the generalisation bound loosened 10x", tests=T),
    Mutant("nb-operator-check-dropped", P, "        if not mismatch <= limit:", "        if False:",
           "T(w) never compared with the net's conv", tests=T),
    Mutant("nb-deviation-best-case", P, "error, tolerance = max(deviations), min(tolerances)",
           "error, tolerance = min(deviations), min(tolerances)", "the best conv layer instead of the worst", tests=T),
    Mutant("nb-tolerance-widest", P, "error, tolerance = max(deviations), min(tolerances)",
           "error, tolerance = max(deviations), max(tolerances)", "the widest layer tolerance instead of the narrowest",
           tests=T),
    Mutant("nb-abs-dropped", P, "deviations.append(abs(measured - predicted) / predicted)",
           "deviations.append((measured - predicted) / predicted)", "a Toeplitz norm below √P‖w‖ never counts", tests=T),
    Mutant("nb-nonfinite-ignored", P, 'if bool(arrays["mlp_diverged"]) or bool(arrays["conv_diverged"]) or not finite:',
           'if bool(arrays["mlp_diverged"]) or bool(arrays["conv_diverged"]):', "non-finite records judged as data", tests=T),
    Mutant("nb-operator-limit-loosened", P, "limit = 2 * KERNEL**2 * w.shape[-2] * EPS",
           "limit = 20 * KERNEL**2 * w.shape[-2] * EPS", "the operator mismatch limit loosened 10x", tests=T),
    Mutant("nb-kernel-bound-loosened", P, '    if not details["conv_gap"] <= kernel_total:',
           '    if not details["conv_gap"] <= 10 * kernel_total:', "the kernel-norm bound loosened 10x", tests=T),
    Mutant("nb-kernel-bound-degrees-dropped", P, '(arrays["patch_radius"], arrays["patch_rms"], DEGREES) if kernel',
           '(arrays["patch_radius"], arrays["patch_rms"], ()) if kernel',
           "the kernel-norm bound without the sparse layers' √Πk and log k", tests=T),
    Mutant("nb-factor-check-dropped", P, "    if not factor_deviation <= factor_tolerance:", "    if False:",
           "the factor Π√P_l never compared", tests=T),
    Mutant("nb-factor-abs-dropped", P, "factor_deviation = abs(factor - FACTOR) / FACTOR",
           "factor_deviation = (factor - FACTOR) / FACTOR", "a factor below Π√P_l never counts", tests=T),
    Mutant("nb-factor-tolerance-loosened", P,
           "factor_tolerance += ((POSITIONS + 1) * per_neuron / 2 + 3) * EPS",
           "factor_tolerance += 10 * ((POSITIONS + 1) * per_neuron / 2 + 3) * EPS", "the factor tolerance loosened 10x",
           tests=T),
    Mutant("nb-kernel-rho-smallest-filter", P, "filter_max.append(float(np.max(filters)))",
           "filter_max.append(float(np.min(filters)))", "ρ_kernel from the smallest filter norm, not the largest",
           tests=T),
]
