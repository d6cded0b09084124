"""Every registered check, at the corners of its admissible ranges: never a false FAIL.

For each config key, one at a time, the key is set to the low and the high end of its range (each
choice, both booleans) while the other keys stay at the check's ``quick`` sizes. Where the
theorem's hypotheses hold, the outcome must be ``pass`` or ``inconclusive`` with a reason, never
``fail``: a FAIL there is a bug in the check (a budget too small for the setting, an overflow
read as a discrepancy), not a refutation of the theorem. Keys that the check's negative controls
set are hypothesis switches: their corners may fail, but must still decide cleanly (these run
under ``-m slow``; the negative-control tests cover the switches in the default suite). A corner
that its check's ``validate`` rejects in combination with the quick sizes is bad input (exit 2),
which is fine. Corners listed in a check's ``slow_corners`` run only under ``-m slow``.

A new check gets this test for free by being registered.
"""

import dataclasses
import math

import pytest

from theorycheck import _runner, make_config, registry
from theorycheck._check import FAIL, INCONCLUSIVE, PASS


def _ends(field):
    if isinstance(field.default, tuple) and field.default:  # a list-valued key: one-element lists
        element = dataclasses.field(default=field.default[0], metadata=field.metadata)
        element.type = type(field.default[0])
        return [(end, (value,)) for end, value in _ends(element)]
    kind = field.type if isinstance(field.type, type) else type(field.default)
    meta = field.metadata
    if meta.get("choices") is not None:
        return [(str(c), c) for c in meta["choices"]]
    if kind is bool:
        return [("false", False), ("true", True)]
    return [(end, meta.get(end)) for end in ("low", "high") if meta.get(end) is not None]


def _corners():
    for check in registry().values():
        controlled = {k for control in check.negative_controls for k in control}
        for field in dataclasses.fields(check.config_type):
            for end, value in _ends(field):
                corner = f"{field.name}={end}"
                # hypothesis switches are the negative controls' keys: their decided failures are
                # asserted by the control tests, so here they only run under -m slow
                switch = field.name in controlled
                marks = [pytest.mark.slow] if corner in check.slow_corners or switch else []
                yield pytest.param(check.name, field.name, value, field.name in controlled,
                                   id=f"{check.name}-{corner}", marks=marks)


@pytest.mark.parametrize("name, key, value, hypothesis_switch", list(_corners()))
def test_corner_never_fails_where_the_hypotheses_hold(name, key, value, hypothesis_switch):
    check = registry()[name]
    try:
        config = make_config(check, {**check.quick, key: value})
    except ValueError as error:  # a cross-key constraint: bad input, exit 2, not a verdict
        assert key in str(error) or any(k in str(error) for k in check.quick), error
        return
    result = _runner.execute(check, config, seed=0)
    assert result.outcome in (PASS, FAIL, INCONCLUSIVE)
    assert result.reason.strip()
    if not hypothesis_switch:
        assert result.outcome != FAIL, f"{name} {key}={value}: false FAIL: {result.reason}"


@pytest.mark.parametrize(
    "name, key",
    [(c.name, f.name) for c in registry().values() for f in dataclasses.fields(c.config_type)
     if type(f.default[0] if isinstance(f.default, tuple) and f.default else f.default) in (int, float)
     or (f.default is None and f.type in (int, float))],
)
@pytest.mark.parametrize("text", ["nan", "inf", "-inf"])
def test_every_numeric_key_rejects_non_finite_values(name, key, text):
    check = registry()[name]
    with pytest.raises(ValueError, match=key):
        make_config(check, {key: text})
    with pytest.raises(ValueError, match=key):
        make_config(check, {key: float(text)})
    assert not math.isfinite(float(text))
