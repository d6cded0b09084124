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

A new check gets this test for free by being registered. The cases and their assertion are
``theorycheck.testing.cases``/``assert_case``: the same ones the pytest plugin
(``pytest --theorycheck``) generates for any registered check, a plugin's included.
"""

import dataclasses
import math

import pytest

from theorycheck import make_config, registry
from theorycheck.testing import assert_case, cases


def _corners():
    for check in registry().values():
        for case in cases(check, kinds=("corner",)):
            yield pytest.param(case, id=f"{check.name}-{case.id[len('corner['):-1]}",
                               marks=[pytest.mark.slow] if case.slow else [])


@pytest.mark.parametrize("case", list(_corners()))
def test_corner_never_fails_where_the_hypotheses_hold(case):
    """The plugin's corner case (``pytest --theorycheck`` runs the same): pass or inconclusive,
    never fail, unless the key is a hypothesis switch (a control's key: decided either way)."""
    assert_case(case, seed=0)


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
