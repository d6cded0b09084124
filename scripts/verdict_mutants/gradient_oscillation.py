"""Verdict weakenings of gradient_oscillation (scripts/mutation_campaign.py --check gradient_oscillation)."""

from mutation_campaign import Mutant

P = "theorycheck/checks/gradient_oscillation.py"
T = ("-n", "0", "theory_tests/test_verdict_gradient_oscillation.py", "theory_tests/test_checks.py", "-k", "gradient_oscillation")

MUTANTS = [
    Mutant("vosc-all-to-any", P, "settles = bool(tail.size and np.all(sign * tail > -THRESHOLD))",
           "settles = bool(tail.size and np.any(sign * tail > -THRESHOLD))",
           "one tail record below −0.99 suffices", tests=T),
    Mutant("vosc-threshold-10x", P, "THRESHOLD = -0.99  #", "THRESHOLD = -0.9  #",
           "the band 1 + cos <= 0.01 loosened 10x", tests=T),
    Mutant("vosc-formula-tol-10x", P, "formula_tol = 4.0 * kappa**2", "formula_tol = 40.0 * kappa**2",
           "the formula's derived tolerance loosened 10x", tests=T),
    Mutant("vosc-formula-abs-dropped", P, "np.max(np.abs(measured_series[:usable] - exact[:usable]))",
           "np.max(measured_series[:usable] - exact[:usable])",
           "a cosine below the formula never counts", tests=T),
    Mutant("vosc-error-best", P, "error = float(np.max(1.0 - sign * tail)) if tail.size else float(\"nan\")",
           "error = float(np.min(1.0 - sign * tail)) if tail.size else float(\"nan\")",
           "the best tail record instead of the worst", tests=T),
    Mutant("vosc-settle-ignored", P, "    elif settle > tail_start:", "    elif False:",
           "a run too short for the closed form to settle judged anyway", tests=T),
    Mutant("vosc-representable-ignored", P, "& (2.0 * log_norms <= np.log(info.max) - np.log(2.0 * lam.size)))",
           "& (2.0 * log_norms <= np.inf))", "records past the overflow of ‖g‖² kept (the issue's −0.0)", tests=T),
    Mutant("vosc-simulated-cut-dropped", P, "          & simulated_ok[:-1] & simulated_ok[1:])",
           "          )", "the recorded loss does not cut the records", tests=T),
]
