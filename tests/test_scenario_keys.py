"""docs/scenario-keys.md is the schema's key list, current, and every key has a meaning."""

from pathlib import Path

from ukspace_lab.cli import main
from ukspace_lab.model.keydocs import MEANINGS
from ukspace_lab.model.keys import field_at, is_text, scenario_keys
from ukspace_lab.model.scenario import Scenario

DOC = Path(__file__).resolve().parents[1] / "docs" / "scenario-keys.md"


def _schema_keys(model=Scenario, prefix=""):
    """Every leaf key, walked straight from pydantic's fields (not through keys.py)."""
    for name, info in model.model_fields.items():
        ann = info.annotation
        if isinstance(ann, type) and hasattr(ann, "model_fields"):
            yield from _schema_keys(ann, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}"


def test_committed_page_is_current(capsys):
    """Regenerate with: ukspace-lab keys > docs/scenario-keys.md"""
    assert main(["keys"]) == 0
    assert capsys.readouterr().out == DOC.read_text(encoding="utf-8"), \
        "docs/scenario-keys.md is out of date: run ukspace-lab keys > docs/scenario-keys.md"


def test_every_schema_key_is_listed_with_a_meaning():
    listed = [k.key for k in scenario_keys()]
    leaves = [k for k in _schema_keys() if k not in ("costs", "sweep")]
    assert set(leaves) <= set(listed)
    missing = [k.key for k in scenario_keys() if not k.meaning]
    assert not missing, f"add a line to ukspace_lab/model/keydocs.py for {missing}"
    assert not set(MEANINGS) - set(listed), "keydocs.py describes keys the schema lacks"


def test_text_keys_are_the_word_keys():
    """Only keys that take words only are passed through --set as typed text."""
    assert is_text("machine.kernel") and is_text("title") and is_text("machine.split")
    assert not is_text("workload.tasks") and not is_text("workload.file_set")
    assert not is_text("workload.highmem_cache_fraction") and not is_text("costs.clock_hz")
    assert field_at("workload.nope") is None and field_at("title.x") is None
