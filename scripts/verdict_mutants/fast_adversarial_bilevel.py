"""Verdict weakenings of fast_adversarial_bilevel (scripts/mutation_campaign.py --check fast_adversarial_bilevel)."""

from mutation_campaign import Mutant

P = "theorycheck/checks/fast_adversarial_bilevel.py"
T = ("-n", "0", "theory_tests/test_verdict_fast_adversarial_bilevel.py")

MUTANTS = [
    Mutant("vfab-i-tol-10x", P, "        tols.append(2 * gamma + 2 * HIGHS_TOL", "        tols.append(20 * gamma + 2e9 * HIGHS_TOL",
           "(i)'s value tolerance loosened", tests=T),
    Mutant("vfab-i-max-to-min", P, "        if ratio.max() > 1.0:", "        if ratio.min() > 1.0:",
           "(i) fails only if every sample's gap exceeds its tolerance", tests=T),
    Mutant("vfab-ii-tol-10x", P, "    tol_bat = 8 * U *", "    tol_bat = 80 * U *",
           "(ii)'s FAST-BAT tolerance loosened 10x", tests=T),
    Mutant("vfab-ii-abs-dropped", P, "np.max(np.abs(a[\"delta_at\"][i] - qp_at)[keep], initial=0.0)",
           "np.max((a[\"delta_at\"][i] - qp_at)[keep], initial=0.0)", "(ii) a FAST-AT step below BVLS never counts", tests=T),
    Mutant("vfab-iii-tol-10x", P, "    tol_ig = 8 * U", "    tol_ig = 80 * U",
           "(iii)'s tolerance loosened 10x", tests=T),
    Mutant("vfab-iii-train-dropped", P, "        if err_train > tol_ig:", "        if False:",
           "the training gradient's comparison dropped", tests=T),
    Mutant("vfab-inactive-branch-removed", P, "    if frac_inactive < MIN_INACTIVE:", "    if False:",
           "a vacuous implicit-gradient identity judged anyway", tests=T),
    Mutant("vfab-trend-lower-to-mean", P, "        elif m - h > 0:", "        elif m > 0:",
           "the trend passes on its mean, without the interval", tests=T),
]
