"""``ukspace-lab keys``: every scenario key, what it accepts, its default and meaning."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser("keys", help="list every scenario key (Markdown, as in "
                                    "docs/scenario-keys.md)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..model.keys import scenario_keys
    from ..present.keydoc import keys_markdown

    print(keys_markdown(scenario_keys()), end="")
    return 0
