"""The theorem checks: each default passes, each negative control fails, and a property over
admissible configurations passes. Configurations are the checks' own quick CPU defaults; the
paper-scale versions are marked ``slow``."""

import dataclasses
import functools
import json
from pathlib import Path

import jax
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theorycheck import get_check, make_config, registry
from _support import run_check


@functools.lru_cache(maxsize=None)
def _run(name, seed=0, **overrides):
    """One run per distinct (check, seed, overrides) in this module (a control and a check's own
    test of the same config share it); the Result is only read."""
    return run_check(name, seed=seed, **overrides)


# Checks whose controls the default suite runs at the check's quick sizes (where they fail too);
# at the default sizes under -m slow. central_flow: sigma_term=false is a whole default run
# (30 000 GD steps beside the central flow, ~50 s) judged by another prediction; proximal_small_batch:
# the net's control compiles the per-sample Hessian measurements at the default replicates.
CONTROLS_AT_QUICK_SIZES = ("central_flow", "proximal_small_batch")

# Checks whose negative controls run at the default config, with stronger assertions, in their own
# tests: the generic control test skips them rather than simulate the same config twice.
CONTROLS_TESTED_ELSEWHERE = {
    "kernel_rich": ("test_checks.py", "test_kernel_rich_default_passes_and_controls_fail"),
    "gd_global_convergence": ("test_wide.py", "test_gd_global_convergence_duplicate_inputs_plateau",
                              "test_gd_global_convergence_step_above_two_over_lambda_max_fails"),
    "compositional_sparsity": ("test_compositional_sparsity.py", "test_dense_target_control_fails_on_the_advantage"),
}


def test_registry_holds_the_foundation_checks():
    assert {"edge_of_stability", "kernel_rich", "gd_quadratic"} <= set(registry())
    for check in registry().values():
        assert check.negative_controls, f"{check.name} has no negative control"


@pytest.mark.parametrize("name", ["gd_quadratic", "edge_of_stability"])
def test_default_config_passes(name):
    result = _run(name)
    assert result.passed, result.details
    assert result.error <= result.tolerance


@pytest.mark.parametrize(
    "name, overrides",
    [(check.name, control) for check in registry().values() for control in check.negative_controls
     if check.name not in CONTROLS_TESTED_ELSEWHERE],
)
def test_negative_control_fails(name, overrides):
    """A control must be decided as a failure, never left inconclusive."""
    sizes = dict(get_check(name).quick) if name in CONTROLS_AT_QUICK_SIZES else {}
    result = _run(name, **{**sizes, **overrides})
    assert result.outcome == "fail", (overrides, result.outcome, result.reason, result.details)


@pytest.mark.slow
@pytest.mark.parametrize("name, overrides", [(name, control) for name in CONTROLS_AT_QUICK_SIZES
                                             for control in get_check(name).negative_controls])
def test_negative_control_fails_at_the_default_sizes(name, overrides):
    result = _run(name, **overrides)
    assert result.outcome == "fail", (overrides, result.outcome, result.reason, result.details)


@pytest.mark.parametrize("name", sorted(CONTROLS_TESTED_ELSEWHERE))
def test_the_controls_skipped_here_are_tested_where_it_says(name):
    file, *tests = CONTROLS_TESTED_ELSEWHERE[name]
    source = (Path(__file__).parent / file).read_text(encoding="utf-8")
    for test in tests:
        assert f"def {test}(" in source, f"{name}: {file} has no {test}; run its controls in test_negative_control_fails"


# gd_quadratic ---------------------------------------------------------------------------------


@given(
    condition=st.floats(2.0, 1e4),
    lr_fraction=st.floats(0.05, 2.4),
    seed=st.integers(0, 2**16),
)
def test_gd_quadratic_property(condition, lr_fraction, seed):
    result = _run("gd_quadratic", seed=seed, condition=condition, lr_fraction=lr_fraction)
    assert result.passed, (result.error, result.tolerance, result.details)


