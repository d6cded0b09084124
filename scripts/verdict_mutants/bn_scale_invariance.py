"""Verdict weakenings of bn_scale_invariance (scripts/mutation_campaign.py --check bn_scale_invariance)."""

from mutation_campaign import Mutant

P = "theorycheck/checks/bn_scale_invariance.py"
T = ("-n", "0", "theory_tests/test_verdict_bn_scale_invariance.py", "theory_tests/test_normalisation.py",
     "-k", "bn_scale_invariance and not cli")

MUTANTS = [
    Mutant("vbn-tolerance-10x", P, "TOLERANCE = 1e-12", "TOLERANCE = 1e-11", "the 1e-12 tolerance loosened 10x", tests=T),
    Mutant("vbn-norm-worst-to-best", P, '"norm": float(norm_error.max())', '"norm": float(norm_error.min())',
           "the best step's norm-identity error instead of the worst", tests=T),
    Mutant("vbn-span-worst-to-best", P, '"span": float(span.max())', '"span": float(span.min())',
           "the span error at its best step (t = 0: always 0)", tests=T),
    Mutant("vbn-residual-abs-dropped", P, 'residual = np.abs(arrays["residual_cosine"])',
           'residual = arrays["residual_cosine"]', "a negative ⟨w, ∇L⟩ cosine never counts", tests=T),
    Mutant("vbn-wrs-abs-dropped", P, "norm_error = np.abs(np.linalg.norm(w[1:], axis=2) - 1.0)",
           "norm_error = np.linalg.norm(w[1:], axis=2) - 1.0", "WRS: a unit norm below 1 never counts", tests=T),
    Mutant("vbn-divergence-ignored", P, '    if bool(arrays["diverged"]):', "    if False:",
           "a diverged run judged as data", tests=T),
    Mutant("vbn-collapse-ignored", P, "    if collapsed:  # ‖w‖ = 0 or ∇L = 0: the relative errors are 0/0", "    if False:",
           "a unit or gradient collapsed to zero judged as data (0/0 → NaN → FAIL)", tests=T),
]
