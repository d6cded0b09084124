"""``theorycheck.testing`` (run, sweep, assert_holds/assert_fails, the hypothesis strategies) and
the pieces of ``theorycheck falsify`` that need no long simulation (range parsing, shrinking,
deterministic draws), on a tiny check of known behaviour; and the resume promise of a sweep."""

import dataclasses
import json
import math

import jax
import jax.numpy as jnp
import pytest
from hypothesis import Phase, given, seed as hypothesis_seed, settings

from theorycheck import Result, config_field, get_check, make_config, theorem
from theorycheck._falsify import draw, falsify, parse_ranges, shrink_candidates
from theorycheck._runner import ConfigError
from theorycheck.testing import assert_fails, assert_holds, cases, configs, past_range, run, seeds, sweep


@dataclasses.dataclass(frozen=True)
class ToyConfig:
    """The toy passes iff ``shift`` is 0: its measured mean of N(shift, 1/n) samples must lie
    within 6/√n of 0. ``shift`` is the control's key; ``scale`` spans decades; ``n`` is a size."""

    n: int = config_field(256, low=16, high=4096, help="samples")
    scale: float = config_field(1.0, low=1e-3, high=1e3, help="a scale that spans decades")
    kind: str = config_field("a", choices=("a", "b", "c"), help="a choice")
    shift: float = config_field(0.0, low=0.0, high=10.0, help="the control: a shifted mean")
    widths: tuple = config_field((8, 16), low=1, high=64, help="a list-valued key")

    def validate(self):
        if self.kind == "c" and self.n > 1024:
            raise ValueError("kind 'c' needs n <= 1024")


def toy_simulate(config, data, key):
    return {"samples": data["shift"] + jax.random.normal(key, (config.n,)) * data["scale"] / jnp.sqrt(config.n)}


def toy_verdict(config, data, arrays):
    mean = float(arrays["samples"].mean())
    return Result.decide(abs(mean), 6.0 * data["scale"] / math.sqrt(config.n), predicted=0.0, measured=mean,
                         what="|mean|")


theorem(ToyConfig, statement="the toy's mean is 0", name="toy_mean", controls=[{"shift": 1.0}],
        verdict=toy_verdict, data_keys=("scale", "shift"), replace=True)(toy_simulate)
TOY = get_check("toy_mean")


def test_run_and_assertions_carry_the_outcome_and_reason():
    assert run(TOY, seed=3).outcome == "pass"
    assert assert_holds("toy_mean", seed=3).outcome == "pass"
    with pytest.raises(AssertionError, match=r"expected PASS, got FAIL: \|mean\| .* > tolerance"):
        assert_holds(TOY, shift=1.0)
    assert assert_fails(TOY, shift=1.0, because="|mean|").outcome == "fail"
    with pytest.raises(AssertionError, match="expected FAIL, got PASS"):
        assert_fails(TOY)
    with pytest.raises(AssertionError, match="because of 'sharpness'"):
        assert_fails(TOY, shift=1.0, because="sharpness")
    with pytest.raises(ValueError, match="shift"):
        run(TOY, shift=-1.0)


def test_sweep_rows_are_tidy_with_every_key_typed():
    rows = sweep(TOY, {"scale": [0.5, 2.0]}, seeds=[0, 1], n=64)
    assert [(r["scale"], r["seed"]) for r in rows] == [(0.5, 0), (0.5, 1), (2.0, 0), (2.0, 1)]
    assert all(r["name"] == "toy_mean" and r["n"] == 64 and r["kind"] == "a" and r["widths"] == [8, 16]
               for r in rows)
    assert {r["outcome"] for r in rows} == {"pass"} and rows[0]["chunk_points"] == 4


def _drawn(strategy, count=60):
    out = []

    @hypothesis_seed(1)
    @settings(max_examples=count, phases=[Phase.generate], database=None)
    @given(strategy)
    def collect(value):
        out.append(value)

    collect()
    return out


