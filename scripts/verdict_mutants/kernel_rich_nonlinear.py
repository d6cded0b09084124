"""Verdict weakenings of kernel_rich_nonlinear (scripts/mutation_campaign.py --check kernel_rich_nonlinear)."""

from mutation_campaign import Mutant

P = "theorycheck/checks/kernel_rich_nonlinear.py"
T = ("-n", "0", "theory_tests/test_verdict_kernel_rich_nonlinear.py")

MUTANTS = [
    Mutant("vkrn-close-tolerance-wider", P, "CLOSE_TOLERANCE = 0.05", "CLOSE_TOLERANCE = 0.055",
           "the closeness resolution loosened from 5 % to 5.5 %", tests=T),
    Mutant("vkrn-slope-band-wider", P, "SLOPE_BAND = 0.25", "SLOPE_BAND = 0.3",
           "the slope band widened past the derived ±0.25", tests=T),
    Mutant("vkrn-lazy-rule-wider", P, "EPS_LAZY = 0.2", "EPS_LAZY = 2.0",
           "the slopes fitted where pre-activations move by up to 2 (not lazy)", tests=T),
    Mutant("vkrn-lazy-rule-dropped", P,
           '    return np.ones(alphas.shape, bool) if regime == "lazy" else eps1 / alphas <= EPS_LAZY',
           "    return np.ones(alphas.shape, bool)", "every sweep point treated as lazy", tests=T),
    Mutant("vkrn-roundoff-margin-dropped", P, "ROUNDOFF_MARGIN = 10.0", "ROUNDOFF_MARGIN = 1.0",
           "a distance within 10× the round-off floor decided", tests=T),
    Mutant("vkrn-settle-10x", P, "    if not settle <= SETTLE_FRACTION * CLOSE_TOLERANCE:",
           "    if not settle <= CLOSE_TOLERANCE:", "an unsettled linear model (gap up to the tolerance) decided",
           tests=T),
    Mutant("vkrn-separation-halved", P, "    if finite and not d_k[0] >= 2 * CLOSE_TOLERANCE:",
           "    if finite and not d_k[0] >= CLOSE_TOLERANCE:", "a rich end inside 2× the tolerance decided",
           tests=T),
    Mutant("vkrn-weight-slope-dropped", P, "        if not abs(slope_rho + 1) <= SLOPE_BAND:",
           "        if False:", "the weight-change rate never checked", tests=T),
]
