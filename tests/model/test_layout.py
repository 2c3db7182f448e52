"""The virtual address map against the kernel's own constants.

Hand values (kernel-facts.md sec. 1 and 1c): 2.4 with >= 896 MiB of RAM has
high_memory = 0xF8000000, VMALLOC_START = (0xF8000000 + 16 MiB - 1) & ~(8 MiB - 1)
= 0xF8800000, PKMAP_BASE = 0xFE000000, and 5 x 32 + 9 = 169 fixmap pages under
FIXADDR_TOP 0xFFFFE000, so FIXADDR_START = 0xFFFFE000 - 169 * 4096 = 0xFFF55000.
"""

import pytest

from ukspace_lab import address_space, areas, load_scenario, points_from_scenario, strategy
from ukspace_lab.model.layout import fixmap, last_pkmap, pkmap_base

MiB = 1 << 20


def space(scn, name="mainline"):
    sp = address_space(points_from_scenario(scn), strategy(name))
    return {k: float(getattr(sp, k)[0]) for k in sp.__dataclass_fields__}


@pytest.mark.parametrize("kernel", ["2.4.18", "2.5"])
@pytest.mark.parametrize("arch,slots", [("i386", 1024), ("i386-pae", 512)])
def test_2_4_constants(kernel, arch, slots):
    scn = load_scenario("default", {"machine.kernel": kernel, "machine.arch": arch,
                                    "machine.ram": "4GiB"})
    p = points_from_scenario(scn)
    g = space(scn)
    assert g["lowmem"] == 896 * MiB
    assert g["task_size"] == 0xC0000000
    assert g["vmalloc_start"] == 0xF8800000
    assert pkmap_base(p)[0] == 0xFE000000
    assert last_pkmap(p)[0] == slots
    if kernel == "2.4.18":
        assert fixmap(p)[0][0] == 0xFFF55000
    assert g["vmalloc_end"] == 0xFE000000 - 2 * 4096


def test_2_6_pkmap_base_is_dynamic():
    """2.6.11: FIXADDR_TOP 0xFFFFF000; 19 + 13 x 32 = 435 permanent pages and 16
    btmaps: FIXADDR_BOOT_START = 0xFFFFF000 - 451 * 4096 = 0xFFE3C000; minus
    513 pages = 0xFFC3B000, rounded down to 2 MiB (PAE pmd) = 0xFFC00000."""
    scn = load_scenario("pae64g")
    assert pkmap_base(points_from_scenario(scn))[0] == 0xFFC00000
    scn = load_scenario("desktop", {"machine.kernel": "2.6"})
    # non-PAE: minus 1025 pages = 0xFFA3B000, rounded down to 4 MiB = 0xFF800000
    assert pkmap_base(points_from_scenario(scn))[0] == 0xFF800000


def test_modern_lowmem_matches_the_measured_zone_boundary():
    """6.1 686-pae: Normal zone ends at 0x36ffe000 (real-kernel.md)."""
    scn = load_scenario("default", {"machine.kernel": "modern"})
    assert space(scn)["maxmem"] == 0x36FFE000


@pytest.mark.parametrize("split,offset", [("3G/1G", 0xC0000000), ("2G/2G", 0x80000000),
                                          ("1G/3G", 0x40000000)])
def test_splits(split, offset):
    """(A 512 MiB segment: default's 2 GiB SGA does not fit a 1 GiB or 2 GiB TASK_SIZE.)"""
    scn = load_scenario("default", {"machine.split": split,
                                    "workload.shared_segment": "512MiB"})
    g = space(scn)
    assert g["task_size"] == offset
    assert g["maxmem"] == (1 << 32) - offset - 128 * MiB


def test_ukspace_region_carved_from_kernel():
    """PAE, 3 GiB user: a window of 1536 PTE pages (6 MiB) + 3 pmd pages + 64 pool
    pages = 6.26 MiB, rounded up to a 2 MiB pmd = 8 MiB, taken from MAXMEM."""
    scn = load_scenario("default", {"ukspace.carve_from": "kernel"})
    g = space(scn, "ukspace")
    assert g["region"] == 8 * MiB
    assert g["lowmem"] == 888 * MiB
    assert g["region_start"] == 0xFE000000 - 8 * MiB
    assert g["task_size"] == 0xC0000000
    # non-PAE: 768 pages (3 MiB) + 64 pool pages, rounded to a 4 MiB pmd
    assert space(load_scenario("desktop", {"ukspace.pool_entries": 64}), "ukspace")["region"] \
        == 4 * MiB


def test_ukspace_region_carved_from_user():
    scn = load_scenario("default", {"ukspace.carve_from": "user"})
    g = space(scn, "ukspace")
    assert g["lowmem"] == 896 * MiB
    assert g["task_size"] == 0xC0000000 - 8 * MiB
    assert g["region_start"] == 0xC0000000 - 8 * MiB


def test_4g4g_and_flat64():
    scn = load_scenario("default")
    g = space(scn, "4g4g")
    assert g["user_vaddr"] == 0xFF000000
    assert g["lowmem"] == (1 << 32) - 0x02000000 - 128 * MiB
    assert space(scn, "flat64")["lowmem"] == 16 << 30


def test_area_list_is_contiguous_and_ordered():
    for name in ("mainline", "ukspace"):
        rows = areas(load_scenario("default"), name)
        for a, b in zip(rows, rows[1:], strict=False):
            assert a.end == b.start, (a, b)
        assert rows[-1].end == 0xFFFFE000


def test_default_region_on_2_4_sits_in_the_hole_and_leaves_the_direct_map():
    """2.4.18 PAE: pkmap ends at 0xfe000000 + 512 x 4 KiB = 0xfe200000; FIXADDR_START =
    0xffffe000 - (9 + 5 x 32) x 4 KiB = 0xfff55000, whose pmd starts at 0xffe00000; so
    28 MiB of whole 2 MiB pmds are unused and the auto 8 MiB region sits at 0xfe200000.
    MAXMEM stays 4 GiB - 3 GiB - 128 MiB = 896 MiB, so the direct map is 896 MiB."""
    from ukspace_lab import load_scenario
    from ukspace_lab.model.inputs import points_from_scenario
    from ukspace_lab.model.layout import address_space, placement
    from ukspace_lab.model.strategies import strategy
    scn = load_scenario("default")
    assert scn.ukspace.carve_from == "auto" and placement(scn) == "hole"
    sp = address_space(points_from_scenario(scn), strategy("ukspace"))
    assert sp.lowmem[0] == 896 * 2**20 and sp.region_start[0] == 0xFE200000
    assert sp.vmalloc_end[0] == 0xFE000000 - 2 * 4096


def test_auto_region_falls_back_to_the_direct_map_on_2_6():
    """2.6.11 puts PKMAP_BASE just below the fixmap: no hole, so auto carves the 8 MiB
    below PKMAP_BASE and the direct map drops by 8 MiB."""
    from ukspace_lab import load_scenario
    from ukspace_lab.model.inputs import points_from_scenario
    from ukspace_lab.model.layout import address_space, placement
    from ukspace_lab.model.strategies import strategy
    scn = load_scenario("default", {"machine.kernel": "2.6"})
    assert placement(scn) == "kernel"
    p = points_from_scenario(scn)
    plain = address_space(p, strategy("highpte")).maxmem[0]
    assert address_space(p, strategy("ukspace")).maxmem[0] == plain - 8 * 2**20
