"""Verdict weakenings of soft_confusion (scripts/mutation_campaign.py --check soft_confusion)."""

from mutation_campaign import Mutant

P = "theorycheck/checks/soft_confusion.py"
T = ("-n", "0", "theory_tests/test_verdict_soft_confusion.py", "theory_tests/test_soft_confusion.py")

MUTANTS = [
    Mutant("vsc-margin-over-r", P, "margin = quantile * spread / math.sqrt(r)", "margin = quantile * spread / r",
           "the paired-gain margin /R instead of /√R", tests=T),
    Mutant("vsc-confidence-loosened", P, "CONFIDENCE = 0.95", "CONFIDENCE = 0.75",
           "the one-sided bound at 75% instead of 95%", tests=T),
    Mutant("vsc-worse-branch-removed", P, '    elif f1_claim == "worse":', "    elif False:",
           "a decidedly worse soft-F1 passes", tests=T),
    Mutant("vsc-increasing-any", P, "increasing = bool(np.all(differences > 0))",
           "increasing = bool(np.any(differences > 0))", "strictly increasing: all → any", tests=T),
    Mutant("vsc-endpoint-sentence-dropped", P, "    if endpoints > EXACT_TOLERANCE:", "    if False:",
           "the endpoint criterion's failure sentence dropped", tests=T),
    Mutant("vsc-partition-abs-dropped", P,
           "partition = float(np.max(np.abs(np.stack([soft[..., 0] + soft[..., 1], soft[..., 2] + soft[..., 3]], -1)",
           "partition = float(np.max((np.stack([soft[..., 0] + soft[..., 1], soft[..., 2] + soft[..., 3]], -1)",
           "a partition sum below the count never counts", tests=T),
    Mutant("vsc-divergence-ignored", P, "    if diverged:", "    if False:", "a diverged run's F1 judged", tests=T),
    Mutant("vsc-slope-worst-to-best", P,
           "slope_error = float(np.max(np.abs(min_fd_slope - min_slope) / min_slope))",
           "slope_error = float(np.min(np.abs(min_fd_slope - min_slope) / min_slope))",
           "the best threshold's slope error instead of the worst", tests=T),
]
