"""The sweep cache: every kind of damage to an entry is a miss, recomputed, never a crash.

Each test builds the damage by hand on a real entry and checks what ``get`` and
``put`` do, then that a sweep through the damaged cache recomputes exactly the
damaged points and gives the table of a run without a cache.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from ukspace_lab import load_scenario
from ukspace_lab.atomic import TMP_PREFIX
from ukspace_lab.study.cache import MAGIC, SweepCache, cache_key
from ukspace_lab.study.sweep import run_sweep

AXES = {"tasks": [1, 10, 100]}


def entries(root) -> list:
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))


@pytest.fixture
def store(tmp_path) -> SweepCache:
    return SweepCache(tmp_path / "cache")


def sweep(store):
    """Three points through the per-point closed form (one cache entry each)."""
    return run_sweep(load_scenario("default"), AXES, engine="closed-point", workers=1,
                     cache=store, progress=False)


def test_entry_carries_its_key_and_checksum(store):
    """The entry is MAGIC, then '<key> <sha256> <length>', then the payload, exactly."""
    key = cache_key({"x": 1})
    assert store.put(key, b"payload bytes") is True
    blob = store.path(key).read_bytes()
    digest = hashlib.sha256(b"payload bytes").hexdigest()
    assert blob == MAGIC + f"{key} {digest} 13\n".encode() + b"payload bytes"
    assert store.get(key) == b"payload bytes"
    assert not list(store.path(key).parent.glob(f"{TMP_PREFIX}*"))


@pytest.mark.parametrize("damage", ["truncate", "flip_payload", "flip_header", "append",
                                    "empty", "no_magic", "length"])
def test_damaged_bytes_are_a_miss_and_removed(store, damage):
    """Truncated, one bit flipped (payload or checksum), grown, empty, no magic, a wrong
    length field: get() is None and the entry is gone."""
    key = cache_key({"x": 2})
    store.put(key, bytes(range(256)) * 4)
    path = store.path(key)
    blob = path.read_bytes()
    head = len(MAGIC) + 65                     # the key and its space
    damaged = {"truncate": blob[:-1],
               "flip_payload": blob[:-10] + bytes([blob[-10] ^ 0x04]) + blob[-9:],
               "flip_header": blob[:head] + bytes([blob[head] ^ 0x01]) + blob[head + 1:],
               "append": blob + b"\0",
               "empty": b"",
               "no_magic": blob[len(MAGIC):],
               "length": blob.replace(b" 1024\n", b" 1023\n", 1)}[damage]
    assert damaged != blob
    path.write_bytes(damaged)
    assert store.get(key) is None
    assert not path.exists()


def test_entry_copied_over_another_is_detected(store):
    """Entry A's file copied to B's path: intact bytes, but sealed for A's key, so B is a
    miss (and A still reads)."""
    a, b = cache_key({"p": "a"}), cache_key({"p": "b"})
    store.put(a, b"rows of A")
    store.put(b, b"rows of B")
    store.path(b).write_bytes(store.path(a).read_bytes())
    assert store.get(b) is None and not store.path(b).exists()
    assert store.get(a) == b"rows of A"


def test_entry_replaced_by_a_directory_is_a_miss_then_rewritten(store):
    """A directory (with a file in it) where an entry belongs: get() is None, not an
    IsADirectoryError; put() clears it and writes the entry."""
    key = cache_key({"x": 3})
    store.path(key).mkdir(parents=True)
    (store.path(key) / "junk").write_bytes(b"x")
    assert store.get(key) is None
    store.path(key).mkdir(parents=True, exist_ok=True)   # in the way again for put()
    assert store.put(key, b"fresh") is True
    assert store.get(key) == b"fresh"


def test_shard_folder_replaced_by_a_file_is_a_miss_then_rewritten(store):
    """A file where the entry's two-letter shard folder belongs (NotADirectoryError)."""
    key = cache_key({"x": 4})
    store.path(key).parent.parent.mkdir(parents=True)
    store.path(key).parent.write_bytes(b"not a folder")
    assert store.get(key) is None
    store.path(key).parent.write_bytes(b"not a folder")
    assert store.put(key, b"fresh") is True and store.get(key) == b"fresh"


