"""Verdict weakenings of population_search (scripts/mutation_campaign.py --check population_search)."""

from mutation_campaign import Mutant

P = "theorycheck/checks/population_search.py"
T = ("-n", "0", "theory_tests/test_verdict_population_search.py")

MUTANTS = [
    Mutant("vpop-band-10x", P, "band = bounds.paired_noise_band(d, CONFIDENCE)",
           "band = 10.0 * bounds.paired_noise_band(d, CONFIDENCE)", "the paired band loosened 10x", tests=T),
    Mutant("vpop-copy-any", P, "if not np.array_equal(copied[r, i], before[r, src0[r, i]])]",
           "if not np.allclose(copied[r, i], before[r, src0[r, i]], atol=1e-3)]",
           "the exact copy relaxed to a tolerance", tests=T),
    Mutant("vpop-lr-dropped", P, "    if bad_copy or bad_lr or bad_factor:", "    if bad_copy or bad_factor:",
           "the learning-rate lineage not checked", tests=T),
    Mutant("vpop-twins-dropped", P, "                if never[s, i] and not np.array_equal(",
           "                if False and not np.array_equal(", "the bitwise twin criterion dropped", tests=T),
    Mutant("vpop-best-max", P, "pop_best = np.min(scores[:, 0, -1, :], axis=1)",
           "pop_best = np.max(scores[:, 0, -1, :], axis=1)", "the population's worst instead of its best", tests=T),
    Mutant("vpop-gap-ignored", P, "        elif not band < gap:", "        elif False:",
           "a band wider than the effect passes", tests=T),
    Mutant("vpop-diverged-pop-ignored", P, "    elif np.any(~np.isfinite(pop_best)):", "    elif False:",
           "a fully diverged population not failed", tests=T),
    Mutant("vpop-ind-diverged-ignored", P, "    if not np.all(finite):", "    if False:",
           "every independent run diverged, judged anyway", tests=T),
]
