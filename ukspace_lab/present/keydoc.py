"""The scenario keys as a Markdown page: ``ukspace-lab keys`` prints it, and
``docs/scenario-keys.md`` is that output, committed (a test keeps it current)."""

from __future__ import annotations

from collections.abc import Iterable

from ..model.keys import Key

HEADER = """\
# Scenario keys

Generated from the schema by `ukspace-lab keys > docs/scenario-keys.md`; do not
edit by hand (`tests/test_scenario_keys.py` fails when it is out of date).

A scenario is a YAML mapping (`papermill_params/*.yaml`, or any path); every
key below may be left out (its default applies) or changed with
`--set KEY=VALUE`. A value of a key that takes only words (`machine.kernel`,
`title`, ...) is taken as typed: `--set machine.kernel=2.6`. A bad key or
value is refused before any work with one message per problem. Numbers are
finite (no `.nan`, `.inf`), booleans are not numbers, and a whole scenario
must fit the machine: each task's mappings within each strategy's TASK_SIZE,
and its events per second within cpus x clock_hz.

| key | accepts | default | meaning |
|---|---|---|---|
"""


def keys_markdown(keys: Iterable[Key]) -> str:
    """The page: the header, then one table row per key."""
    rows = [f"| `{k.key}` | {k.accepts} | {k.default} | {k.meaning.replace('|', '/')} |"
            for k in keys]
    return HEADER + "\n".join(rows) + "\n"
