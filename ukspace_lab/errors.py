"""The one user-facing error: a scenario (or an option) the model cannot run."""

from __future__ import annotations


class ScenarioError(ValueError):
    """A scenario the model cannot run, with every problem spelled out.

    Each problem names the key, the value and what is allowed; the CLI prints
    them and exits 2, without a traceback.
    """

    def __init__(self, problems: list[str], source: str = "scenario"):
        self.problems = problems
        self.source = source
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"invalid {source}:\n{lines}")

    def __reduce__(self):
        """Survive a process boundary (sweep workers) with its problems intact."""
        return (type(self), (self.problems, self.source))
