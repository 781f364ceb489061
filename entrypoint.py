#!/usr/bin/env python3
"""Container entry point: runs `gps` exactly as the console script does."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from gps.cli import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main())
