"""`python -m app` runs the `dictate` command."""

from app.cli import main

raise SystemExit(main())
