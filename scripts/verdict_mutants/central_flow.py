"""Verdict weakenings of central_flow (scripts/mutation_campaign.py --check central_flow)."""

from mutation_campaign import Mutant

P = "theorycheck/checks/central_flow.py"
T = ("-n", "0", "theory_tests/test_verdict_central_flow.py")

MUTANTS = [
    Mutant("vcf-loss-tol-10x", P, "LOSS_TOL = 0.05  #", "LOSS_TOL = 0.5  #",
           "the loss tolerance loosened 10×", tests=T),
    Mutant("vcf-abs-dropped", P, "errors = np.abs(gd_avg - pred_avg) / pred_avg",
           "errors = (gd_avg - pred_avg) / pred_avg", "a prediction above GD's average never counts", tests=T),
    Mutant("vcf-median-to-min", P, "error, p90 = float(np.median(errors)), float(np.quantile(errors, 0.9))",
           "error, p90 = float(np.min(errors)), float(np.quantile(errors, 0.9))",
           "the best record instead of the median", tests=T),
    Mutant("vcf-p90-dropped", P, "    if not p90 <= P90_FACTOR * LOSS_TOL:", "    if False:",
           "the 90th-percentile criterion dropped", tests=T),
    Mutant("vcf-tracking-dropped", P, "    if not tracking <= TRACK_TOL:", "    if False:",
           "the tracking criterion dropped", tests=T),
    Mutant("vcf-separation-dropped", P, "share < SEPARATION * LOSS_TOL:", "share < 0.0:",
           "the inconclusive branch for a tolerance too wide to separate the claim removed", tests=T),
    Mutant("vcf-lambda2-cut-dropped", P, "    second &= record_steps > crossing\n",
           "    second &= record_steps > steps\n", "the window no longer stops at λ₂'s arrival", tests=T),
    Mutant("vcf-window-one-period", P, "window = int(round(config.periods_per_window * period))",
           "window = int(round(period / 2))", "the average over half a spike period", tests=T),
]
