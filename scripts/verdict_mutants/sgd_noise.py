"""Verdict weakenings of sgd_noise (scripts/mutation_campaign.py --check sgd_noise)."""

from mutation_campaign import Mutant

P = "theorycheck/checks/sgd_noise.py"
T = ("-n", "0", "theory_tests/test_verdict_sgd_noise.py", "theory_tests/test_square_loss.py", "-k", "sgd_noise")

MUTANTS = [
    Mutant("vsgd-tolerance-sqrt2", P, "TOLERANCE, FLOOR_SLACK = 0.5, 0.15", "TOLERANCE, FLOOR_SLACK = 0.71, 0.15",
           "the 1 − F/R band √2 wider", tests=T),
    Mutant("vsgd-floor-slack-10x", P, "below = r_late < (1 - FLOOR_SLACK) * floor", "below = r_late < (1 - 10 * FLOOR_SLACK) * floor",
           "the floor bound's slack 10x (never fires)", tests=T),
    Mutant("vsgd-plateau-dropped", P, "    if falling and noise_dominated:\n", "    if False:\n",
           "the plateau criterion dropped", tests=T),
    Mutant("vsgd-plateau-old-line", P, "falling = r_late < PLATEAU * r_mid", "falling = r_late < 0.5 * r_mid",
           "the plateau line back at ½ (on the alternative itself)", tests=T),
    Mutant("vsgd-plateau-any-descent", P, "    if falling and noise_dominated:\n", "    if falling:\n",
           "a falling step judged a refutation although it is still descent", tests=T),
    Mutant("vsgd-descent-not-yet-dropped", P, "    elif unsettled and not noise_dominated and not below:",
           "    elif False:", "a late step that is still descent judged as a refutation", tests=T),
    Mutant("vsgd-divergence-kept", P, "    if bool(arrays[\"diverged\"]) or not np.isfinite(r_late) or not np.isfinite(floor):", "    if False:",
           "a diverged run judged as data", tests=T),
    Mutant("vsgd-zero-step-passes", P, "error = 1.0 - floor / r_late if r_late > 0 else 1.0",
           "error = 1.0 - floor / r_late if r_late > 0 else 0.0", "a run that stopped moving reads as on the floor",
           tests=T),
    Mutant("vsgd-not-yet-dropped", P, "    if needed is not None and config.steps < needed and unsettled and not below:",
           "    if False:", "a run shorter than the relaxation judged as a refutation", tests=T),
    Mutant("vsgd-horizon-4tau", P, "return int(np.ceil(4.0 / (float(lr)", "return int(np.ceil(2.0 / (float(lr)",
           "the not-yet horizon back at 4τ", tests=T),
    Mutant("vsgd-collapse-kept", P, "    if not shrink > COLLAPSED:", "    if False:",
           "a net collapsed to zero judged as data", tests=T),
]