def test_gd_quadratic_overflow_is_a_prediction_not_a_failure():
    """At 340 steps the 2x run overflows float64 (|1 − 2·2|^{2t} passes 1.8e308 near t = 323): the
    curves are compared up to the overflow and the simulated overflow step lies in the window
    derived from the closed form (the record keeps it as data, not as inf − inf)."""
    result = _run("gd_quadratic", steps=340)
    assert result.outcome == "pass", result.reason
    step = result.details["overflow_steps"][3]
    low, high = result.arrays["overflow_window"][3]
    assert step is not None and low <= step <= high
    assert np.isfinite(result.error)
    log_max = np.log(np.finfo(np.float64).max)  # the window brackets the closed form's crossing
    assert result.arrays["log_loss_exact"][3, high] > log_max >= result.arrays["log_loss_exact"][3, low - 1] - 10


def test_gd_quadratic_catches_an_overflow_at_the_wrong_step():
    """The verdict on a simulation that overflows 20 steps early (a broken simulator) fails on
    the overflow step, although the curves agree wherever both are finite."""
    from theorycheck._check import data_of

    check = get_check("gd_quadratic")
    config = make_config(check, {"steps": 340})
    data = data_of(config, check.data_keys)
    arrays = jax.tree.map(np.asarray, check.simulate(config, data, jax.random.key(0)))
    honest = check.verdict(config, {k: float(v) for k, v in data.items()}, arrays)
    assert honest.outcome == "pass"
    step = honest.details["overflow_steps"][3]
    broken = dict(arrays, loss_simulated=arrays["loss_simulated"].copy())
    broken["loss_simulated"][3, step - 20:] = np.inf
    verdict = check.verdict(config, {k: float(v) for k, v in data.items()}, broken)
    assert verdict.outcome == "fail" and f"overflowed at step {step - 20}" in verdict.reason


def test_gd_quadratic_too_short_to_show_the_threshold_is_inconclusive():
    result = _run("gd_quadratic", steps=1)
    assert result.outcome == "inconclusive" and "raise steps to >=" in result.reason


def test_gd_quadratic_tolerance_is_not_vacuous():
    """The loss-curve tolerance is the derived κ·d·T·ε and far below the control's O(1) deviation."""
    clean, control = _run("gd_quadratic"), _run("gd_quadratic", momentum=0.5)
    config = make_config(get_check("gd_quadratic"))
    assert clean.tolerance == config.condition * config.dim * config.steps * np.finfo(np.float64).eps
    assert clean.tolerance < 1e-6 < control.error


# edge_of_stability ----------------------------------------------------------------------------


@settings(max_examples=4)
@given(lr=st.floats(0.08, 0.12), seed=st.integers(0, 2**16))
def test_edge_of_stability_property(lr, seed):
    """Over seeds and step sizes in the regime where the operational band was fixed (η near 0.1,
    see the check's docstring), the sharpness hovers within the band after crossing 2/η."""
    result = _run("edge_of_stability", seed=seed, lr=lr)
    assert result.passed, (lr, seed, result.details)


def _series(ratios, lr=0.1, every=40):
    """A synthetic sharpness record (in units of 2/η) and a falling loss, for the verdict alone."""
    from theorycheck.checks.edge_of_stability import hovering_verdict

    config = make_config(get_check("edge_of_stability"), {"lr": lr, "steps": len(ratios) * every, "every": every})
    steps = np.arange(len(ratios), dtype=float) * every
    losses = np.geomspace(1.0, 1e-3, config.steps)
    return hovering_verdict(np.asarray(ratios) * 2.0 / lr, np.ones(len(ratios), bool), steps, losses,
                            np.arange(config.steps, dtype=float), lr, config)


@pytest.mark.parametrize("peak, outcome", [(1.149, "pass"), (1.151, "fail"), (0.851, "pass"), (0.849, "fail")])
def test_edge_of_stability_band_is_exactly_fifteen_percent(peak, outcome):
    ratios = [0.5, 0.8, 1.0] + [1.0, peak, 1.01, 0.99] * 30
    assert _series(ratios)["outcome"] == outcome


@pytest.mark.parametrize("level, outcome", [(0.971, "pass"), (0.969, "fail"), (1.079, "pass"), (1.081, "fail")])
def test_edge_of_stability_median_band(level, outcome):
    ratios = [0.5, 0.8, 1.0] + [level] * 100
    assert _series(ratios)["outcome"] == outcome


