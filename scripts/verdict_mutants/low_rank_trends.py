"""One-line weakenings of low_rank_trends' verdict (run: mutation_campaign.py --check low_rank_trends)."""

from mutation_campaign import Mutant

P = "theorycheck/checks/low_rank_trends.py"
T = ("-n", "0", "theory_tests/test_verdict_low_rank_trends.py", "theory_tests/test_low_rank_trends.py")

MUTANTS = [
    Mutant("lrt-se-margin-loosened", P, "SE_FACTOR, RESOLUTION, RELATIVE_RESOLUTION = 2.0, 1.0, 0.1",
           "SE_FACTOR, RESOLUTION, RELATIVE_RESOLUTION = 0.2, 1.0, 0.1", "the 2·SE margin loosened 10x", tests=T),
    Mutant("lrt-relative-floor-loosened", P, "SE_FACTOR, RESOLUTION, RELATIVE_RESOLUTION = 2.0, 1.0, 0.1",
           "SE_FACTOR, RESOLUTION, RELATIVE_RESOLUTION = 2.0, 1.0, 0.01", "the 10% relative floor loosened 10x", tests=T),
    Mutant("lrt-se-over-n", P, "se = float(np.std(d, ddof=1) / math.sqrt(d.size))", "se = float(np.std(d, ddof=1) / d.size)",
           "standard error sd/n instead of sd/√n", tests=T),
    Mutant("lrt-diverged-any-to-all", P, "if np.any(div[hi]) or np.any(div[lo]):", "if np.all(div[hi]) and np.all(div[lo]):",
           "a comparison with one diverged seed judged as data", tests=T),
    Mutant("lrt-collapse-ignored", P, "            if np.any(dead[hi]) or np.any(dead[lo]):", "            if False:",
           "a collapsed net's rank 0 counted as a fall", tests=T),
    Mutant("lrt-falls-not-required", P, "            if not strict:", "            if True:",
           "the strict falls judged only as 'no rise'", tests=T),
    Mutant("lrt-excluded-fall-undecided", P, "            if not strict or gap + SE_FACTOR * se < floor:",
           "            if not strict:", "a fall excluded at 2·SE called undecided instead of failed", tests=T),
    Mutant("lrt-failure-hidden", P, "    if failed:\n", "    if failed and not undecided:\n",
           "a failed comparison hidden behind an undecided one", tests=T),
    Mutant("lrt-one-large-batch", P, "pairs = [(i, small) for i in range(len(values)) if values[i] >= LARGE_BATCH]",
           "pairs = [(i, small) for i in range(len(values)) if values[i] >= LARGE_BATCH][:1]",
           "only the first large batch compared (all → any over the B sweep)", tests=T),
]
