"""Verdict weakenings of kernel_rich (scripts/mutation_campaign.py --check kernel_rich)."""

from mutation_campaign import Mutant

P = "theorycheck/checks/kernel_rich.py"
T = ("-n", "0", "theory_tests/test_verdict_kernel_rich.py", "theory_tests/test_checks.py", "-k", "kernel_rich and not property")

MUTANTS = [
    Mutant("vkr-gd-tolerance-10x", P, "else 0.025 * float(data[\"lr_scale\"])", "else 0.25 * float(data[\"lr_scale\"])",
           "GD's O(η) tolerance loosened 10x", tests=T),
    Mutant("vkr-flow-tolerance-sqrt2", P, "tolerance = 1e-6 if config.solver", "tolerance = 1.41e-6 if config.solver",
           "the flow's tolerance √2 wider", tests=T),
    Mutant("vkr-motion-10x", P, "    if motion <= tolerance and np.isfinite(residual):",
           "    if motion <= 10 * tolerance and np.isfinite(residual):", "an unsettled run (motion 10x the tolerance) decided",
           tests=T),
    Mutant("vkr-motion-metric-dropped", P, "return float(np.linalg.norm(metric * (x.T @ np.linalg.solve((x * metric) @ x.T, r))))",
           "return float(np.linalg.norm(x.T @ np.linalg.solve((x * metric) @ x.T, r)))",
           "the remaining motion without the metric's pull-back", tests=T),
    Mutant("vkr-residual-finite-dropped", P, "    if motion <= tolerance and np.isfinite(residual):",
           "    if motion <= tolerance:", "a non-finite residual decided", tests=T,
           equivalent="a non-finite residual makes the motion NaN (it is the solve's right-hand side), and NaN <= tol is False"),
    Mutant("vkr-relative-unnormalised", P, "return float(np.linalg.norm(a - b) / np.linalg.norm(b))",
           "return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1.0))",
           "the error relative only when ‖argmin Q‖ > 1", tests=T),
]
