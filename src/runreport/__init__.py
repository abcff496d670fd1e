"""runreport: static HTML reports of workflow-automation run logs."""

import sys

__version__ = "0.1.0"

#: The oldest Python runreport runs on (tomllib, typing and exception features of 3.11).
PYTHON_FLOOR = (3, 11)

if sys.version_info < PYTHON_FLOOR:  # (said here, before any module that needs a newer one is read)
    raise SystemExit(f"runreport needs Python {PYTHON_FLOOR[0]}.{PYTHON_FLOOR[1]} or newer; this is "
                     f"Python {sys.version_info[0]}.{sys.version_info[1]} ({sys.executable})")
