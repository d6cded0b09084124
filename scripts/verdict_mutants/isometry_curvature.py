"""Verdict weakenings of isometry_curvature (scripts/mutation_campaign.py --check isometry_curvature)."""

from mutation_campaign import Mutant

P = "theorycheck/checks/isometry_curvature.py"
T = ("-n", "0", "theory_tests/test_verdict_isometry_curvature.py")

MUTANTS = [
    Mutant("vic-round-off-1e3x", P, "ROUND_OFF = 1e-9", "ROUND_OFF = 1e-6", "the round-off tolerance loosened 1000x",
           tests=T),
    Mutant("vic-link-worst-to-best", P, "link_error = float(np.max(link_ratio))", "link_error = float(np.min(link_ratio))",
           "the best net's link ratio judged instead of the worst", tests=T),
    Mutant("vic-bound-dropped", P, "        if bound_error > ROUND_OFF:", "        if False:",
           "the exact layer bound never fails", tests=T),
    Mutant("vic-gaussian-side-dropped", P, "        if p_gauss <= SIGN_LEVEL:", "        if False:",
           "Gaussian nets significantly better conditioned never fails", tests=T),
    Mutant("vic-sign-level-loosened", P, "SIGN_LEVEL = 0.01", "SIGN_LEVEL = 0.05",
           "the sign test at 5% instead of 1%", tests=T),
    Mutant("vic-lanczos-unchecked", P, "    if finite and unconverged.any():", "    if False:",
           "an unconverged Lanczos estimate passes", tests=T),
    Mutant("vic-nonfinite-ignored", P, "    if not finite or not np.all(input_bound > 0):", "    if False:",
           "non-finite records judged as numbers", tests=T),
]
