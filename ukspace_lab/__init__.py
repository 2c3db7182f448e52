"""ukspace-lab: Martin Bligh's 2002 u-k-space proposal, and what shipped, in numbers.

The public surface is the table in :mod:`ukspace_lab._api`: each name is
imported from the module named after what it models the first time it is
used. ``ukspace_lab.model`` is the kernel model and the closed form,
``ukspace_lab.sim`` the event simulator, ``ukspace_lab.study`` the sweeps and
the verdict, ``ukspace_lab.present`` the words and pictures.
"""

from __future__ import annotations

import importlib
from typing import Any

from ._api import COMPUTED, OLD_MODULES, PUBLIC
from .version import MODEL_VERSION as __version__

__all__ = ["__version__", *PUBLIC, *COMPUTED]


def __getattr__(name: str) -> Any:
    """Import a public name (or an old module name) on first use."""
    if name in PUBLIC:
        module, attr = PUBLIC[name]
        value = getattr(importlib.import_module(module), attr)
    elif name in COMPUTED:
        module, attr = COMPUTED[name]
        return getattr(importlib.import_module(module), attr)()
    elif name in OLD_MODULES:
        value = importlib.import_module(OLD_MODULES[name])
    else:
        raise AttributeError(f"module 'ukspace_lab' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *PUBLIC, *COMPUTED])
