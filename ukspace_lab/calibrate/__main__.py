"""``python -m ukspace_lab.calibrate`` runs the calibrate subcommand standalone."""

import sys

from .cli import main

sys.exit(main())
