"""The suite's own distribution over pytest-xdist workers (conftest.scheduling_group)."""

from conftest import SPLIT_BY_CHECK, scheduling_group


def test_per_check_files_are_split_by_check_and_the_others_stay_whole():
    corner = "theory_tests/test_corners.py::test_corner_never_fails_where_the_hypotheses_hold[gd_quadratic-dim=low]"
    assert scheduling_group(corner) == "theory_tests/test_corners.py::gd_quadratic"
    control = "theory_tests/test_checks.py::test_negative_control_fails[central_flow-overrides32]"
    assert scheduling_group(control) == "theory_tests/test_checks.py::central_flow"
    unparametrised = "theory_tests/test_checks.py::test_registry_holds_the_foundation_checks"
    assert scheduling_group(unparametrised) == "theory_tests/test_checks.py"
    # a file with module fixtures keeps all its tests in one group, parametrised or not
    own = "theory_tests/test_wide.py::test_gd_global_convergence_other_seeds[1]"
    assert scheduling_group(own) == "theory_tests/test_wide.py"
    assert {"test_corners.py", "test_checks.py", "test_cli.py"} == SPLIT_BY_CHECK