def test_unreadable_entry_is_a_miss(store, monkeypatch):
    """An entry that cannot be read (mode 0 for a non-root user; EACCES simulated here,
    since root reads any mode) is a miss, and the next put() replaces it."""
    key = cache_key({"x": 5})
    store.put(key, b"secret")
    store.path(key).chmod(0)
    real = type(store.path(key)).read_bytes

    def refuse(self):
        if self == store.path(key):
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)
    monkeypatch.setattr(type(store.path(key)), "read_bytes", refuse)
    assert store.get(key) is None
    monkeypatch.undo()
    assert store.put(key, b"again") is True and store.get(key) == b"again"


def test_unwritable_cache_is_not_a_crash(tmp_path):
    """A cache root that is a file cannot hold entries: put() is False, get() is None."""
    root = tmp_path / "cache"
    root.write_bytes(b"a file")
    store = SweepCache(root)
    key = cache_key({"x": 6})
    assert store.get(key) is None
    assert store.put(key, b"x") is False


def test_valid_seal_around_bytes_that_are_not_parquet(store):
    """A checksum-valid entry whose payload pyarrow cannot read is a miss for get_frame."""
    key = cache_key({"x": 7})
    store.put(key, b"not parquet")
    assert store.get_frame(key) is None and not store.path(key).exists()


@pytest.mark.parametrize("damage", ["flip", "copied", "directory", "truncate"])
def test_sweep_recomputes_exactly_the_damaged_point(store, damage):
    """Through run_sweep: one entry damaged each way, the next sweep computes 1 point and
    reads 2, and its table equals a sweep without a cache."""
    straight = run_sweep(load_scenario("default"), AXES, engine="closed-point", workers=1,
                         cache=False, progress=False)
    first = sweep(store)
    assert first.attrs["sweep"] == {"points": 3, "cached": 0, "computed": 3}
    a, victim, _ = entries(store.root)
    blob = victim.read_bytes()
    if damage == "flip":
        victim.write_bytes(blob[:-50] + bytes([blob[-50] ^ 0x80]) + blob[-49:])
    elif damage == "copied":
        victim.write_bytes(a.read_bytes())
    elif damage == "directory":
        victim.unlink()
        victim.mkdir()
    else:
        victim.write_bytes(blob[: len(blob) // 2])
    again = sweep(store)
    assert again.attrs["sweep"] == {"points": 3, "cached": 2, "computed": 1}
    pd.testing.assert_frame_equal(again, straight)
    assert victim.is_file() and victim.read_bytes() == blob
    assert sweep(store).attrs["sweep"]["cached"] == 3


def test_closed_grid_entry_copied_from_another_grid_is_not_served(store):
    """The closed form's one-entry-per-grid: the entry of grid A copied over grid B's is
    refused (issue #11: an entry copied over another served 8 wrong rows)."""
    scn = load_scenario("default")
    a = run_sweep(scn, {"tasks": [1, 10]}, cache=store, progress=False)
    b = run_sweep(scn, {"tasks": [100, 1000]}, cache=store, progress=False)
    ea, eb = entries(store.root)
    foreign, own = (ea, eb) if a.attrs["sweep"] else (eb, ea)
    own.write_bytes(foreign.read_bytes())          # one grid's entry under the other's key
    again_a = run_sweep(scn, {"tasks": [1, 10]}, cache=store, progress=False)
    again_b = run_sweep(scn, {"tasks": [100, 1000]}, cache=store, progress=False)
    assert sorted([again_a.attrs["sweep"]["computed"], again_b.attrs["sweep"]["computed"]]) \
        == [0, 2]
    pd.testing.assert_frame_equal(again_a, a)
    pd.testing.assert_frame_equal(again_b, b)
