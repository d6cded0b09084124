"""Verdict weakenings of compositional_sparsity (scripts/mutation_campaign.py --check compositional_sparsity)."""

from mutation_campaign import Mutant

P = "theorycheck/checks/compositional_sparsity.py"
T = ("-n", "0", "theory_tests/test_verdict_compositional_sparsity.py")

MUTANTS = [
    Mutant("vcomp-claim-dropped", P, "    if not undecided and upper < claimed:", "    if not undecided and upper < -math.inf:",
           "the fail criterion (advantage excluded at 2x) dropped", tests=T),
    Mutant("vcomp-lower-dropped", P, "    elif not undecided and not lower > 0.0:", "    elif False:",
           "a band holding ratio 1 passes (no significance required)", tests=T),
    Mutant("vcomp-t-to-1", P, "    t = float(stats.t.ppf(CONFIDENCE, replicas - 1))", "    t = 1.0",
           "the band narrowed from Student's t to ±1 SE", tests=T),
    Mutant("vcomp-censor-optimistic", P, "        return math.nan, float(samples[-1]), math.inf",
           "        return math.nan, float(samples[-1]), float(samples[-1])",
           "a curve that never reaches ε counted as reaching it at the last n", tests=T),
    Mutant("vcomp-converged-10x", P, "CONVERGED = 0.5  #", "CONVERGED = 5.0  #",
           "the training-error band ε/2 loosened 10x", tests=T),
    Mutant("vcomp-divergence-ignored", P, "        if diverged.any() or not np.all(np.isfinite(test)):",
           "        if False:", "a diverged fit judged anyway", tests=T),
    Mutant("vcomp-crossing-last", P, "    k = int(below[0])", "    k = int(below[-1])",
           "the last grid point below ε instead of the first crossing", tests=T),
    Mutant("vcomp-upper-from-lo", P, "    lower, upper = _band_end(rho_lo, -1.0, t), _band_end(rho_hi, +1.0, t)",
           "    lower, upper = _band_end(rho_lo, -1.0, t), _band_end(rho_lo, +1.0, t)",
           "the upper end from the conservative-low ratios (a censored dense net can fail)", tests=T),
    Mutant("vcomp-plateau-10x", P, "PLATEAU_WINDOW, PLATEAU_DROP = 0.1, 0.1  #", "PLATEAU_WINDOW, PLATEAU_DROP = 0.1, 1.0  #",
           "a training loss still falling counted as a plateau (the drop threshold loosened 10x)", tests=T),
]
