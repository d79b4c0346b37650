"""Allow `python -m lautre_tui`, handy on a bastion where the script is not on PATH."""

from lautre_tui.cli import main

raise SystemExit(main())
