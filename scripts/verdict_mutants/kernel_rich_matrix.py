"""Verdict weakenings of kernel_rich_matrix (scripts/mutation_campaign.py --check kernel_rich_matrix)."""

from mutation_campaign import Mutant

P = "theorycheck/checks/kernel_rich_matrix.py"
T = ("-n", "0", "theory_tests/test_verdict_kernel_rich_matrix.py")

MUTANTS = [
    Mutant("vkrm-rich-tolerance-wider", P, "RICH_TOLERANCE = 0.05", "RICH_TOLERANCE = 0.055",
           "the rich claim's 5 % resolution loosened to 5.5 %", tests=T),
    Mutant("vkrm-kernel-tolerance-2x", P, "        tolerance = min(eps, KERNEL_EPS_MAX)",
           "        tolerance = min(2 * eps, KERNEL_EPS_MAX)", "the kernel tolerance doubled past the derived bound",
           tests=T),
    Mutant("vkrm-kernel-unnormalised", P, "d_n, d_k = _rel(w, w_n), float(np.linalg.norm(w - w_k) / np.linalg.norm(delta_k))",
           "d_n, d_k = _rel(w, w_n), _rel(w, w_k)", "d_K relative to ‖W_K‖ (which holds α²I) instead of the change",
           tests=T),
    Mutant("vkrm-motion-10x", P, "motion <= tolerance * scale / 10", "motion <= tolerance * scale",
           "an unsettled run (motion up to the tolerance) decided", tests=T),
    Mutant("vkrm-separation-dropped", P, "        if separation < 2 * tolerance:\n            undecided.append(f\"W_K",
           "        if False:\n            undecided.append(f\"W_K", "inseparable rich claims decided", tests=T),
    Mutant("vkrm-no-transition", P, "else \"kernel\" if eps <= KERNEL_EPS_MAX else \"none\"",
           "else \"kernel\"", "every α not rich is tested against the kernel claim", tests=T),
    Mutant("vkrm-kernel-regime-wider", P, "KERNEL_EPS_MAX = 0.1", "KERNEL_EPS_MAX = 1.0",
           "the kernel claim applied where ε ≤ 1 (the expansion does not hold)", tests=T),
]