def test_edge_of_stability_undecided_cases_are_inconclusive():
    assert _series([0.2, 0.5, 0.9] * 20)["outcome"] == "inconclusive"  # never reached 2/η
    flat = _series([0.5, 0.8, 1.0] + [1.0] * 100)
    assert flat["outcome"] == "pass"
    from theorycheck.checks.edge_of_stability import hovering_verdict

    config = make_config(get_check("edge_of_stability"), {"steps": 4000, "every": 40})
    ratios = np.array([0.5, 0.8] + [1.0] * 99) * 20.0
    converged = np.ones(101, bool)
    converged[50] = False
    steps, loss_steps = np.arange(101.0) * 40, np.arange(4000.0)
    verdict = hovering_verdict(ratios, converged, steps, np.geomspace(1, 1e-3, 4000), loss_steps, 0.1, config)
    assert verdict["outcome"] == "inconclusive" and "lanczos_iterations" in verdict["reason"]
    plateau = hovering_verdict(ratios, np.ones(101, bool), steps, np.ones(4000), loss_steps, 0.1, config)
    assert plateau["outcome"] == "inconclusive" and "raise steps" in plateau["reason"]
    slow = hovering_verdict(ratios, np.ones(101, bool), steps, np.linspace(1.0, 0.75, 4000), loss_steps, 0.1, config)
    assert slow["outcome"] == "inconclusive"  # fell by 0.75x, the criterion asks for 0.7x
    fast = hovering_verdict(ratios, np.ones(101, bool), steps, np.linspace(1.0, 0.6, 4000), loss_steps, 0.1, config)
    assert fast["outcome"] == "pass"


def test_edge_of_stability_every_must_divide_steps():
    with pytest.raises(ValueError, match="'every'"):
        make_config(get_check("edge_of_stability"), {"steps": 1000, "every": 30})


def test_edge_of_stability_divergence_records_its_step():
    """A start above 2/η (large init) diverges: inconclusive, and the record names the step at
    which the loss first became non-finite."""
    result = _run("edge_of_stability", gain=100.0, steps=4000)
    assert result.outcome == "inconclusive" and "diverged at step" in result.reason
    losses = result.arrays["losses"]
    first_bad = int(np.argmax(~np.isfinite(losses)))
    assert result.details["diverged"] and result.details["diverged_at"] == first_bad
    assert f"step {first_bad}" in result.reason


def test_edge_of_stability_flow_overshoots_the_same_threshold():
    result = _run("edge_of_stability", solver="flow")
    assert result.details["max_ratio"] > 1.5  # far past 2/η, not a near miss of the band


# kernel_rich ----------------------------------------------------------------------------------


def test_kernel_rich_default_passes_and_controls_fail():
    check = get_check("kernel_rich")
    result = _run("kernel_rich")
    assert result.passed, (result.error, result.details)
    assert result.details["remaining_motion_bound"] <= result.tolerance
    # the figure sweep: every α of the grid matches argmin Q at D = 2 and 3
    for depth in (2, 3):
        assert np.all(result.arrays[f"sweep_D{depth}_status"] == 1)  # every run reached the residual
        assert np.all(result.arrays[f"sweep_D{depth}_error_vs_argmin_Q"] <= result.tolerance)
    for control in check.negative_controls:
        bad = _run("kernel_rich", figure_sweep=False, **control)
        assert not bad.passed, (control, bad.error)
        assert bad.error > 100 * bad.tolerance  # a clear failure, not a near miss


def test_kernel_rich_records_l1_and_l2_distances_the_right_way_round():
    """At small α the limit is near min-ℓ1 and far from min-ℓ2 (asymmetric, so a swap shows)."""
    result = _run("kernel_rich", alpha=0.02, figure_sweep=False)
    a = result.arrays
    l1 = np.linalg.norm(a["beta_inf"] - a["min_l1"]) / np.linalg.norm(a["min_l1"])
    l2 = np.linalg.norm(a["beta_inf"] - a["min_l2"]) / np.linalg.norm(a["min_l2"])
    assert result.details["dist_to_min_l1"] == pytest.approx(l1, rel=1e-12)
    assert result.details["dist_to_min_l2"] == pytest.approx(l2, rel=1e-12)
    assert l1 < 0.5 * l2


