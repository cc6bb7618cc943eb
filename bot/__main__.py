"""`python -m bot` is the same as the `nemobot` command."""

from bot.cli import main

raise SystemExit(main())
