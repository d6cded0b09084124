"""Verdict weakenings of proximal_small_batch (scripts/mutation_campaign.py --check proximal_small_batch)."""

from mutation_campaign import Mutant

P = "theorycheck/checks/proximal_small_batch.py"
T = ("-n", "0", "theory_tests/test_verdict_proximal_small_batch.py")

MUTANTS = [
    Mutant("vpsb-variance-line-10x", P, "decide(ratio, 1.0, fail_reasons=fail_reasons, inconclusive_reasons=undecided,\n"
           '                             what="the variance: V̂_prox/V̂_sgd at batch size 1")',
           "decide(ratio, 10.0, fail_reasons=fail_reasons, inconclusive_reasons=undecided,\n"
           '                             what="the variance: V̂_prox/V̂_sgd at batch size 1")',
           "the variance may be up to 10x SGD's", tests=T),
    Mutant("vpsb-mlp-variance-line-10x", P, "decide(ratio, 1.0, fail_reasons=fail_reasons, inconclusive_reasons=undecided,\n"
           '                             what="the variance: V̂_prox/V̂_sgd at batch size 1 (mlp)")',
           "decide(ratio, 10.0, fail_reasons=fail_reasons, inconclusive_reasons=undecided,\n"
           '                             what="the variance: V̂_prox/V̂_sgd at batch size 1 (mlp)")',
           "mlp: the variance may be up to 10x SGD's", tests=T),
    Mutant("vpsb-agreement-tol-10x", P, "tol_v = (2 * eps + eps**2) * second / v_prox + 1e-9",
           "tol_v = 10 * ((2 * eps + eps**2) * second / v_prox + 1e-9)", "the agreement tolerance loosened 10x", tests=T),
    Mutant("vpsb-agreement-abs-dropped", P, "agreement = abs(vhat_prox / v_prox - 1.0)", "agreement = vhat_prox / v_prox - 1.0",
           "a variance below the closed form never disagrees", tests=T),
    Mutant("vpsb-rate-criterion-dropped", P, "    if not rate_ratio >= c * (1 - delta):", "    if False:",
           "the rate criterion dropped", tests=T),
    Mutant("vpsb-rate-fit-error-10x", P, "    if not rate_ratio >= c * (1 - delta):", "    if not rate_ratio >= c * (1 - 10 * delta):",
           "the rate fit's error bound loosened 10x", tests=T),
    Mutant("vpsb-inner-branch-dropped", P, "    if eps > INNER_TOLERANCE:", "    if False:",
           "an unsolved inner problem decides", tests=T),
    Mutant("vpsb-drop-branch-dropped", P, "    elif not drop >= MIN_DROP:", "    elif False:",
           "a curve that barely fell decides the rate", tests=T),
    Mutant("vpsb-drop-min-to-max", P, "    drop = min(d_prox, d_sgd)", "    drop = max(d_prox, d_sgd)",
           "the faster curve's drop instead of the slower's", tests=T),
    Mutant("vpsb-mlp-prediction-bound-10x", P, "    elif not abs(vhat_prox - v_quad) <= bound + 1e-9 * vhat_prox:",
           "    elif not abs(vhat_prox - v_quad) <= 10 * bound + 1e-9 * vhat_prox:",
           "mlp: the quadratic prediction's tolerance loosened 10x", tests=T),
    Mutant("vpsb-mlp-top-curvature-at-w0-only", P, 'for k in ("hessians0", "hessians_end")])',
           'for k in ("hessians0",)])', "mlp: L_B and q from w_0's Hessians only", tests=T),
    Mutant("vpsb-mlp-variance-gated-by-inner", P, "    undecided = [] if variance_failed else inner_unsolved + rate_undecided",
           "    undecided = inner_unsolved + rate_undecided",
           "mlp: an unsolved inner problem hides the variance failure (the control inconclusive)", tests=T),
    Mutant("vpsb-mlp-coarse-window-allowed", P, "        if min(ends) < NET_MIN_WINDOW:", "        if min(ends) < 1:",
           "mlp: a 100x fall inside one or two records decides the rate", tests=T),
    Mutant("vpsb-mlp-window-tenfold", P, "    near = np.flatnonzero(curve <= NET_WINDOW_FRACTION * curve[0])",
           "    near = np.flatnonzero(curve <= 10 * NET_WINDOW_FRACTION * curve[0])",
           "mlp: the window ends at a 10x fall (δ twice as wide)", tests=T),
    Mutant("vpsb-mlp-floor-window", P, "rate_undecided, early=True)", "rate_undecided, early=False)",
           "mlp: back to the floor-relative window (the remedy chases itself)", tests=T),
]
