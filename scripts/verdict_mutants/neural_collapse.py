"""One-line weakenings of neural_collapse's verdict (run: mutation_campaign.py --check neural_collapse)."""

from mutation_campaign import Mutant

P = "theorycheck/checks/neural_collapse.py"
T = ("-n", "0", "theory_tests/test_verdict_neural_collapse.py", "theory_tests/test_square_loss.py", "-k",
     "neural_collapse or collapse_metrics")

MUTANTS = [
    Mutant("nc-tolerance-loosened", P, "TOLERANCE = 1e-4", "TOLERANCE = 1e-3", "the 1e-4 tolerance loosened 10x", tests=T),
    Mutant("nc-worst-to-best", P, "error = max(abs(v) for v in final.values())", "error = min(abs(v) for v in final.values())",
           "the best metric instead of the worst", tests=T),
    Mutant("nc-metrics-dropped", P, 'METRICS = ("nc1", "nc3", "nc4", "equinorm_means", "equinorm_classifier", "equiangular_means",',
           'METRICS = ("nc1", "nc3", "nc4", "equinorm_means", "equinorm_classifier",  # "equiangular_means",',
           "the class means' equiangularity dropped from the decision", tests=T),
    Mutant("nc-convergence-branch-removed", P, "    elif movement > TOLERANCE:", "    elif False:",
           "an unconverged run judged anyway", tests=T),
    Mutant("nc-diverged-ignored", P, '    if bool(arrays["diverged"]):', "    if False:",
           "a diverged run judged as data", tests=T),
    Mutant("nc-movement-largest-row", P, 'w_norm = float(np.min(np.linalg.norm(arrays["classifier"], axis=1)))',
           'w_norm = float(np.max(np.linalg.norm(arrays["classifier"], axis=1)))',
           "the convergence bound divides by the largest classifier row, not the smallest", tests=T),
]
