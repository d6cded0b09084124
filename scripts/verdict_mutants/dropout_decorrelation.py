"""Verdict weakenings of dropout_decorrelation (run: mutation_campaign.py --check dropout_decorrelation)."""

from mutation_campaign import Mutant

P = "theorycheck/checks/dropout_decorrelation.py"
T = ("theory_tests/test_verdict_dropout_decorrelation.py", "theory_tests/test_normalisation.py", "-k", "dropout")

MUTANTS = [
    Mutant("dropout-mi-criterion-dropped", P, "    if mi_error > mi_tolerance:", "    if False:",
           "the mutual-information criterion dropped from the decision", tests=T),
    Mutant("dropout-corr-tolerance-10x", P, "corr_tolerance = Z_CORR * bounds.dropout_correlation_sd(",
           "corr_tolerance = 10 * Z_CORR * bounds.dropout_correlation_sd(", "the correlation tolerance loosened 10x", tests=T),
    Mutant("dropout-corr-no-abs", P, "corr_error = abs(measured - predicted)", "corr_error = measured - predicted",
           "the abs dropped: a correlation far below q·rho passes", tests=T),
    Mutant("dropout-mi-floor-loosened", P, "MI_TOLERANCE = 1e-12", "MI_TOLERANCE = 1e-3",
           "the MI tolerance floor loosened 1e9x", tests=T),
    Mutant("dropout-mi-no-abs", P, "mi_error = abs(mi_ratio / q**2 - 1.0)", "mi_error = mi_ratio / q**2 - 1.0",
           "the abs dropped: an MI ratio below q² passes", tests=T),
    Mutant("dropout-sqrt-m-to-fourth-root", P, "/ np.sqrt(config.samples)", "/ config.samples**0.25",
           "the Monte Carlo margin /M^(1/4) instead of /√M", tests=T),
]
MUTANTS += [
    Mutant("dropout-power-check-dropped", P, "    if separation < SEPARATION * corr_tolerance and not fail:", "    if False:",
           "a tolerance wider than the gap to the alternative decides anyway", tests=T),
    Mutant("dropout-power-band-narrowed", P, "SEPARATION = 2.0  #", "SEPARATION = 1.0  #",
           "power asked for one tolerance of separation instead of two", tests=T),
]
