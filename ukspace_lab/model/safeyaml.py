"""YAML read safely and bounded: scenario files and ``--set`` values.

PyYAML's pure-Python ``SafeLoader`` (no object construction from tags) with
limits a scenario never comes near, checked while the document is composed,
so a hostile file is refused before it is expanded:

- at most :data:`MAX_BYTES` of UTF-8 text (binary garbage and other encodings
  are refused, not guessed);
- nesting at most :data:`MAX_DEPTH` deep, counting what aliases bring in (a
  flow list nested 500 deep would otherwise exhaust Python's recursion);
- at most :data:`MAX_NODES` nodes once every alias is expanded (a "billion
  laughs" alias bomb is refused after ~100k nodes, in milliseconds, instead of
  being expanded later by whatever walks the data), and no alias inside the
  node it names (a cycle);
- no key twice in one mapping (YAML says keys are unique; PyYAML keeps the last);
- an integer literal of more than :data:`MAX_INT_CHARS` characters is not
  converted (Python refuses 4300 digits, and no count or size needs 40): it
  becomes an :class:`Oversized` marker the schema refuses under its key.

PyYAML is the project's YAML library already; subclassing its loader keeps
the YAML 1.1 types every scenario uses and adds only the counting.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.events import AliasEvent

from ..errors import shown

MAX_BYTES = 1 << 20       # shipped scenarios are ~1 kB; a 30,000-value sweep list ~200 kB
MAX_DEPTH = 32            # a scenario is 4 deep (section, key, sweep list, value)
MAX_NODES = 200_000       # after alias expansion
MAX_INT_CHARS = 40        # 2**64 has 20 digits


class LimitError(yaml.YAMLError):
    """A document past one of the limits (depth, size, a cyclic alias)."""

    def __init__(self, problem: str, mark: Any = None):
        super().__init__(problem)
        self.problem, self.problem_mark = problem, mark


class Oversized:
    """An integer literal too long to mean anything; its repr says how long."""

    def __init__(self, text: str):
        self.chars = len(text)

    def __repr__(self) -> str:
        return f"<integer of {self.chars} characters>"


class BoundedLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that counts depth and expanded nodes while composing."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0
        self._deepest = 0
        self._nodes = 0
        self._open: set[str] = set()                     # anchors being composed
        self._extent: dict[str, tuple[int, int]] = {}    # anchor -> (nodes, height)

    def _grow(self, nodes: int, depth: int, mark: Any) -> None:
        self._nodes += nodes
        self._deepest = max(self._deepest, depth)
        if depth > MAX_DEPTH:
            raise LimitError(f"nested more than {MAX_DEPTH} levels deep", mark)
        if self._nodes > MAX_NODES:
            raise LimitError(f"more than {MAX_NODES:,} values once its aliases are expanded "
                             "(an alias bomb?)", mark)

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, AliasEvent):
            if event.anchor in self._open:
                raise LimitError(f"the alias *{event.anchor[:40]} refers to a node that "
                                 "contains it (a cycle)", event.start_mark)
            nodes, height = self._extent.get(event.anchor, (1, 1))
            self._grow(nodes, self._depth + height, event.start_mark)
            return super().compose_node(parent, index)
        self._depth += 1
        start, outer = self._nodes, self._deepest
        self._deepest = 0
        self._grow(1, self._depth, event.start_mark)
        anchor = event.anchor
        if anchor is not None:
            self._open.add(anchor)
        node = super().compose_node(parent, index)
        if anchor is not None:
            self._open.discard(anchor)
            self._extent[anchor] = (self._nodes - start, self._deepest - self._depth + 1)
        self._deepest = max(outer, self._deepest)
        self._depth -= 1
        return node

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, Any] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.setdefault(key, key_node)
                except TypeError:
                    continue                      # unhashable: PyYAML says so below
                if first is not key_node:
                    raise ConstructorError(
                        None, None, f"the key {shown(key, 60)} is given twice in one mapping "
                        f"(first at line {first.start_mark.line + 1}); keep one",
                        key_node.start_mark)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node: Any) -> Any:
        text = self.construct_scalar(node)
        if len(text) > MAX_INT_CHARS:
            return Oversized(text)
        return super().construct_yaml_int(node)


BoundedLoader.add_constructor("tag:yaml.org,2002:int", BoundedLoader.construct_yaml_int)


def where(exc: yaml.YAMLError) -> str:
    """``line L, column C: what`` of a PyYAML error, in one short line."""
    mark = getattr(exc, "problem_mark", None)
    what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    at = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    if isinstance(exc, yaml.reader.ReaderError):
        at = f"character {exc.position + 1}: "
    return f"{at}{what}"


def decode(data: bytes, name: str) -> str:
    """UTF-8 text of ``data`` (a BOM is allowed), or ValueError saying where it is not."""
    if len(data) > MAX_BYTES:
        raise ValueError(f"{name}: larger than {MAX_BYTES >> 10} KiB; a scenario is a few "
                         "kB of YAML")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{name}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
                         f"{exc.start}); save it as UTF-8 YAML") from None


def load(text: str) -> Any:
    """One YAML document from ``text`` with the limits above (yaml.YAMLError if not)."""
    if len(text) > MAX_BYTES:
        raise LimitError(f"longer than {MAX_BYTES >> 10} KiB")
    loader = BoundedLoader(text)
    try:
        return loader.get_single_data()
    except RecursionError:                         # belt and braces: never a traceback
        raise LimitError(f"nested more than {MAX_DEPTH} levels deep") from None
    finally:
        loader.dispose()


__all__ = ["MAX_BYTES", "MAX_DEPTH", "MAX_NODES", "LimitError", "Oversized", "decode", "load",
           "where"]
