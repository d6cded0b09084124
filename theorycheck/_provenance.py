"""Where a record came from: versions, the git commit, the backend and devices, the command line."""

import datetime
import importlib.metadata
import os
import platform
import subprocess
import sys
from typing import Any

import jax

PACKAGES = ("theorycheck", "jax", "jaxlib", "optax", "diffrax", "numpy", "scipy")


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def git_commit() -> dict[str, Any] | None:
    """``{"commit", "dirty"}`` of the checkout this package runs from, or None (an installed copy)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if not os.path.exists(os.path.join(root, ".git")):
        return None
    try:
        commit = subprocess.run(
            ["git", "-C", root, "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "-C", root, "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit, "dirty": bool(status.strip())}


def provenance(argv: list[str] | None = None) -> dict[str, Any]:
    """The run's provenance block (JSON-serialisable).

    Holds the versions of theorycheck and its numerical stack, the git commit (when run from a
    checkout), Python, the JAX backend with the device kind and count, whether float64 is on
    process-wide (checks that need it turn it on for their own run: see each record's
    ``float64``), the command line and the start time (UTC, ISO 8601).
    """
    devices = jax.devices()
    return {
        "versions": {p: _version(p) for p in PACKAGES},
        "git": git_commit(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "backend": jax.default_backend(),
        "device_kind": devices[0].device_kind if devices else None,
        "device_count": len(devices),
        "process_count": jax.process_count(),
        "jax_enable_x64": bool(jax.config.read("jax_enable_x64")),
        "command": list(sys.argv if argv is None else argv),
        "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
