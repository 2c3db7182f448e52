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


def test_placement_note_only_where_goodness_has_no_closed_form():
    """2.4.18's goodness() with threads of one mm on several busy CPUs (shipped
    ``threaded``: 64 threads per mm, 16 CPUs, context switches) has no closed form, so the
    writeup says the simulator is the reference; single-threaded tasks (default), or the
    same threads under 2.6's O(1) scheduler (no mm preference, exact), get no such note."""
    from ukspace_lab import load_scenario

    def kinds(scn):
        return [f.topic for f in notes.findings(verdict(scn))]

    threaded = load_scenario("threaded")
    assert "placement" in kinds(threaded)
    assert "placement" not in kinds(load_scenario("default"))
    assert "placement" not in kinds(threaded.with_overrides({"machine.kernel": "2.6"}))
