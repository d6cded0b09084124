"""Verdict weakenings of spline_implicit_bias (run: mutation_campaign.py --check spline_implicit_bias)."""

from mutation_campaign import Mutant

P = "theorycheck/checks/spline_implicit_bias.py"
T = ("theory_tests/test_verdict_spline_implicit_bias.py", "theory_tests/test_spline_bias.py")

MUTANTS = [
    Mutant("spline-width-term-10x", P, "Z_SUP = 4.0  #", "Z_SUP = 40.0  #", "the width tolerance loosened 10x", tests=T),
    Mutant("spline-ratio-criterion-dropped", P, "        elif ratio < RATIO:", "        elif False:",
           "the Gaussian 3x criterion dropped from the decision", tests=T),
    Mutant("spline-sup-to-min", P, "err_weighted = float(np.max(np.abs(net - weighted(grid)))) / scale",
           "err_weighted = float(np.min(np.abs(net - weighted(grid)))) / scale",
           "the sup error replaced by the best grid point", tests=T),
    Mutant("spline-unconverged-decided", P, "    elif convergence > CONVERGENCE_SHARE * width_term:", "    elif False:",
           "the not-converged inconclusive branch removed", tests=T),
    Mutant("spline-diverged-decided", P, 'if int(arrays["diverged_at"]) >= 0 or not np.all(np.isfinite(residuals)):',
           "if False:", "the diverged inconclusive branch removed", tests=T),
    Mutant("spline-sqrt-m-to-fourth-root", P, "sd_sup = float(np.max(s)) / scale / np.sqrt(distinct)",
           "sd_sup = float(np.max(s)) / scale / distinct**0.25", "the width margin /m^(1/4) instead of /√m", tests=T),
    Mutant("spline-ratio-power-check-loosened", P, "        if typical > gap / 4.0:", "        if typical > gap * 4.0:",
           "the 3x criterion decided where the width noise exceeds the spline gap", tests=T),
]
MUTANTS += [
    Mutant("spline-power-rule-dropped", P, 'if config.init == "gaussian" and not inconclusive and tolerance > SEPARATION * gap:',
           "if False:", "a tolerance wider than half the spline gap decides anyway (the control passes)", tests=T),
    Mutant("spline-power-band-widened", P, "SEPARATION = 0.5  #", "SEPARATION = 1.0  #",
           "power asked only for a tolerance below the whole gap", tests=T),
]