def test_configs_draw_valid_configs_from_the_ranges_and_hold_the_control_key():
    drawn = _drawn(configs(TOY))
    assert all("shift" not in c for c in drawn)  # the control's key stays at its default
    for c in drawn:
        config = make_config(TOY, c)  # valid, validate() included
        assert 16 <= config.n <= 4096 and 1e-3 <= config.scale <= 1e3 and config.kind in "abc"
        assert 1 <= len(config.widths) <= 3 and all(1 <= w <= 64 for w in config.widths)
    scales = [c["scale"] for c in drawn if "scale" in c]
    assert min(scales) < 0.1 and max(scales) > 10  # log-uniform: both decades' ends are reached
    assert any(c == {} for c in drawn) and {c.get("kind") for c in drawn} >= {"b", "c"}
    freed = _drawn(configs(TOY, ranges={"shift": None}, n=32))
    assert any(c.get("shift", 0) > 0 for c in freed) and all(c["n"] == 32 for c in freed)
    past = _drawn(configs(TOY, ranges={"shift": (0.0, 50.0)}))
    assert any(c.get("shift", 0) > 10 for c in past)  # searched past the advertised range
    with pytest.raises(ValueError, match="nope"):
        configs(TOY, nope=1)
    with pytest.raises(ValueError, match="kind"):
        configs(TOY, kind="d")


def test_seeds_cover_the_key_range():
    drawn = _drawn(seeds(), 30)
    assert all(0 <= s <= 2**32 - 1 for s in drawn) and len(set(drawn)) > 20


def test_cases_are_default_controls_and_corners():
    ids = [c.id for c in cases(TOY)]
    assert ids[:2] == ["default", "control[shift=1.0]"]
    assert "corner[n=low]" in ids and "corner[kind=c]" in ids and "corner[widths=high]" in ids
    assert all(c.slow for c in cases(TOY) if c.key == "shift")


def test_parse_ranges_types_values_and_rejects_bad_input():
    assert parse_ranges(TOY, ["shift", "n=16:64", "kind=a,b"]) == {"shift": None, "n": (16, 64), "kind": ["a", "b"]}
    assert past_range(TOY, {"shift": (0.0, 20.0), "n": (16, 64)}) == {"shift"}
    for bad in (["nope"], ["n=64:16"], ["n=x:3"], ["kind=z"] if False else ["n=1.5:3"]):
        with pytest.raises(ConfigError):
            parse_ranges(TOY, bad)


def test_shrink_candidates_reset_keys_then_halve_towards_default_and_low():
    out = shrink_candidates(TOY, {"n": 1024, "scale": 100.0, "widths": (8, 16, 32)}, pinned=())
    assert out[:3] == [{"scale": 100.0, "widths": (8, 16, 32)}, {"n": 1024, "widths": (8, 16, 32)},
                       {"n": 1024, "scale": 100.0}]
    assert {"n": 512, "scale": 100.0, "widths": (8, 16, 32)} in out  # geometrically half way to the default 256
    assert {"n": 128, "scale": 100.0, "widths": (8, 16, 32)} in out  # geometrically half way to the low 16
    assert {"n": 1024, "scale": 10.0, "widths": (8, 16, 32)} in out  # geometric: √(100·1)
    assert {"n": 1024, "scale": 100.0, "widths": (8, 16)} in out  # a list shortened
    assert shrink_candidates(TOY, {"n": 1024}, pinned=("n",)) == []


def test_a_float_is_not_shrunk_closer_to_its_target_than_one_percent_of_its_range():
    """shift's range is [0, 10] (arithmetic): half way from 0.22 to 0 is 0.11 >= 0.1, a candidate;
    from 0.18 it would be 0.09 < 0.1, so only the reset to the default remains. scale spans
    decades (1e-3..1e3, log-width ln 1e6): half way to its default 1 from e^{0.28} is e^{0.14} >= 1%,
    from e^{0.26} it is e^{0.13} < 0.138 = 1% of ln 1e6, and the low end 1e-3 stays a target."""
    assert {"shift": 0.11} in shrink_candidates(TOY, {"shift": 0.22}, pinned=())
    assert shrink_candidates(TOY, {"shift": 0.18}, pinned=()) == [{}]
    far = shrink_candidates(TOY, {"scale": math.exp(0.28)}, pinned=())
    assert [c["scale"] for c in far[1:]] == [pytest.approx(math.exp(0.14)), pytest.approx(math.sqrt(math.exp(0.28) * 1e-3))]
    near = shrink_candidates(TOY, {"scale": math.exp(0.26)}, pinned=())
    assert near[0] == {} and [c["scale"] for c in near[1:]] == [pytest.approx(math.sqrt(math.exp(0.26) * 1e-3))]


