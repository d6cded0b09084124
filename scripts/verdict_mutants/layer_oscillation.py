"""Verdict weakenings of layer_oscillation (scripts/mutation_campaign.py --check layer_oscillation)."""

from mutation_campaign import Mutant

P = "theorycheck/checks/layer_oscillation.py"
T = ("-n", "0", "theory_tests/test_verdict_layer_oscillation.py")

MUTANTS = [
    Mutant("vlo-boundary-10x", P, "BOUNDARY = -0.5  #", "BOUNDARY = -0.05  #",
           "the −1/2 boundary loosened 10x (nearly 0)", tests=T),
    Mutant("vlo-every-to-all-fail", P, "    if not inconclusive and not_oscillating:",
           "    if not inconclusive and len(not_oscillating) == layers:",
           "fails only when no layer oscillates (every → some)", tests=T),
    Mutant("vlo-median-to-min", P, "        medians = np.median(window, axis=0)",
           "        medians = np.min(window, axis=0)", "the best record of each layer instead of its median", tests=T),
    Mutant("vlo-median-to-mean", P, "        medians = np.median(window, axis=0)",
           "        medians = np.mean(window, axis=0)", "the mean instead of the median (most steps)", tests=T),
    Mutant("vlo-window-whole-run", P, "    start = steps - int(WINDOW * steps) + 1",
           "    start = 1", "the catapult transient counted", tests=T),
    Mutant("vlo-whole-branch-dropped", P, "    elif lr_factor >= 1.0 and not whole_median < BOUNDARY:",
           "    elif False:", "a run that settled where GD is stable judged (fails) instead of inconclusive", tests=T),
    Mutant("vlo-whole-branch-any-lr", P, "    elif lr_factor >= 1.0 and not whole_median < BOUNDARY:",
           "    elif not whole_median < BOUNDARY:", "the control (η below the limit) made inconclusive", tests=T),
    Mutant("vlo-divergence-ignored", P, "    elif diverged:", "    elif False:",
           "a diverged run judged on its NaN-frozen records", tests=T),
    Mutant("vlo-lanczos-ignored", P, "    if not bool(arrays[\"sharpness_initial_converged\"]):",
           "    if False:", "an unconverged λ_max(init) accepted", tests=T),
]
