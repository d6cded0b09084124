"""Verdict weakenings of deep_gd_convergence (run: mutation_campaign.py --check deep_gd_convergence)."""

from mutation_campaign import Mutant

P = "theorycheck/checks/deep_gd_convergence.py"
T = ("theory_tests/test_verdict_deep_gd_convergence.py",)

MUTANTS = [
    Mutant("dgc-rate-slack-10x", P, "RATE_SLACK = 1e-9", "RATE_SLACK = 1e-8", "the rate-bound slack loosened 10x", tests=T),
    Mutant("dgc-width-edge-loosened", P, "WIDTH_SLOPE_MAX = -0.35", "WIDTH_SLOPE_MAX = -0.15",
           "the width-slope edge loosened", tests=T),
    Mutant("dgc-depth-edge-loosened", P, "DEPTH_SLOPE_MAX = 0.5", "DEPTH_SLOPE_MAX = 1.0",
           "the depth-slope edge loosened to linear growth", tests=T),
    Mutant("dgc-se-z-loosened", P, "SLOPE_Z = 3.0", "SLOPE_Z = 30.0", "a slope excused at 30 standard errors", tests=T),
    Mutant("dgc-se-ignored", P, "    if not np.isfinite(slope) or not distance <= SLOPE_Z * se:", "    if True:",
           "every slope beyond its edge fails, its standard error ignored", tests=T),
    Mutant("dgc-rate-best-step", P, "error = float(np.max(ratios[:, 1:])) - 1.0", "error = float(np.min(ratios[:, 1:])) - 1.0",
           "the rate bound's worst step replaced by the best", tests=T),
    Mutant("dgc-divergence-ignored", P, "    if np.any(w[\"diverged\"]) or np.any(d[\"diverged\"]):", "    if False:",
           "a divergence not read as a failure", tests=T),
    Mutant("dgc-singular-ignored", P, "    singular = bool(np.any(lam_min <= SINGULAR * lam_max))", "    singular = False",
           "a singular Gram judged as if the hypothesis held", tests=T),
]
