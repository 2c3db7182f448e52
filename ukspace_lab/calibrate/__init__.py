"""Calibrate the model against a real i386 686-pae kernel booted under QEMU.

Public surface:

- ``harness.run_calibration(options)``: fetch, build, boot, write ``data/calibration/*.csv``.
- :class:`CalibrateOptions`: the validated matrix of one run (``ukspace-lab calibrate``).
- ``compare.compare()`` / ``compare.acceptance()``: the committed CSVs against the
  model's predictions, and the agreement criteria of issue 8.
- ``figures``: the notebook's plots of kernel against model.
- :func:`parse_records`: UKS console lines of the guest to records.
"""

from .options import CalibrateOptions, OptionError
from .parse import GuestError, parse_records

__all__ = ["CalibrateOptions", "GuestError", "OptionError", "parse_records"]
