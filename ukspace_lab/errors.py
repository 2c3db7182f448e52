"""The one user-facing error: a scenario (or an option) the model cannot run."""

from __future__ import annotations

from typing import Any

VALUE_CHARS = 80          # a value quoted back to the user is cut to this
PROBLEM_CHARS = 500       # one problem line at most (key, value, what is allowed)
MAX_PROBLEMS = 6          # problems spelled out; the rest are counted
SOURCE_CHARS = 120        # the "invalid <source>" header (a path can be long)


def shown(value: Any, limit: int = VALUE_CHARS) -> str:
    """``repr(value)`` cut to ``limit`` characters, for quoting a user's value back.

    Never fails and never grows with the value: an integer too long for ``repr``
    (Python refuses more than 4300 digits) is described by its size, a long
    string is cut before it is quoted.
    """
    if isinstance(value, str) and len(value) > limit:
        value = value[:limit]
    try:
        text = repr(value)
    except ValueError:                      # int too long for str(): say how long
        text = f"<integer of {value.bit_length()} bits>" if isinstance(value, int) \
            else f"<{type(value).__name__}>"
    except Exception:                       # a user object whose repr fails
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


class ScenarioError(ValueError):
    """A scenario the model cannot run, with every problem spelled out.

    Each problem names the key, the value and what is allowed; the CLI prints
    them and exits 2, without a traceback. However large the input, the message
    stays small: each problem is cut to :data:`PROBLEM_CHARS`, and beyond
    :data:`MAX_PROBLEMS` the rest are only counted.
    """

    def __init__(self, problems: list[str], source: str = "scenario"):
        self.problems = [_cut(str(p), PROBLEM_CHARS) for p in problems]
        self.source = _cut(str(source), SOURCE_CHARS)
        listed = self.problems[:MAX_PROBLEMS]
        lines = "\n".join(f"  - {p}" for p in listed)
        if len(self.problems) > len(listed):
            lines += f"\n  ... and {len(self.problems) - len(listed)} more"
        super().__init__(f"invalid {self.source}:\n{lines}")

    def __reduce__(self):
        """Survive a process boundary (sweep workers) with its problems intact."""
        return (type(self), (self.problems, self.source))
