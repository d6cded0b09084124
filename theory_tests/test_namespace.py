"""The distribution installs one import name, ``theorycheck``: a user's ``models.py``,
``bounds.py`` or ``dynamics/`` in the working directory is never imported by it."""

import os
import subprocess
import sys

import pytest

SHADOWS = {
    "models.py": "raise RuntimeError('the user models.py was imported')\n",
    "bounds.py": "raise RuntimeError('the user bounds.py was imported')\n",
    os.path.join("dynamics", "__init__.py"): "raise RuntimeError('the user dynamics/ was imported')\n",
}


@pytest.fixture
def shadowing_project(tmp_path):
    for name, text in SHADOWS.items():
        path = tmp_path / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    return tmp_path


def _run(args, cwd):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_registry_and_library_ignore_a_users_models_bounds_and_dynamics(shadowing_project):
    code = ("import sys, theorycheck; from theorycheck import bounds, dynamics, models; "
            "n = len(theorycheck.registry()); "
            "assert not {'models', 'bounds', 'dynamics'} & set(sys.modules), sorted(sys.modules); "
            "assert models.__name__ == 'theorycheck.models'; print(n)")
    done = _run([sys.executable, "-c", code], shadowing_project)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip()) >= 20


def test_the_cli_ignores_a_users_models_bounds_and_dynamics(shadowing_project):
    done = _run([sys.executable, "-m", "theorycheck", "list"], shadowing_project)
    assert done.returncode == 0, done.stderr
    assert "gd_quadratic" in done.stdout
    assert "user" not in done.stderr


def test_the_distribution_declares_one_top_level_package():
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(root, "pyproject.toml"), "rb") as f:
        include = tomllib.load(f)["tool"]["setuptools"]["packages"]["find"]["include"]
    assert include == ["theorycheck*"]
    assert not any(os.path.exists(os.path.join(root, name, "__init__.py")) for name in ("models", "bounds", "dynamics"))


@pytest.mark.parametrize("package", ["models", "dynamics", "bounds"])
def test_every_public_name_is_in_all(package):
    """``help()`` and API docs list what ``__all__`` lists: every re-exported name, nothing else."""
    import importlib
    import re

    module = importlib.import_module(f"theorycheck.{package}")
    with open(module.__file__, encoding="utf-8") as f:
        exported = set(re.findall(r"^from \.\w+ import (\w+) as \1$", f.read(), re.M))
    assert exported and sorted(module.__all__) == sorted(exported)
    assert all(hasattr(module, name) for name in module.__all__)
