"""Parse the guest's serial console: ``UKS kind=... key=value`` lines into records."""

from __future__ import annotations

import re
from collections.abc import Iterable

Record = dict[str, str | int | float]

UKS_LINE = re.compile(r"UKS (kind=\S+(?: [^\s=]+=\S*)*)")
FAILURE_MARKERS = ("Kernel panic", "BUG: ", "Oops", "general protection fault", "Out of memory")


class GuestError(RuntimeError):
    """The guest did not finish its jobs cleanly; the message carries the log evidence."""


def _value(text: str) -> str | int | float:
    """``"12"`` → 12, ``"0.5"`` → 0.5, anything else stays a string."""
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def parse_line(line: str) -> Record | None:
    """One record from a console line, or None when the line carries no UKS record."""
    match = UKS_LINE.search(line)
    if not match:
        return None
    pairs = (token.split("=", 1) for token in match.group(1).split(" "))
    return {key: _value(val) for key, val in pairs}


def parse_records(log: str) -> list[Record]:
    """Every UKS record of a serial log, in order."""
    return [rec for rec in map(parse_line, log.splitlines()) if rec is not None]


def of_kind(records: Iterable[Record], kind: str) -> list[Record]:
    """The records with ``kind=<kind>``."""
    return [r for r in records if r.get("kind") == kind]


def one(records: Iterable[Record], kind: str, **match: str | int) -> Record:
    """The single record of a kind whose fields equal ``match``; GuestError otherwise."""
    found = [r for r in of_kind(records, kind) if all(r.get(k) == v for k, v in match.items())]
    if len(found) != 1:
        raise GuestError(f"expected one UKS kind={kind} {match}, found {len(found)}")
    return found[0]


def _tail(log: str, lines: int = 25) -> str:
    return "\n".join(log.splitlines()[-lines:])


def check_boot(log: str, records: list[Record], returncode: int) -> None:
    """Raise GuestError unless every job finished with status 0 and the guest powered off."""
    problems = [f"guest error record: {r}" for r in of_kind(records, "error")]
    problems += [f"job {r['job']} exited with status {r['status']}"
                 for r in of_kind(records, "job_done") if r.get("status") != 0]
    problems += [f"console: {ln.strip()}" for ln in log.splitlines()
                 if any(m in ln for m in FAILURE_MARKERS)][:5]
    if not of_kind(records, "done"):
        reason = "timed out" if returncode in (124, 137) else f"qemu exit code {returncode}"
        problems.append(f"guest never reported kind=done ({reason})")
    if problems:
        raise GuestError("; ".join(problems) + "\n--- last console lines ---\n" + _tail(log))
