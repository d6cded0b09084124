"""The pytest plugin: ``pytest --theorycheck[=NAMES]`` collects registered checks as tests.

Every registered check — built-in, an installed plugin's (entry-point group
``theorycheck.checks``), or one imported with ``--theorycheck-import FILE_OR_MODULE`` /
``THEORYCHECK_IMPORT`` — becomes test items (:func:`theorycheck.testing.cases`):

* ``NAME::default``: the check at its defaults must PASS;
* ``NAME::control[KEY=VALUE]``: each negative control must FAIL (decided, not inconclusive);
* ``NAME::corner[KEY=low|high|CHOICE]``: each config key at each end of its range, the others at
  the check's quick sizes, must PASS or be INCONCLUSIVE (never FAIL where the hypotheses hold).
  Corners of a control's key and a check's ``slow_corners`` are marked ``slow``.

``--theorycheck`` alone takes every check; ``--theorycheck=a,b`` those named.
``--theorycheck-kinds=default,control`` restricts the kinds (default: all three), and
``--theorycheck-seed`` sets the PRNG seed (default 0). Registered through the ``pytest11`` entry
point; it imports nothing from JAX unless ``--theorycheck`` is given.
"""

import pytest

KINDS = ("default", "control", "corner")


def pytest_addoption(parser):
    group = parser.getgroup("theorycheck", "theorem checks as tests")
    group.addoption("--theorycheck", nargs="?", const="all", default=None, metavar="NAMES",
                    help="collect registered checks as tests (all, or comma-separated names)")
    group.addoption("--theorycheck-kinds", default=",".join(KINDS), metavar="KINDS",
                    help="which generated tests: default, control, corner (comma-separated)")
    group.addoption("--theorycheck-import", action="append", default=[], metavar="MODULE_OR_FILE",
                    help="import a module or .py file that registers checks (repeatable)")
    group.addoption("--theorycheck-seed", type=int, default=0, help="PRNG seed of the generated tests")


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: paper-scale or costly cases (theorycheck corners of a control's key)")
    config.addinivalue_line("markers", "theorycheck: a test generated from a registered theorem check")


class TheoremItem(pytest.Item):
    """One generated case of one check."""

    def __init__(self, *, case, seed, **kwargs):
        super().__init__(**kwargs)
        self.case = case
        self.seed = seed

    def runtest(self):
        from theorycheck.testing import assert_case

        assert_case(self.case, seed=self.seed)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, AssertionError):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, f"{self.case.check}::{self.case.id}"


class TheoremCollector(pytest.Collector):
    """The generated tests of the selected checks (a virtual node below the session)."""

    def collect(self):
        from theorycheck import _registry
        from theorycheck.testing import cases

        options = self.config.option
        errors = _registry.discover(options.theorycheck_import)
        if errors:
            raise pytest.UsageError("theorycheck: check plugins failed to load:\n  "
                                    + "\n  ".join(map(str, errors)))
        checks = _registry.registry()
        names = list(checks) if options.theorycheck == "all" else [
            n.strip() for n in options.theorycheck.split(",") if n.strip()]
        unknown = [n for n in names if n not in checks]
        if unknown:
            raise pytest.UsageError(f"--theorycheck: unknown checks {unknown}; registered: {', '.join(checks)}")
        kinds = [k.strip() for k in options.theorycheck_kinds.split(",") if k.strip()]
        if not set(kinds) <= set(KINDS):
            raise pytest.UsageError(f"--theorycheck-kinds: expected some of {KINDS}, got {kinds}")
        for name in names:
            for case in cases(checks[name], kinds):
                item = TheoremItem.from_parent(self, name=f"{name}::{case.id}", case=case,
                                               seed=options.theorycheck_seed)
                item.add_marker(pytest.mark.theorycheck)
                if case.slow:
                    item.add_marker(pytest.mark.slow)
                yield item


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session, config, items):
    """Appends the generated items before ``-k``/``-m`` deselection runs."""
    if config.option.theorycheck is None:
        return
    collector = TheoremCollector.from_parent(session, name="theorycheck", nodeid="theorycheck")
    items.extend(session.genitems(collector))  # reports the collection like any other node
