"""Verdict weakenings of edge_of_stability (scripts/mutation_campaign.py --check edge_of_stability)."""

from mutation_campaign import Mutant

P = "theorycheck/checks/edge_of_stability.py"
T = ("-n", "0", "theory_tests/test_verdict_edge_of_stability.py", "theory_tests/test_checks.py", "-k", "edge_of_stability and not property")

MUTANTS = [
    Mutant("veos-abs-dropped", P, "error = float(np.max(np.abs(post - 1.0)))", "error = float(np.max(post - 1.0))",
           "a sharpness below the band never counts", tests=T),
    Mutant("veos-worst-to-best", P, "error = float(np.max(np.abs(post - 1.0)))", "error = float(np.min(np.abs(post - 1.0)))",
           "the best record instead of the worst", tests=T),
    Mutant("veos-median-low-dropped", P, "    if not MEDIAN_BAND[0] <= median <= MEDIAN_BAND[1]:",
           "    if not median <= MEDIAN_BAND[1]:", "a median below 0.97·2/η accepted", tests=T),
    Mutant("veos-loss-fall-vs-max", P, "np.min(late) < LOSS_FALL * np.min(early)", "np.min(late) < LOSS_FALL * np.max(early)",
           "the loss fall measured from the early maximum", tests=T),
    Mutant("veos-divergence-excused", P, "            outcome.update(outcome=FAIL,", "            outcome.update(outcome=INCONCLUSIVE,",
           "a divergence from below 2/η excused as inconclusive", tests=T),
    Mutant("veos-crossing-at-peak", P, "crossing_step = float(steps_of_records[np.argmax(ratio >= 1.0)])",
           "crossing_step = float(steps_of_records[np.argmax(ratio)])", "the window starts after the peak, not the crossing",
           tests=T),
    Mutant("veos-transient-doubled", P, "window = steps_of_records >= crossing_step + config.transient * config.steps\n    post",
           "window = steps_of_records >= crossing_step + 2 * config.transient * config.steps\n    post",
           "the transient doubled (more of the run excused)", tests=T),
]
