"""Verdict weakenings of channel_norm_gradients (scripts/mutation_campaign.py --check channel_norm_gradients)."""

from mutation_campaign import Mutant

P = "theorycheck/checks/channel_norm_gradients.py"
T = ("-n", "0", "theory_tests/test_verdict_channel_norm_gradients.py", "theory_tests/test_normalisation.py",
     "-k", "channel_norm_gradients and not cli")

MUTANTS = [
    Mutant("vcn-tolerance-10x", P, "TOLERANCE = 1e-10", "TOLERANCE = 1e-9", "claim A's 1e-10 loosened 10x", tests=T),
    Mutant("vcn-chain-tolerance-10x", P, "CHAIN_EPS, CHAIN_TOLERANCE = (8, 10, 12), 0.5, 1e-3, 0.10",
           "CHAIN_EPS, CHAIN_TOLERANCE = (8, 10, 12), 0.5, 1e-3, 1.0", "claim B's 10% band loosened 10x", tests=T),
    Mutant("vcn-worst-to-best-scale", P, "error_a = float(np.max(deviation[:, 0]))",
           "error_a = float(np.min(deviation[1:, 0]))", "the best kernel scale instead of the worst", tests=T),
    Mutant("vcn-chain-abs-dropped", P, "np.where(reached, np.abs(measured / predicted - 1.0),",
           "np.where(reached, (measured / predicted - 1.0),", "a chain escaping faster than k* never counts", tests=T),
    Mutant("vcn-chain-criterion-dropped", P, "fail_reasons=fail_reasons, inconclusive_reasons=inconclusive",
           "fail_reasons=[], inconclusive_reasons=inconclusive", "claim B dropped from the decision", tests=T),
    Mutant("vcn-unreached-is-data", P, "inconclusive = list(unreached)", "inconclusive = []",
           "a chain that never reached the loss judged (\"not yet\" read as \"no\")", tests=T),
    Mutant("vcn-overflow-branch-removed", P, "    if not finite[0]:", "    if False:",
           "an overflowed gradient at initialisation judged as data", tests=T),
    Mutant("vcn-diverged-chain-is-data", P, "    if diverged.any():", "    if False:",
           "a diverged scalar chain judged as data", tests=T),
]