def test_kernel_rich_short_horizon_is_inconclusive_with_the_remedy():
    result = _run("kernel_rich", t1=1.0, figure_sweep=False)
    assert result.outcome == "inconclusive"
    assert f"raise t1 to >= {result.details['proven_fit_time']:.2g}" in result.reason
    assert result.details["remaining_motion_bound"] > result.tolerance
    default = _run("kernel_rich", figure_sweep=False)
    assert default.details["t1"] >= default.details["proven_fit_time"]  # the derived horizon suffices
    assert default.details["final_time"] <= default.details["proven_fit_time"]  # the bound is a bound


def test_kernel_rich_intermediate_alpha_is_neither_l1_nor_l2():
    """At α = 0.3 the limit is far from both the min-ℓ1 and the min-ℓ2 interpolant: only Q_α
    fits (THEORY.md §2 negative control: comparing with either limit fails)."""
    result = _run("kernel_rich", figure_sweep=False)
    assert result.passed
    assert min(result.details["dist_to_min_l1"], result.details["dist_to_min_l2"]) > 1e3 * result.tolerance


@settings(max_examples=6)
@given(depth=st.sampled_from([2, 3, 4]), alpha=st.floats(0.1, 2.0), seed=st.integers(0, 2**16))
def test_kernel_rich_property(depth, alpha, seed):
    result = _run("kernel_rich", seed=seed, depth=depth, alpha=alpha, figure_sweep=False)
    assert result.passed, (depth, alpha, result.error, result.details)


def test_kernel_rich_gd_has_an_order_eta_bias():
    """GD instead of the flow lands O(η) away from argmin Q: inside its η-scaled tolerance, but
    outside the flow's 1e-6 (so the flow's tolerance is not loose enough to hide GD's bias)."""
    result = _run("kernel_rich", solver="gd", figure_sweep=False)
    assert result.passed, (result.error, result.details)
    assert result.tolerance == 0.025 * make_config(get_check("kernel_rich")).lr_scale
    assert result.error > 1e-6 == _run("kernel_rich", figure_sweep=False).tolerance


# paper scale ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_kernel_rich_paper_scale():
    """Woodworth et al.'s data size: d = 1000, n = 100, s = 5."""
    for depth in (2, 3):
        result = _run("kernel_rich", n=100, d=1000, sparsity=5, depth=depth, alpha=0.1, figure_sweep=False)
        assert result.passed, (depth, result.error, result.details)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(5))
def test_edge_of_stability_long_run(seed):
    result = _run("edge_of_stability", seed=seed, steps=100_000, every=10)
    assert result.passed, result.details


def test_configs_are_frozen_dataclasses():
    for check in registry().values():
        config = make_config(check)
        assert dataclasses.is_dataclass(config)
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(config, dataclasses.fields(config)[0].name, None)


def test_cli_exit_codes_on_a_real_check(tmp_path, capsys):
    """The built-in warm-up check through the CLI: 0 by default, 1 under its negative control,
    with the record written either way."""
    from theorycheck.cli import main

    assert main(["run", "gd_quadratic", "--out", str(tmp_path / "ok"), "--no-plots"]) == 0
    assert main(["run", "gd_quadratic", "--set", "momentum=0.5", "--out", str(tmp_path / "bad"), "--no-plots"]) == 1
    for sub, passed in (("ok", True), ("bad", False)):
        record = json.loads((tmp_path / sub / "results.json").read_text())["checks"][0]
        assert record["name"] == "gd_quadratic" and record["passed"] is passed
        assert (tmp_path / sub / "gd_quadratic.npz").exists()


def test_a_new_data_value_does_not_recompile():
    """Configs that differ only in data keys share one static part and one compiled simulate."""
    from theorycheck._check import jitted_simulate, static_part

    check = get_check("gd_quadratic")
    configs = [make_config(check, {"lr_fraction": f, "momentum": m}) for f, m in ((0.3, 0.0), (1.7, 0.2))]
    assert static_part(configs[0], check.data_keys) == static_part(configs[1], check.data_keys)
    for config in configs:
        check.run(config, jax.random.key(0))
    simulate = jitted_simulate(check.simulate, static_part(configs[0], check.data_keys))
    assert simulate._cache_size() == 1
    for other in registry().values():  # every data key is blanked out of the static config
        blank = static_part(make_config(other), other.data_keys)
        assert all(getattr(blank, k) is None for k in other.data_keys)
