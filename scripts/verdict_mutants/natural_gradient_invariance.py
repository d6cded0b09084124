"""Verdict weakenings of natural_gradient_invariance (scripts/mutation_campaign.py --check natural_gradient_invariance)."""

from mutation_campaign import Mutant

P = "theorycheck/checks/natural_gradient_invariance.py"
T = ("-n", "0", "theory_tests/test_verdict_natural_gradient_invariance.py")

MUTANTS = [
    Mutant("vngi-band-10x", P, "BAND = 0.25  #", "BAND = 2.5  #", "the slope band loosened 10x", tests=T),
    Mutant("vngi-floor-share-10x", P, "FLOOR_SHARE = 0.05  #", "FLOOR_SHARE = 0.5  #",
           "the damping floor allowed 10x larger", tests=T),
    Mutant("vngi-correction-dropped", P, "    low, high = last - correction, last + correction",
           "    low, high = last, last", "the estimated slope correction ignored (no straddle branch)", tests=T),
    Mutant("vngi-abs-dropped", P, "return slopes, float(slopes[-1]), float(abs(slopes[-2] - slopes[-1]))",
           "return slopes, float(slopes[-1]), float(slopes[-2] - slopes[-1])",
           "a correction of the wrong sign narrows the range", tests=T),
    Mutant("vngi-max-to-min", P, "return np.where(np.all(np.isfinite(rms), axis=1), np.max(rms, axis=1), np.nan)",
           "return np.where(np.all(np.isfinite(rms), axis=1), np.min(rms, axis=1), np.nan)",
           "the best record instead of the sup over time", tests=T),
    Mutant("vngi-fail-or-to-and", P, "if high < 1.0 - BAND or low > 1.0 + BAND:",
           "if high < 1.0 - BAND and low > 1.0 + BAND:", "a range outside the band never fails", tests=T),
    Mutant("vngi-roundoff-ignored", P, "    elif d[-1] <= roundoff:", "    elif False:",
           "distances at round-off judged anyway", tests=T),
    Mutant("vngi-divergence-ignored", P, "    if not np.all(np.isfinite(d)):", "    if False:",
           "a diverged rung judged anyway", tests=T),
]
