"""Verdict weakenings of gd_global_convergence (run: mutation_campaign.py --check gd_global_convergence)."""

from mutation_campaign import Mutant

P = "theorycheck/checks/gd_global_convergence.py"
T = ("theory_tests/test_verdict_gd_global_convergence.py", "theory_tests/test_wide.py", "-k",
     "gd_global_convergence and not other_seeds")

MUTANTS = [
    Mutant("gdgc-rate-slack-10x", P, "RATE_SLACK = 1e-9", "RATE_SLACK = 1e-8", "the rate-bound slack loosened 10x", tests=T),
    Mutant("gdgc-slope-band-widened", P, "SLOPE_BAND = (-0.65, -0.35)", "SLOPE_BAND = (-0.65, -0.15)",
           "the slope band's upper edge widened", tests=T),
    Mutant("gdgc-linearization-dropped", P, 'if not failed and asymptotic and not slopes["linearization_deviation"] < 0:',
           "if False:", "the linearisation criterion dropped", tests=T),
    Mutant("gdgc-best-replicate", P, "last = largest[np.argmax(largest[:, -1] / largest[:, 0])]",
           "last = largest[np.argmin(largest[:, -1] / largest[:, 0])]",
           "zero loss judged on the best replicate, not the worst", tests=T),
    Mutant("gdgc-rate-best-step", P, "error = float(np.max(ratio[claimed][:, 1:])) - 1.0",
           "error = float(np.min(ratio[claimed][:, 1:])) - 1.0", "the rate bound's worst step replaced by the best", tests=T),
    Mutant("gdgc-plateau-fail-dropped", P, "if stalled and (lam0_zero or window_bound < STALL[1]):",
           "if False:", "a decided plateau read as not-yet-converged", tests=T),
    Mutant("gdgc-rate-largest-width-only", P, "claimed = run_widths >= RATE_WIDTH", "claimed = run_widths >= widths[-1]",
           "the rate bound checked at the largest width only", tests=T),
]
MUTANTS += [
    Mutant("gdgc-pre-asymptotic-judged", P, "asymptotic = len(np.unique(widths[fit])) >= 3", "asymptotic = True",
           "exponents judged with fewer than 3 widths in the asymptotic regime", tests=T),
    Mutant("gdgc-rate-violation-hidden", P, "if failed or error > RATE_SLACK:", "if failed:",
           "a decided rate-bound violation hidden behind an undecided criterion", tests=T),
    Mutant("gdgc-small-width-divergence", P, "if at >= 0 and m >= RATE_WIDTH:", "if at >= 0:",
           "a divergence below the claimed widths read as a failure", tests=T),
    Mutant("gdgc-slope-se-z-loosened", P, "SLOPE_Z = 3.0", "SLOPE_Z = 30.0",
           "a slope outside the band excused at 30 standard errors", tests=T),
    Mutant("gdgc-slope-se-ignored", P, "            if not np.isfinite(s) or not distance <= SLOPE_Z * se:",
           "            if True:", "every slope outside the band fails, its standard error ignored", tests=T),
]
