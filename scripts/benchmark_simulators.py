"""Deprecated name of ``scripts/bench_suite.py`` (kept so that old commands still run)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_suite  # noqa: E402

if __name__ == "__main__":
    bench_suite.main()
