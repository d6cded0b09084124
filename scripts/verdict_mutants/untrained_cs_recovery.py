"""Verdict weakenings of untrained_cs_recovery (scripts/mutation_campaign.py --check untrained_cs_recovery)."""

from mutation_campaign import Mutant

P = "theorycheck/checks/untrained_cs_recovery.py"
T = ("-n", "0", "theory_tests/test_verdict_untrained_cs_recovery.py", "theory_tests/test_untrained_cs.py",
     "-k", "not cli and not plots")

MUTANTS = [
    Mutant("vcs-tolerance-10x", P, "TOLERANCE = 0.05", "TOLERANCE = 0.5", "the 0.05 tolerance loosened 10x", tests=T),
    Mutant("vcs-pass-ignores-remaining", P, "    elif error + remaining > TOLERANCE:", "    elif error > TOLERANCE:",
           "an unconverged run passes on its current error", tests=T),
    Mutant("vcs-fail-ignores-remaining", P, "    elif error - remaining > TOLERANCE:", "    elif error > TOLERANCE:",
           "\"not yet\" read as \"no\": an unconverged run fails", tests=T),
    Mutant("vcs-divergence-ignored", P, 'diverged = int(a["diverged_at"]) >= 0 or not np.isfinite(error)',
           "diverged = not np.isfinite(error)", "a run that diverged and froze judged as data", tests=T),
    Mutant("vcs-remaining-10x-small", P, 'remaining = float(np.linalg.norm(bounds.remaining_movement(gram, measurement, y - measurement @ x_final)) / norm)',
           'remaining = float(np.linalg.norm(bounds.remaining_movement(gram, measurement, y - measurement @ x_final)) / norm) / 10',
           "the remaining movement underestimated 10x", tests=T),
    Mutant("vcs-fail-margin-10x", P, "    elif error - remaining > TOLERANCE:",
           "    elif error - remaining > 10 * TOLERANCE:", "the failure margin loosened 10x", tests=T),
    Mutant("vcs-singular-passes", P, "    elif not np.isfinite(remaining):", "    elif False:",
           "a NaN remaining movement (singular AΣ̂Aᵀ) lets the run pass", tests=T),
    Mutant("vcs-noise-at-full-m", P, '    elif config.signal == "noise" and noise_floor <= 2 * TOLERANCE:', "    elif False:",
           "the noise control judged where noise is determined by its measurements", tests=T),
]
