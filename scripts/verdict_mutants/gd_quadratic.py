"""Verdict weakenings of gd_quadratic (scripts/mutation_campaign.py --check gd_quadratic)."""

from mutation_campaign import Mutant

P = "theorycheck/checks/gd_quadratic.py"
T = ("-n", "0", "theory_tests/test_verdict_gd_quadratic.py", "theory_tests/test_checks.py", "-k", "gd_quadratic and not property")

MUTANTS = [
    Mutant("vgdq-tolerance-10x", P, "tolerance = condition * config.dim * config.steps * np.finfo(np.float64).eps",
           "tolerance = 10 * condition * config.dim * config.steps * np.finfo(np.float64).eps",
           "the derived tolerance loosened 10x", tests=T),
    Mutant("vgdq-worst-to-best", P, "error = float(np.max(deviation))", "error = float(np.min(deviation))",
           "the best step's deviation instead of the worst", tests=T),
    Mutant("vgdq-abs-dropped", P, "np.abs(simulated - exact) / exact", "(simulated - exact) / exact",
           "a simulated loss below the closed form never counts", tests=T),
    Mutant("vgdq-window-low-dropped", P, "    return low <= step <= high", "    return step <= high",
           "an overflow earlier than the closed form allows accepted", tests=T),
    Mutant("vgdq-stayed-finite-accepted", P, "        return high > steps", "        return True",
           "a run that stayed finite where the closed form overflows accepted", tests=T),
    Mutant("vgdq-stability-band-10x", P, "measured_stable = simulated[sweep, -1] < simulated[sweep, 0]",
           "measured_stable = simulated[sweep, -1] < 10 * simulated[sweep, 0]",
           "a loss grown up to 10x still counted as stable", tests=T),
    Mutant("vgdq-comparison-window-ignored", P, "comparable = (np.arange(config.steps + 1)[None, :] < np.minimum(window[:, :1], simulated_overflow[:, None])) & represented",
           "comparable = (np.arange(config.steps + 1)[None, :] < 1) & represented",
           "only L_0 compared with the closed form", tests=T),
    Mutant("vgdq-underflow-floor-dropped", P, "represented = log_exact >= UNDERFLOW_LOG",
           "represented = log_exact >= -np.inf", "underflowed steps compared (0/0 in the max)", tests=T),
]