def test_draws_are_deterministic_in_the_seed_and_falsify_shrinks_to_the_broken_key(tmp_path):
    first = draw(TOY, 12, 5, {}, {"shift": None}, set())
    assert first == draw(TOY, 12, 5, {}, {"shift": None}, set()) and first != draw(TOY, 12, 6, {}, {"shift": None}, set())
    search = falsify(TOY, budget=12, seed=5, ranges={"shift": None}, out_dir=str(tmp_path))
    assert search.counterexample is not None and list(search.counterexample.overrides) == ["shift"]
    report = json.loads((tmp_path / "falsify.json").read_text())
    assert report["counterexample"]["command"].startswith("theorycheck run toy_mean --set shift=")
    clean = falsify(TOY, budget=12, seed=5)
    assert clean.counterexample is None and len(clean.trials) == 12
    with pytest.raises(ConfigError, match="budget"):
        falsify(TOY, budget=0)
    with pytest.raises(ConfigError, match="both pinned"):
        falsify(TOY, fixed={"shift": 1.0}, ranges={"shift": None})


def test_a_resumed_sweep_recomputes_a_partial_chunk_to_the_same_bits(tmp_path):
    from theorycheck._sweep import plan_sweep, read_store, run_sweep

    plan = plan_sweep(TOY, {"scale": [0.5, 1.0, 2.0]}, [0, 1, 2], {"n": 64})
    rows, computed = run_sweep(plan, str(tmp_path), plots=False, progress=False)
    assert computed == 9
    removed = plan.points[4].id
    (tmp_path / "store" / f"{removed}.json").unlink()  # as if killed between two records of the chunk
    again, computed = run_sweep(plan, str(tmp_path), resume=True, plots=False, progress=False)
    assert computed == 1
    strip = lambda r: {k: v for k, v in r.items() if k != "seconds_amortised"}
    assert [strip(r) for r in again] == [strip(r) for r in rows]
    assert read_store(str(tmp_path), plan)[4]["measured"] == rows[4]["measured"]


def test_quick_falsify_holds_a_controls_size_key_and_frees_a_quick_pinned_key_on_request():
    """--quick caps integer keys at their defaults but never frees a control's key (here ``n`` is
    made a control's key), and ``--range`` on a key the quick sizes pin searches it instead."""
    check = TOY._replace(negative_controls=({"shift": 1.0}, {"n": 16}), quick={"widths": (8,)})
    held = falsify(check, budget=10, seed=2, quick=True)
    assert all("n" not in t.overrides for t in held.trials) and any(len(t.overrides) > 1 for t in held.trials)
    search = falsify(check, budget=4, quick=True, ranges={"widths": None})
    assert len(search.trials) == 4  # no "both pinned and searched" error


def test_a_corner_fails_the_plugin_case_only_where_the_hypotheses_hold():
    """``assert_case``: a FAIL at a corner of an ordinary key is a false FAIL (raises); the same
    FAIL at a corner of a control's key is a hypothesis switch (allowed); a corner ``validate``
    rejects is bad input (None)."""
    from theorycheck import register
    from theorycheck.testing import Case, assert_case

    register(TOY._replace(name="toy_mean_no_control", negative_controls=()), replace=True)
    corner = Case("toy_mean_no_control", "corner", "corner[shift=high]", {"shift": 10.0}, key="shift")
    with pytest.raises(AssertionError, match="PASS or INCONCLUSIVE"):
        assert_case(corner)
    assert assert_case(corner._replace(check="toy_mean")).outcome == "fail"
    assert assert_case(Case("toy_mean", "corner", "corner[kind=c]", {"kind": "c", "n": 4096}, key="kind")) is None
    assert assert_case(Case("toy_mean", "corner", "corner[n=low]", {"n": 16}, key="n")).outcome == "pass"


def test_a_config_key_named_like_a_record_field_is_refused():
    @dataclasses.dataclass(frozen=True)
    class Clashing:
        seed: int = config_field(0, low=0, high=9)

    with pytest.raises(ValueError, match="collide with record fields"):
        theorem(Clashing, statement="s", name="clashing")(toy_simulate)


def test_falsify_command_line_is_the_run_command():
    from theorycheck._falsify import Trial, command_line

    trial = Trial({"widths": (8, 16), "kind": "b", "shift": 1.0}, 7, {})
    assert command_line(TOY, trial) == "theorycheck run toy_mean --set widths=8,16 --set kind=b --set shift=1.0 --seed 7"
