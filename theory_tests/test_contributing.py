"""CONTRIBUTING.md's rules that a test can hold: every built-in check has verdict tests on
doctored arrays (``theory_tests/test_verdict_NAME.py``) and verdict mutants
(``scripts/verdict_mutants/NAME.py``) whose snippets still occur exactly once."""

import ast
import os

import pytest

from theorycheck import origin_of, registry

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILT_IN = [name for name in registry() if origin_of(name) == "built-in"]


@pytest.mark.parametrize("name", BUILT_IN)
def test_every_built_in_check_has_verdict_tests(name):
    path = os.path.join(ROOT, "theory_tests", f"test_verdict_{name}.py")
    assert os.path.exists(path), f"{name} has no verdict tests: write theory_tests/test_verdict_{name}.py"
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    tests = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")]
    assert len(tests) >= 3, f"{name}: {len(tests)} verdict tests; pin every criterion from both sides"


@pytest.mark.parametrize("name", BUILT_IN)
def test_every_built_in_check_has_verdict_mutants_that_apply(name):
    path = os.path.join(ROOT, "scripts", "verdict_mutants", f"{name}.py")
    assert os.path.exists(path), f"{name} has no verdict mutants: write scripts/verdict_mutants/{name}.py"
    import importlib.util
    import sys

    sys.path.insert(0, os.path.join(ROOT, "scripts"))
    try:
        spec = importlib.util.spec_from_file_location(f"_mutants_{name}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.pop(0)
    assert len(module.MUTANTS) >= 4
    for mutant in module.MUTANTS:
        with open(os.path.join(ROOT, mutant.path), encoding="utf-8") as f:
            assert f.read().count(mutant.old) == 1, f"{mutant.name}: its snippet no longer occurs once in {mutant.path}"
        assert mutant.tests, f"{mutant.name} names no tests"


def test_mutant_names_are_unique_across_the_campaign():
    """``mutation_campaign.py`` refuses to run on a duplicate name (two checks' files once both
    named a mutant ``vcs-divergence-ignored``): a new check's prefix must be its own."""
    import collections
    import sys

    sys.path.insert(0, os.path.join(ROOT, "scripts"))
    try:
        import mutation_campaign
    finally:
        sys.path.pop(0)
    names = collections.Counter(m.name for m in [*mutation_campaign.MUTANTS, *mutation_campaign.verdict_mutants()])
    assert not [n for n, count in names.items() if count > 1], [n for n, count in names.items() if count > 1]
