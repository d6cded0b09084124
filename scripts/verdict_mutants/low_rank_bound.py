"""One-line weakenings of low_rank_bound's verdict (run: mutation_campaign.py --check low_rank_bound)."""

from mutation_campaign import Mutant

P = "theorycheck/checks/low_rank_bound.py"
T = ("-n", "0", "theory_tests/test_verdict_low_rank_bound.py", "theory_tests/test_square_loss.py", "-k", "low_rank_bound")

MUTANTS = [
    Mutant("lrb-tolerance-loosened", P, "TOLERANCE = 1e-10", "TOLERANCE = 1e-9", "the 1e-10 tolerance loosened 10x", tests=T),
    Mutant("lrb-violation-best-case", P, "violation.append(float(np.max(np.where(usable, distance - bound, -np.inf))))",
           "violation.append(float(np.min(np.where(usable, distance - bound, np.inf))))",
           "the Eckart–Young excess taken at its best k instead of its worst", tests=T),
    Mutant("lrb-identity-best-case", P, "identity.append(float(residual.max()))", "identity.append(float(residual.min()))",
           "the identity residual taken at its best horizon k", tests=T),
    Mutant("lrb-bound-criterion-dropped", P, "error = max(max(identity), max(violation))", "error = max(identity)",
           "the Eckart–Young bound dropped from the decision", tests=T),
    Mutant("lrb-bite-branch-removed", P, "        if b < BITE:", "        if True:",
           "a bound that does not bite passes", tests=T),
    Mutant("lrb-collapse-branch-removed", P, "    if not share > COLLAPSE or zero_layer:", "    if False:",
           "a collapsed (dead) net judged: 'raise steps' forever", tests=T),
    Mutant("lrb-batches-unchecked", P, "    if not details[\"batches_read_ok\"]:", "    if False:",
           "batches of the wrong size accepted", tests=T),
    Mutant("lrb-diverged-ignored", P, "    if bool(arrays[\"diverged\"]) or not all(", "    if False and not all(",
           "a diverged run judged as data", tests=T),
]
