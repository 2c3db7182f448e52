"""The verdict's notes and tables: the words built from a verdict record."""

from ukspace_lab.present import notes
from ukspace_lab.study.verdict import verdict


def test_verdict_frames(default):
    """The verdict as tables: both sides of each comparison, findings, break-evens."""
    v = verdict(default)
    t = notes.verdict_frames(v)
    assert {v.proposal, v.baseline, "better", "factor"} <= set(t["comparisons"].columns)
    assert len(t["headline"]) == len(v.rows)
    assert t["findings"]["finding"].str.len().min() > 0
    assert set(t["break_evens"].columns) >= {"axis", "break_even", "meaning"}
