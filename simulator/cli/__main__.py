"""`python -m simulator.cli` = `staffsim`."""

from simulator.cli import main

raise SystemExit(main())
