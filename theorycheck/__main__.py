"""``python -m theorycheck``: the same command line as the ``theorycheck`` script."""

import sys

from theorycheck.cli import main

sys.exit(main())
