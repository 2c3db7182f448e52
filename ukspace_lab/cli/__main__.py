"""``python -m ukspace_lab.cli``: the same command as ``ukspace-lab``."""

import sys

from . import main

sys.exit(main())
