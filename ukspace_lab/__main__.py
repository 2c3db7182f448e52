"""``python -m ukspace_lab``: the ``ukspace-lab`` command."""

from .cli import main

raise SystemExit(main())
