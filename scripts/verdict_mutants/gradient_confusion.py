"""Verdict weakenings of gradient_confusion (run: mutation_campaign.py --check gradient_confusion)."""

from mutation_campaign import Mutant

P = "theorycheck/checks/gradient_confusion.py"
T = ("theory_tests/test_verdict_gradient_confusion.py", "theory_tests/test_gradient_confusion.py")

MUTANTS = [
    Mutant("confusion-bonferroni-dropped", P, "level = ALPHA / k", "level = ALPHA",
           "the Bonferroni correction over the trend comparisons dropped", tests=T),
    Mutant("confusion-reversal-not-failed", P, "        if t <= -critical:", "        if False:",
           "a significant reversal read as undecided", tests=T),
    Mutant("confusion-linear-tolerance-10x", P, "decide(error, LINEAR_TOLERANCE,", "decide(error, 10 * LINEAR_TOLERANCE,",
           "the linear 15% band loosened 10x", tests=T),
    Mutant("confusion-linear-monotone-any", P, "if not np.all(np.diff(mean[np.argsort(widths)]) > 0):",
           "if not np.any(np.diff(mean[np.argsort(widths)]) > 0):", "rise with d checked on any step, not all", tests=T),
    Mutant("confusion-linear-no-se-margin", P, "decidable = bias + 3.0 * relative_se <= LINEAR_TOLERANCE",
           "decidable = bias <= LINEAR_TOLERANCE", "d compared without room for 3 standard errors", tests=T),
    Mutant("confusion-depth-trend-dropped", P, "        if widths[b] <= DEPTH_TREND_MAX_WIDTH:", "        if False:",
           "the depth-trend comparisons dropped", tests=T),
    Mutant("confusion-linear-no-abs", P, "relative_error = np.abs(mean / predicted - 1.0)",
           "relative_error = mean / predicted - 1.0", "the abs dropped: a mean far above the closed form passes", tests=T),
]
MUTANTS += [
    Mutant("confusion-remedy-outside-range", P, "remedy = (f\"raise draws to >= {needed}\" if needed <= DRAWS_MAX else",
           "remedy = (f\"raise draws to >= {needed}\" if True else", "a draws remedy beyond the range's 128", tests=T),
]
