"""Verdict weakenings of edge_of_stability (scripts/mutation_campaign.py --check edge_of_stability)."""

from mutation_campaign import Mutant

P = "theorycheck/checks/edge_of_stability.py"
T = ("-n", "0", "theory_tests/test_verdict_edge_of_stability.py", "theory_tests/test_checks.py", "-k",
     "edge_of_stability and not property and not default and not negative and not long_run and not divergence and not flow")

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
    Mutant("veos-crossing-at-peak", P, "crossing_step = float(steps_of_records[np.argmax(edge >= 1.0)])",
           "crossing_step = float(steps_of_records[np.argmax(edge)])", "the window starts after the peak, not the crossing",
           tests=T),
    Mutant("veos-transient-doubled", P, "window = steps_of_records >= crossing_step + config.transient * config.steps\n    post",
           "window = steps_of_records >= crossing_step + 2 * config.transient * config.steps\n    post",
           "the transient doubled (more of the run excused)", tests=T),
    # momentum and adaptive methods (issue 15)
    Mutant("veos-gd-threshold-ignored", P, 'return float(bounds.eos_threshold(lr)), own, "2/η"',
           'return own, own, "2/η"', "threshold=gd compares with the optimizer's own threshold anyway", tests=T),
    Mutant("veos-raw-ignored", P, 'if adaptive and config.sharpness == "preconditioned":', "if adaptive:",
           "sharpness=raw still compares the preconditioned sharpness", tests=T),
    Mutant("veos-beta-dropped", P, 'beta if config.optimizer in ("heavy_ball", "nesterov", "adam") else 0.0',
           "0.0", "the momentum β left out of the own threshold (2/η for every method)", tests=T),
    Mutant("veos-crossing-on-compared", P, "edge = ratio if edge_ratio is None else edge_ratio", "edge = ratio",
           "the crossing taken from the compared series, not the optimizer's own quantity", tests=T),
    Mutant("veos-approach-anywhere", P, "if (2 * tail.size >= post.size and", "if (tail.size >= 0 and",
           "an approach from below excused even when it ends late in the window", tests=T),
    Mutant("veos-approach-head-unchecked", P, "and float(np.median(head)) < MEDIAN_BAND[0]", "and True",
           "a dip after the return excused as an approach", tests=T),
    Mutant("veos-approach-above-allowed", P, "if np.any(below) and not np.any(above):", "if np.any(below):",
           "an approach excused although a record lies above the band", tests=T),
    Mutant("veos-initial-record-zero", P, "initial = float(stable[finite][0]) if np.any(finite) else float(\"inf\")",
           "initial = float(stable[0])", "the NaN record before Adam's first update taken as the initial sharpness",
           tests=T),
]
