"""A mutation campaign on ``dynamics/``, ``bounds/``, ``models/`` and the checks, runner and CLI:
does the fast suite catch one-line bugs?

Each mutant replaces one exact snippet (which must occur exactly once) of one library file with a
realistic bug: an off-by-one, a sign flip, swapped arguments, a changed operator, a removed or
loosened validation, a wrong constant. The mutants are applied one at a time to the file in this
checkout, the package's fast (non-slow) test files run with ``-x -q`` under a timeout, and the
file is restored byte for byte (also on Ctrl-C). A mutant is *killed* when pytest fails or times
out, *survived* when it passes. Mutants marked ``equivalent`` change no observable behaviour (the
reason is given); they are reported apart and not counted in the kill rate unless killed.

Usage::

    python scripts/mutation_campaign.py                 # every mutant, writes mutation_campaign.json
    python scripts/mutation_campaign.py --only gd-diverged-at-late lanczos-no-breakdown
    python scripts/mutation_campaign.py --list
    python scripts/mutation_campaign.py --verdicts      # only the verdict weakenings (minutes)
    python scripts/mutation_campaign.py --check gd_quadratic

**Verdict weakenings** live beside this script, one file per check, in ``verdict_mutants/NAME.py``
(a list ``MUTANTS`` of :class:`Mutant`): a criterion dropped from the decision, a tolerance
loosened, ``all`` → ``any`` over a window, the worst case replaced by the best, an ``abs``
dropped... each run against the check's own verdict tests (``tests``), so the whole set runs in
minutes. A check's mutants are its own file: adding a check adds a file, never an edit here.

Refuses to run when a target file has uncommitted changes (a restore would otherwise be the only
copy of your work). Run it from a scratch worktree: it edits library files while it runs.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent

CORE = ["theory_tests/test_core_invalid_inputs.py", "theory_tests/test_core_exact_outcomes.py"]
TESTS = {
    "dynamics": CORE + ["theory_tests/test_dynamics.py"],
    "bounds": CORE + ["theory_tests/test_bounds.py"],
    "models": ["theory_tests/test_models.py", "theory_tests/test_dynamics.py"],
}


class Mutant(NamedTuple):
    name: str
    path: str
    old: str
    new: str
    note: str
    equivalent: str | None = None  # why no test can tell it from the original
    tests: tuple[str, ...] = ()  # pytest arguments (files, node ids, -k) when not the package's files
    check: str | None = None  # the check whose verdict this weakens (verdict_mutants/NAME.py)


GD, FLOW, LANCZOS = "theorycheck/dynamics/_gradient_descent.py", "theorycheck/dynamics/_gradient_flow.py", "theorycheck/dynamics/_lanczos.py"
VALID, OPT = "theorycheck/dynamics/_validation.py", "theorycheck/dynamics/_optimizers.py"
QUAD, DIAG = "theorycheck/bounds/_gd_quadratic.py", "theorycheck/bounds/_diagonal_linear.py"

MUTANTS = [
    # ---------------------------------------------------------------- GD / SGD simulator
    Mutant("gd-diverged-at-late", GD, "jnp.where(~diverged & bad, t, diverged_at)",
           "jnp.where(~diverged & bad, t + 1, diverged_at)", "divergence step reported one late"),
    Mutant("gd-ignore-grad-nan", GD, "bad = ~(jnp.isfinite(loss) & _tree_all_finite(grads))",
           "bad = ~jnp.isfinite(loss)", "non-finite gradient with a finite loss ignored"),
    Mutant("gd-divergence-not-sticky", GD, "diverged = diverged | bad", "diverged = bad",
           "a diverged run un-freezes and is reported as not diverged"),
    Mutant("gd-select-swapped", GD, "_tree_select(diverged, params, optax.apply_updates(params, updates))",
           "_tree_select(diverged, optax.apply_updates(params, updates), params)", "freeze/update swapped"),
    Mutant("gd-opt-state-not-frozen", GD, "opt_state = _tree_select(diverged, opt_state, new_opt_state)",
           "opt_state = new_opt_state", "optimizer state keeps updating after a freeze",
           equivalent="the optimizer state is never returned and the parameters are frozen by their own "
                      "select, so nothing observable depends on the state after the freeze"),
    Mutant("gd-records-nan-too-early", GD, "(nan_after(carry[0][2], records), losses)",
           "(nan_after(state[2], records), losses)", "the record taken before the diverging step is NaN'd"),
    Mutant("gd-final-time-off-by-one", GD, "jnp.where(diverged, diverged_at, num_steps)",
           "jnp.where(diverged, diverged_at, num_steps - 1)", "final time of a completed run one short"),
    Mutant("gd-final-time-horizon", GD, "jnp.where(diverged, diverged_at, num_steps)",
           "jnp.where(diverged, num_steps, num_steps)", "final time of a diverged run is the horizon"),
    Mutant("gd-status-swapped", GD, "status = jnp.where(diverged, STATUS_DIVERGED, STATUS_COMPLETED)",
           "status = jnp.where(diverged, STATUS_COMPLETED, STATUS_DIVERGED)", "status constants swapped"),
    Mutant("gd-times-short", GD, "times=jnp.arange(0, num_steps + 1, every)",
           "times=jnp.arange(0, num_steps, every)", "record times miss the horizon"),
    Mutant("gd-invalid-runs-anyway", GD, "state = (params0, opt_state, ~valid, jnp.array(-1), jnp.array(0))",
           "state = (params0, opt_state, jnp.array(False), jnp.array(-1), jnp.array(0))",
           "invalid traced hyperparameters are simulated (gradient ascent)"),
    Mutant("gd-zero-lr-valid", GD, "jnp.all(jnp.isfinite(value) & (value > 0))",
           "jnp.all(jnp.isfinite(value) & (value >= 0))", "a traced zero learning rate accepted"),
    Mutant("gd-nan-lr-valid", GD, "jnp.all(jnp.isfinite(value) & (value > 0))", "jnp.all(value > 0)",
           "a traced inf learning rate accepted"),
    Mutant("gd-invalid-losses-kept", GD, "losses=jnp.where(valid, losses.reshape(num_steps), jnp.nan)",
           "losses=losses.reshape(num_steps)", "losses of an unsimulated run returned as numbers"),
    Mutant("gd-last-record-not-nan", GD, "last = nan_after(frozen, last)", "last = nan_after(diverged, last)",
           "the final record of an invalid run is a number"),
    Mutant("gd-hyperparams-ignored", GD, "replaced[name] = jnp.asarray(value, dtype=jnp.asarray(replaced[name]).dtype)",
           "replaced[name] = jnp.asarray(replaced[name])", "run(..., hyperparams) ignores the values"),
    Mutant("sgd-with-replacement", GD, "jax.random.choice(key, n, (batch_size,), replace=False)",
           "jax.random.choice(key, n, (batch_size,), replace=True)", "minibatches drawn with replacement"),
    Mutant("sgd-batch-fixed", GD, "batch = jax.tree.map(lambda a: a[index], data)",
           "batch = jax.tree.map(lambda a: a[:batch_size], data)", "always the first batch_size samples"),
    Mutant("sgd-batch-size-bound", GD, "if batch_size > n:", "if batch_size >= n:", "full batch rejected"),
    # ---------------------------------------------------------------- validation, optimizer
    Mutant("valid-every-divides-removed", VALID, "    if num_steps % every:",
           "    if every > num_steps:", "every-divides-num_steps check removed"),
    Mutant("valid-positive-int-zero", VALID, "not isinstance(value, (int, np.integer)) or value < 1",
           "not isinstance(value, (int, np.integer)) or value < 0", "num_steps = 0 accepted"),
    Mutant("valid-lr-zero", VALID, "if not np.all(np.isfinite(array)) or np.any(array <= 0):",
           "if not np.all(np.isfinite(array)) or np.any(array < 0):", "concrete zero step size accepted"),
    Mutant("valid-nonneg-loosened", VALID, "if not np.all(np.isfinite(array)) or np.any(array < 0):",
           "if not np.all(np.isfinite(array)) or np.any(array < -1):", "negative momentum/weight decay accepted"),
    Mutant("valid-bool-accepted", VALID, "if isinstance(value, (bool, np.bool_)):",
           "if isinstance(value, np.bool_):", "learning_rate=True accepted"),
    Mutant("valid-inf-params", VALID, "if not np.all(np.isfinite(np.asarray(leaf))):",
           "if np.any(np.isnan(np.asarray(leaf))):", "inf in params0 accepted"),
    Mutant("valid-run-lr-nonneg", VALID, "require_positive_scalar(\"hyperparams['learning_rate']\", value)",
           "require_nonnegative_scalar(\"hyperparams['learning_rate']\", value)", "run(..., {lr: 0}) accepted"),
    Mutant("opt-nesterov", OPT, "optax.sgd(learning_rate, momentum=momentum)",
           "optax.sgd(learning_rate, momentum=momentum, nesterov=True)", "Nesterov instead of heavy ball"),
    Mutant("opt-weight-decay-doubled", OPT, "optax.add_decayed_weights(weight_decay)",
           "optax.add_decayed_weights(2 * weight_decay)", "weight-decay convention off by 2"),
    Mutant("opt-momentum-unchecked", OPT, '    require_nonnegative_scalar("momentum", momentum)\n', "",
           "momentum validation removed"),
    # ---------------------------------------------------------------- Lanczos
    Mutant("lanczos-no-breakdown", LANCZOS, "broke_down = beta <= tiny * jnp.maximum(jnp.abs(alpha), 1.0)",
           "broke_down = beta < 0", "a Lanczos breakdown never detected"),
    Mutant("lanczos-zero-start", LANCZOS, "usable = jnp.isfinite(norm) & (norm > 0)",
           "usable = jnp.isfinite(norm)", "zero start not replaced"),
    Mutant("lanczos-top-off-by-one", LANCZOS, "top = jnp.arange(m - 1, m - 1 - k, -1)",
           "top = jnp.arange(m - 2, m - 2 - k, -1)", "second-largest Ritz pair returned as the top"),
    Mutant("lanczos-offdiagonal-shift", LANCZOS, "jnp.diag(betas[: m - 1], 1)", "jnp.diag(betas[1:m], 1)",
           "upper off-diagonal shifted by one"),
    Mutant("lanczos-residual-sign", LANCZOS, "jax.vmap(matvec)(vectors) - values[:, None] * vectors",
           "jax.vmap(matvec)(vectors) + values[:, None] * vectors", "residual ‖Av + λv‖"),
    Mutant("lanczos-alpha-wrong", LANCZOS, "alpha = jnp.vdot(v, w)", "alpha = jnp.vdot(w, w)",
           "diagonal of T is ‖Av‖² not vᵀAv"),
    Mutant("lanczos-same-restart", LANCZOS, "jax.random.fold_in(key, j), (n,), dtype)",
           "jax.random.fold_in(key, 0), (n,), dtype)", "every restart draws the same vector"),
    Mutant("lanczos-one-gs-pass", LANCZOS, "        return w - basis.T @ (basis @ w)",
           "        return w", "one Gram-Schmidt pass instead of two"),
    Mutant("lanczos-last-row-kept", LANCZOS, "basis.at[j + 1].set(jnp.where(j + 1 < m, w, 0.0))",
           "basis.at[j + 1].set(w)", "row m of the basis filled",
           equivalent="row m is never read: the Ritz vectors use basis[:m] and the loop ends at j = m - 1"),
    Mutant("lanczos-tiny-threshold", LANCZOS, "tiny = jnp.finfo(dtype).eps ** 0.75",
           "tiny = jnp.finfo(dtype).eps ** 1.5", "breakdown threshold far too small"),
    Mutant("observer-converged-flag", "theorycheck/dynamics/_observers.py", '"converged": pairs.residuals <= rtol * jnp.abs(pairs.eigenvalues)',
           '"converged": pairs.residuals <= rtol', "convergence flag absolute, not relative"),
    Mutant("observer-warm-start-wrong", "theorycheck/dynamics/_observers.py", "return record, pairs.eigenvectors[0]",
           "return record, pairs.eigenvectors[-1]", "warm start from the k-th, not the top, eigenvector"),
    # ---------------------------------------------------------------- gradient flow
    Mutant("flow-ascent", FLOW, "jax.tree.map(jnp.negative, jax.grad(loss_fn)(y))",
           "jax.tree.map(jnp.positive, jax.grad(loss_fn)(y))", "gradient ascent flow"),
    Mutant("flow-last-record-dropped", FLOW, "reached = times <= jnp.where(", "reached = times < jnp.where(",
           "the record at the final time is NaN"),
    Mutant("flow-stopped-is-success", FLOW, "stopped = solution.result == diffrax.RESULTS.event_occurred",
           "stopped = solution.result == diffrax.RESULTS.successful", "completed runs reported as stopped"),
    Mutant("flow-ignore-grad-nan", FLOW, "bad_final = ~(jnp.isfinite(final_loss) & _tree_all_finite(final_grad))",
           "bad_final = ~jnp.isfinite(final_loss)", "a non-finite gradient at the end of the flow ignored"),
    Mutant("flow-failed-time-clause-dropped", FLOW, "diverged = bad_final | (failed & ~jnp.isfinite(final_time))",
           "diverged = bad_final", "a failed solve without a finite time not flagged",
           equivalent="diffrax writes the time reached (tprev) into SubSaveAt(t1=True) whatever the result, so "
                      "final_time is always finite and the clause never fires (a first-step failure gives 0.0)"),
    Mutant("flow-record-zero-unsaved", FLOW, "saved = jax.tree.map(lambda s, p: s.at[0].set(p), saved, params0)",
           "saved = saved", "the t = 0 record is diffrax's fill value when the first step fails"),
    Mutant("flow-diverged-at-end", FLOW, "diverged_at=jnp.where(diverged, first_bad, -1.0)",
           "diverged_at=jnp.where(diverged, final_time, -1.0)", "divergence time reported as the end of the solve"),
    Mutant("flow-final-time-horizon", FLOW, "final_time = solution.ts[1][0]", "final_time = times[-1]",
           "final time of a stopped or blown-up run is the horizon"),
    # ---------------------------------------------------------------- bounds: quadratic
    Mutant("quad-eos-momentum-sign", QUAD, "return 2.0 * (1.0 + momentum) / lr", "return 2.0 * (1.0 - momentum) / lr",
           "heavy-ball threshold 2(1 − μ)/η"),
    Mutant("quad-momentum-one-accepted", QUAD, "np.all((value >= 0) & (value < 1))", "np.all((value >= 0) & (value <= 1))",
           "momentum = 1 accepted"),
    Mutant("quad-curve-exponent", QUAD, "np.power((1.0 - eta * lam) ** 2, steps)", "np.power(1.0 - eta * lam, steps)",
           "loss decays like (1 − ηλ)^t instead of ^{2t}"),
    Mutant("quad-curve-half", QUAD, "return 0.5 * np.sum(lam * c**2 * factors, axis=1)",
           "return np.sum(lam * c**2 * factors, axis=1)", "missing ½"),
    Mutant("quad-contraction-min", QUAD, "float(np.max(np.abs(1.0 - eta * lam)))", "float(np.min(np.abs(1.0 - eta * lam)))",
           "contraction uses the slowest instead of the fastest mode"),
    Mutant("quad-contraction-no-abs", QUAD, "float(np.max(np.abs(1.0 - eta * lam)))", "float(np.max(1.0 - eta * lam))",
           "contraction ignores oscillating modes"),
    Mutant("quad-lr-zero", QUAD, "not np.isfinite(lr_value) or lr_value <= 0", "not np.isfinite(lr_value) or lr_value < 0",
           "lr = 0 accepted by the closed forms"),
    Mutant("quad-zero-steps-rejected", QUAD, "or num_steps < 0:", "or num_steps < 1:", "T = 0 rejected"),
    # ---------------------------------------------------------------- bounds: diagonal linear
    Mutant("diag-l1-l2-swapped", "theorycheck/bounds/__init__.py", "from ._diagonal_linear import min_l1_interpolant as min_l1_interpolant",
           "from ._diagonal_linear import min_l2_interpolant as min_l1_interpolant", "min-ℓ1 returns min-ℓ2"),
    Mutant("diag-l2-inconsistent-accepted", DIAG, "    if not residual <= tolerance:", "    if False:",
           "min-ℓ2 returns least squares on an inconsistent system"),
    Mutant("diag-alpha-zero", DIAG, "if a.ndim != 0 or not np.isfinite(a) or a <= 0:",
           "if a.ndim != 0 or not np.isfinite(a) or a < 0:", "alpha = 0 accepted"),
    Mutant("diag-depth-one", DIAG, "or depth != int(depth) or depth < 2:", "or depth != int(depth) or depth < 1:",
           "depth 1 accepted"),
    Mutant("diag-link-constant", DIAG, "        return 2.0 * np.sinh(a)\n    p = depth / (depth - 2)\n    b = np.abs(a)",
           "        return np.sinh(a)\n    p = depth / (depth - 2)\n    b = np.abs(a)", "h₂ = sinh instead of 2 sinh"),
    Mutant("diag-link-exponent", DIAG, "    p = depth / (depth - 2)\n    b = np.abs(a)\n    with np.errstate(over=\"ignore\"):\n        return np.sign(a)",
           "    p = depth / (depth - 1)\n    b = np.abs(a)\n    with np.errstate(over=\"ignore\"):\n        return np.sign(a)",
           "link exponent D/(D−1)"),
    Mutant("diag-regularizer-scale", DIAG, "    scale = alpha**depth\n    return scale * np.sum(",
           "    scale = alpha**2\n    return scale * np.sum(", "Q uses α² instead of α^D"),
    Mutant("diag-potential-sign", DIAG, "u * zeta - _conjugate_from_angle(a, depth)", "u * zeta + _conjugate_from_angle(a, depth)",
           "q = zh⁻¹ + H instead of − H"),
    Mutant("diag-newton-tolerance", DIAG, "done = np.abs(new - a) <= 4 * _EPS * a", "done = np.abs(new - a) <= 1e-8 * a",
           "inverse link stops at 1e-8"),
    Mutant("diag-conjugate-constant", DIAG, "return 4.0 * np.sinh(0.5 * a) ** 2", "return 2.0 * np.sinh(0.5 * a) ** 2",
           "H₂ off by a factor 2"),
    Mutant("diag-l1-no-polish", DIAG, "and np.sum(np.abs(polished)) <= np.sum(np.abs(beta)) * (1 + 1e-9)):",
           "and False):", "LP vertex never polished"),
    Mutant("diag-minimizer-stops-early", DIAG, "while residual > tol and iterations < max_iter:",
           "while residual > 1e3 * tol and iterations < max_iter:", "minimiser stops 1000x before its tolerance"),
    # ---------------------------------------------------------------- models
    Mutant("models-standard-init-scale", "theorycheck/models/_mlp.py", "std = init_scale if ntk else init_scale / jnp.sqrt(fan_in)",
           "std = init_scale if ntk else init_scale / fan_in", "standard init variance 1/fan_in²"),
    Mutant("models-activation-on-output", "theorycheck/models/_mlp.py", "            if i < len(params) - 1:\n                h = phi(h)",
           "            if i < len(params):\n                h = phi(h)", "activation after the last layer"),
    Mutant("models-antisymmetric-sign", "theorycheck/models/_mlp.py", "jnp.concatenate([a, -a])", "jnp.concatenate([a, a])",
           "ASI copies a instead of −a"),
    Mutant("models-diagonal-sum", "theorycheck/models/_linear.py", 'return params["w_plus"] ** depth - params["w_minus"] ** depth',
           'return params["w_plus"] ** depth + params["w_minus"] ** depth', "β = w₊^D + w₋^D"),
    Mutant("models-gaussian-fan", "theorycheck/models/_linear.py", "jax.random.normal(layer_key, shape) / jnp.sqrt(shape[0])",
           "jax.random.normal(layer_key, shape) / jnp.sqrt(shape[1])", "N(0, 1/fan_out) instead of 1/fan_in"),
    Mutant("models-chebyshev-degree", "theorycheck/models/_datasets.py", "[0.0] * degree + [1.0]", "[0.0] * (degree - 1) + [1.0]",
           "T_{k−1} instead of T_k"),
    Mutant("models-positive-zero", "theorycheck/models/_model.py", "if not math.isfinite(number) or number <= 0:",
           "if not math.isfinite(number) or number < 0:", "zero scale accepted"),
    Mutant("models-sparsity-bound", "theorycheck/models/_datasets.py", "if sparsity > d:", "if sparsity >= d:",
           "a fully dense β* rejected"),
]


# ------------------------------------------------------------- the checks, the runner, the CLI
EOS, KR, GDQ = ("theorycheck/checks/edge_of_stability.py", "theorycheck/checks/kernel_rich.py",
                "theorycheck/checks/gd_quadratic.py")
CHK, RUN, CLI, SWP = "theorycheck/_check.py", "theorycheck/_runner.py", "theorycheck/cli.py", "theorycheck/_sweep.py"
T_EOS = ("theory_tests/test_checks.py", "-k", "edge_of_stability")
T_KR = ("theory_tests/test_checks.py", "-k", "kernel_rich and not property")
T_GDQ = ("theory_tests/test_checks.py", "-k", "gd_quadratic and not property")
T_CLI = ("theory_tests/test_cli.py",)
MUTANTS += [
    Mutant("eos-band-loosened", EOS, "BAND = 0.15", "BAND = 0.5", "the ±15% band loosened to ±50%", tests=T_EOS),
    Mutant("eos-median-loosened", EOS, "MEDIAN_BAND = (0.97, 1.08)", "MEDIAN_BAND = (0.9, 1.1)",
           "the median band loosened", tests=T_EOS),
    Mutant("eos-loss-fall-loosened", EOS, "LOSS_FALL = 0.7", "LOSS_FALL = 1.0", "any loss decrease counts", tests=T_EOS),
    Mutant("eos-every-validation", EOS, "        if self.steps % self.every:", "        if False:",
           "the every-divides-steps validation removed", tests=T_EOS),
    Mutant("eos-divergence-classes-swapped", EOS, "        if initial >= threshold:", "        if initial < threshold:",
           "a divergence from above 2/η called a failure", tests=T_EOS),
    Mutant("eos-unconverged-ignored", EOS, "    if unconverged:", "    if False:",
           "unconverged Lanczos estimates used for the verdict", tests=T_EOS),
    Mutant("eos-threshold-wrong", EOS, "                                     optimizer=config.optimizer))",
           "                                     optimizer=config.optimizer)) * 1.1", "the threshold off by 10%",
           tests=T_EOS),
    Mutant("kr-l1-l2-swapped", KR, '"dist_to_min_l1": _relative(beta_inf, l1), "dist_to_min_l2": _relative(beta_inf, l2)',
           '"dist_to_min_l1": _relative(beta_inf, l2), "dist_to_min_l2": _relative(beta_inf, l1)',
           "min-ℓ1 and min-ℓ2 swapped in the record", tests=T_KR),
    Mutant("kr-tolerance-loosened", KR, 'tolerance = 1e-6 if config.solver == "flow"',
           'tolerance = 1e-3 if config.solver == "flow"', "the flow's tolerance loosened", tests=T_KR),
    Mutant("kr-undecided-never", KR, "    if motion <= tolerance and np.isfinite(residual):",
           "    if True:", "an unsettled run decided anyway", tests=T_KR),
    Mutant("kr-horizon-short", KR, "return jnp.clip(1.5 * t_star, 1.0, 1e300)", "return jnp.clip(0.01 * t_star, 1.0, 1e300)",
           "the derived horizon 150x too short", tests=T_KR),
    Mutant("kr-wrong-depth-compared", KR, "q_depth = config.depth if config.regularizer_depth is None",
           "q_depth = 2 if config.regularizer_depth is None", "Q of depth 2 whatever the net's depth",
           tests=("theory_tests/test_checks.py", "-k", "kernel_rich_property")),
    Mutant("gdq-tolerance-loosened", GDQ, "tolerance = condition * config.dim * config.steps * np.finfo(np.float64).eps",
           "tolerance = 100 * condition * config.dim * config.steps * np.finfo(np.float64).eps",
           "the derived tolerance loosened 100x", tests=T_GDQ),
    Mutant("gdq-threshold-judged-backwards", GDQ, "decidable and p != m", "decidable and p == m",
           "the threshold verdict inverted", tests=T_GDQ),
    Mutant("gdq-overflow-not-checked", GDQ, "        if not _overflow_agrees(s, lo, hi, config.steps)", "        if False",
           "the overflow step never compared", tests=("theory_tests/test_checks.py", "-k", "overflow")),
    Mutant("gdq-decidability-ignored", GDQ, "for f, lr, decidable in zip(fractions, lrs, shows) if not decidable",
           "for f, lr, decidable in zip(fractions, lrs, shows) if False", "a too-short run judged anyway",
           tests=T_GDQ),
    Mutant("check-nan-accepted", CHK, "    if isinstance(value, float) and not math.isfinite(value):",
           "    if False:", "NaN accepted as a config value", tests=T_CLI),
    Mutant("check-decide-nan-passes", CHK, "    if not error <= tolerance:  # NaN fails here too",
           "    if error > tolerance:", "a NaN error passes", tests=T_CLI),
    Mutant("runner-passed-always", RUN, '"passed": result.outcome == PASS,', '"passed": True,',
           "the record says passed for every outcome", tests=T_CLI),
    Mutant("runner-reason-optional", RUN, "if result.outcome != PASS and not str(result.reason).strip():",
           "if False:", "a FAIL without a reason is written", tests=T_CLI),
    Mutant("runner-out-not-probed", RUN, '        with tempfile.NamedTemporaryFile(dir=out_dir, prefix=".write-test-"):\n            pass',
           "        pass", "an unwritable --out is found only after the checks ran", tests=T_CLI,
           equivalent="as root every directory is writable, so the probe can only be exercised by the read-only "
                      "test when the suite runs as another user (it does; CI and this machine run as root)"),
    Mutant("cli-inconclusive-exit-0", CLI, "return EXIT_INCONCLUSIVE if INCONCLUSIVE in outcomes else EXIT_PASSED",
           "return EXIT_PASSED", "inconclusive runs exit 0", tests=T_CLI),
    Mutant("cli-fail-exit-3", CLI, "    if FAIL in outcomes:\n        return EXIT_FAILED",
           "    if FAIL in outcomes and INCONCLUSIVE not in outcomes:\n        return EXIT_FAILED",
           "a failure hidden behind an inconclusive check", tests=T_CLI),
    Mutant("sweep-resume-recomputes", SWP, "pending = [p for p in plan.points if p.id not in done]",
           "pending = list(plan.points)", "--resume recomputes finished points",
           tests=("theory_tests/test_sweep_cli.py", "-k", "resume_of_a_finished")),
    Mutant("sweep-grid-key-unchecked", SWP, "    for key in [*grid, *overrides]:\n        if key not in fields:",
           "    for key in [*overrides]:\n        if key not in fields:", "a grid over an unknown key runs",
           tests=("theory_tests/test_sweep_cli.py", "-k", "bad_grids"),
           equivalent="make_config rejects the unknown key as well, with the same message, before anything runs"),
]


def verdict_mutants() -> list[Mutant]:
    """Every ``verdict_mutants/NAME.py``'s ``MUTANTS``, tagged with the check ``NAME``."""
    import importlib.util

    found = []
    for path in sorted((Path(__file__).resolve().parent / "verdict_mutants").glob("*.py")):
        if path.name.startswith("_"):
            continue
        spec = importlib.util.spec_from_file_location(f"verdict_mutants_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        found += [m._replace(check=path.stem) for m in module.MUTANTS]
    return found


def _package(path: str) -> str:
    """The library package a file belongs to: ``theorycheck/dynamics/_x.py`` → ``dynamics``."""
    parts = path.split("/")
    return parts[1] if parts[0] == "theorycheck" and len(parts) > 2 else parts[0]


def _dirty(paths) -> list[str]:
    out = subprocess.run(["git", "status", "--porcelain", "--", *paths], cwd=ROOT, capture_output=True, text=True, check=True)
    return [line for line in out.stdout.splitlines() if line.strip()]


def run_tests(files, timeout) -> tuple[str, float, str]:
    """('passed' | 'failed' | 'timeout', seconds, last line of output)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="1")
    start = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-n", "0", "-p", "no:cacheprovider", *files],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout", time.perf_counter() - start, ""
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    return ("passed" if done.returncode == 0 else "failed"), time.perf_counter() - start, lines[-1] if lines else ""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="mutant names to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per test run")
    parser.add_argument("--json", default="mutation_campaign.json", help="where to write the results")
    parser.add_argument("--verdicts", action="store_true", help="only the verdict weakenings (verdict_mutants/)")
    parser.add_argument("--check", action="append", help="only this check's verdict weakenings (repeatable)")
    parser.add_argument("--skip-baseline", action="store_true", help="do not check that the unmutated suite passes")
    args = parser.parse_args(argv)

    mutants = [*MUTANTS, *verdict_mutants()]
    if args.verdicts or args.check:
        mutants = [m for m in mutants if m.check and (not args.check or m.check in args.check)]
    names = [m.name for m in mutants]
    if len(set(names)) != len(names):
        raise SystemExit("duplicate mutant names")
    selected = [m for m in mutants if not args.only or m.name in args.only]
    if args.only and len(selected) != len(set(args.only)):
        raise SystemExit(f"unknown mutants: {sorted(set(args.only) - set(names))}")
    for m in selected:  # every snippet must identify exactly one place
        count = (ROOT / m.path).read_text().count(m.old)
        if count != 1:
            raise SystemExit(f"{m.name}: the snippet occurs {count} times in {m.path}")
    if args.list:
        for m in selected:
            print(f"{m.name:34s} {m.path:32s} {m.note}")
        return 0
    if any(not m.tests and _package(m.path) not in TESTS for m in selected):
        raise SystemExit(f"these mutants name no tests: {[m.name for m in selected if not m.tests and _package(m.path) not in TESTS]}")
    dirty = _dirty(sorted({m.path for m in selected}))
    if dirty:
        raise SystemExit(f"commit or stash these first (the campaign edits them): {dirty}")

    if not args.skip_baseline:
        for package in sorted({_package(m.path) for m in selected} & set(TESTS)):
            outcome, seconds, last = run_tests(TESTS[package], args.timeout)
            print(f"baseline {package}: {outcome} in {seconds:.0f}s ({last})", flush=True)
            if outcome != "passed":
                raise SystemExit("the unmutated suite must pass first")

    import signal

    def _terminate(signum, frame):  # SIGTERM restores the mutated file too (the finally below)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    results = []
    for i, m in enumerate(selected, 1):
        path = ROOT / m.path
        original = path.read_bytes()
        try:
            path.write_bytes(original.replace(m.old.encode(), m.new.encode(), 1))
            outcome, seconds, last = run_tests(list(m.tests) or TESTS[_package(m.path)], args.timeout)
        finally:
            path.write_bytes(original)
        if outcome == "passed":
            verdict = "equivalent" if m.equivalent else "survived"
        else:
            verdict = "killed"
        results.append({"name": m.name, "check": m.check, "path": m.path, "note": m.note, "verdict": verdict, "outcome": outcome,
                        "seconds": round(seconds, 1), "detail": last, "equivalent": m.equivalent})
        print(f"[{i:2d}/{len(selected)}] {verdict:10s} {m.name:34s} {seconds:5.0f}s  {last[:80]}", flush=True)

    counted = [r for r in results if r["verdict"] != "equivalent"]
    killed = sum(r["verdict"] == "killed" for r in counted)
    rate = killed / len(counted) if counted else float("nan")
    summary = {"mutants": len(results), "killed": killed, "survived": len(counted) - killed,
               "equivalent": len(results) - len(counted), "kill_rate": rate}
    print(f"\nkilled {killed}/{len(counted)} non-equivalent mutants ({100 * rate:.1f}%); "
          f"{summary['equivalent']} equivalent")
    for r in results:
        if r["verdict"] != "killed":
            print(f"  {r['verdict']:10s} {r['name']}: {r['note']}" + (f" [{r['equivalent']}]" if r["equivalent"] else ""))
    Path(args.json).write_text(json.dumps({"summary": summary, "results": results}, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
