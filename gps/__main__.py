"""`python -m gps` runs the same command as the `gps` console script."""

from gps.cli import main

raise SystemExit(main())
