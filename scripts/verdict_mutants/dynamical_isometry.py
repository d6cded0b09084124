"""Verdict weakenings of dynamical_isometry (scripts/mutation_campaign.py --check dynamical_isometry)."""

from mutation_campaign import Mutant

P = "theorycheck/checks/dynamical_isometry.py"
T = ("-n", "0", "theory_tests/test_verdict_dynamical_isometry.py", "theory_tests/test_normalisation.py",
     "-k", "dynamical_isometry and not cli")

MUTANTS = [
    Mutant("vdi-tolerance-10x", P, "TOLERANCE = 1e-10", "TOLERANCE = 1e-9", "the 1e-10 tolerance loosened 10x", tests=T),
    Mutant("vdi-jacobian-worst-to-best", P, "jac_error = float(np.max(np.abs(singular[0] - 1.0)))",
           "jac_error = float(np.min(np.abs(singular[0] - 1.0)))", "the best singular value instead of the worst",
           tests=T),
    Mutant("vdi-jacobian-after-training", P, "jac_error = float(np.max(np.abs(singular[0] - 1.0)))",
           "jac_error = float(np.max(np.abs(singular[-1] - 1.0)))", "the post-training record judged, not the init",
           tests=T),
    Mutant("vdi-fisher-abs-dropped", P, "fisher_error = float(np.max(np.abs(fisher_ratio[0] - 1.0)))",
           "fisher_error = float(np.max(fisher_ratio[0] - 1.0))", "Fisher eigenvalues below L‖x‖² never count",
           tests=T),
    Mutant("vdi-fisher-dropped", P, "    if fisher_error > TOLERANCE:", "    if False:",
           "the Fisher criterion's own failure sentence dropped", tests=T),
    Mutant("vdi-fc-margin-not-sqrt", P, "tol1 = abs(mean1 - fc1) / fc1 + 4 * sd1 / (fc1 * math.sqrt(replicas))",
           "tol1 = abs(mean1 - fc1) / fc1 + 4 * sd1 / (fc1 * replicas)", "the Fuss–Catalan margin /R instead of /√R",
           tests=T),
    Mutant("vdi-fc-bias-dropped", P, "tol2 = abs(mean2 - fc2) / fc2 + 4 * sd2", "tol2 = 4 * sd2",
           "the finite-N bias dropped from the E s⁴ band", tests=T),
]
