"""One-line weakenings of equal_layer_norms' verdict (run: mutation_campaign.py --check equal_layer_norms)."""

from mutation_campaign import Mutant

P = "theorycheck/checks/equal_layer_norms.py"
T = ("-n", "0", "theory_tests/test_verdict_equal_layer_norms.py", "theory_tests/test_square_loss.py", "-k", "equal_layer_norms")

MUTANTS = [
    Mutant("eln-tolerance-loosened", P, "TOLERANCE = 1e-3", "TOLERANCE = 1e-2", "the 1e-3 spread tolerance loosened 10x", tests=T),
    Mutant("eln-flow-criterion-dropped", P, "    elif flow_error > FLOW_TOLERANCE:", "    elif False:",
           "the flow's balancedness law never judged", tests=T),
    Mutant("eln-horizon-branch-removed", P, "    elif math.isfinite(t_star) and config.steps < t_star:", "    elif False:",
           "a run shorter than the derived horizon T* judged anyway", tests=T),
    Mutant("eln-flow-best-case", P, "np.max(np.abs(flow_d - predicted_d))", "np.min(np.abs(flow_d - predicted_d))",
           "the flow's deviation taken at its best record instead of its worst", tests=T),
    Mutant("eln-flow-abs-dropped", P, "np.max(np.abs(flow_d - predicted_d))", "np.max(flow_d - predicted_d)",
           "a deviation below the predicted D(t) never counts", tests=T),
    Mutant("eln-diverged-ignored", P, "    if bool(arrays[\"gd_diverged\"]) or not np.all(np.isfinite(final)):", "    if False:",
           "a diverged GD run judged as data", tests=T),
    Mutant("eln-collapse-branch-removed", P, "    elif collapsed:", "    elif False:",
           "a collapse to W = 0 judged as data (0/0)", tests=T),
    Mutant("eln-horizon-halved", P, "/ (-2 * math.log1p(-2 * lr * lam))", "/ (-4 * math.log1p(-2 * lr * lam))",
           "the derived horizon T* half as long", tests=T),
]
