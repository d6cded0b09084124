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
    Mutant("nb-operator-limit-loosened", P, "limit = 2 * KERNEL**2 * w.shape[2] * EPS", "limit = 20 * KERNEL**2 * w.shape[2] * EPS",
           "the operator mismatch limit loosened 10x", tests=T),
]
