"""The lowmem budget, against numbers derived by hand from kernel constants."""

import pytest

from ukspace_lab import budget, evaluate, load_scenario, points_from_scenario, strategy

MiB, GiB = 1 << 20, 1 << 30
NO_HOLE = {"machine.phys_hole": 0}   # the hand derivations below leave the PCI hole out


def test_phys_hole_auto_for_pae_boxes_above_4gib():
    """auto: a PAE box with more than 4 GiB remaps a 512 MiB PCI hole above 4 GiB, so
    mem_map spans 16.5 GiB: 16.5 GiB / 4 KiB x 64 B = 264 MiB on 2.4.18; a 4 GiB box
    or a non-PAE desktop has none (256 MiB would be 16 GiB alone)."""
    scn = load_scenario("default")
    assert one(scn, "mainline", "mem_map") == (16 * GiB + 512 * MiB) // 4096 * 64 == 264 * MiB
    assert one(load_scenario("default", {"machine.ram": "4GiB"}), "mainline",
               "mem_map") == 4 * GiB // 4096 * 64
    assert one(load_scenario("desktop"), "mainline", "mem_map") == 1 * GiB // 4096 * 64


def test_nr_cpus_on_2_6_follows_the_subarch():
    """2.6.11 Kconfig: NR_CPUS default 8, or 32 with NUMAQ/SUMMIT/BIGSMP/ES7000 (needed
    past 8 CPUs). FIXADDR_START = 0xfffff000 - (19 + 13 x NR_CPUS) x 4 KiB: 0xfff84000
    with 8, 0xffe4c000 with 32 (the 16-way default)."""
    from ukspace_lab.model.layout import fixmap
    for cpus, nr in ((8, 8), (16, 32)):
        p = points_from_scenario(load_scenario("default", {"machine.kernel": "2.6",
                                                           "machine.cpus": cpus}))
        assert fixmap(p)[0][0] == 0xFFFFF000 - (19 + 13 * nr) * 4096


def one(scn, name, field):
    return float(getattr(budget(points_from_scenario(scn), strategy(name)), field)[0])


@pytest.mark.parametrize("kernel,size", [("2.4.18", 64), ("2.5", 48), ("2.6", 32),
                                         ("modern", 40)])
def test_mem_map_per_era(kernel, size):
    """mem_map = RAM / 4096 x sizeof(struct page): 16 GiB -> 256/192/128/160 MiB."""
    scn = load_scenario("default", {"machine.kernel": kernel, **NO_HOLE})
    assert one(scn, "mainline", "mem_map") == (16 * GiB // 4096) * size


def test_64gib_does_not_boot_on_2_4_18():
    """1 GiB of 64-byte struct pages cannot fit in 896 MiB of lowmem (Ingo, 2003)."""
    scn = load_scenario("pae64g", {"machine.kernel": "2.4.18"})
    df = evaluate(scn).set_index("strategy")
    assert not df.loc["mainline", "boots"]
    assert df.loc["mainline", "max_tasks"] == 0
    assert df.loc["flat64", "boots"] and df.loc["4g4g", "boots"]


def test_mainline_max_tasks_by_hand():
    """default (4 KiB SGA pages, 2.4.18): per task 1043 PTE pages + 32 B pgd + 3 pmd pages
    + mm 384 + 24 vmas x 64 + 8 KiB stack + files 416 + fs 64 + signal 1,312
    = 4,296,352 B of lowmem. Resident highmem-first memory: the 2 GiB SGA, and per task
    0.5 x (32 MiB + 128 KiB) = 16,842,752 B. At 400 tasks the page cache holds what is
    left: 16 GiB - (256 MiB mem_map + 8 MiB + 2 GiB + 400 x (4,296,352 + 16,842,752))
    = 6,299,919,872 B = 1,538,066 pages, each with one 96-byte buffer_head in lowmem:
    147,654,336 B. The limit is where lowmem runs out with the cache of that count: at
    n tasks the cache is 16 GiB - 264 MiB - 2 GiB - n x 21,139,104 B and lowmem holds
    264 MiB + n x 4,296,352 + its buffer_heads; at 83 that is 938,132,576 B <= 896 MiB
    (cache 13,001,015,840 B, buffer_heads 304,711,296 B), at 84 it is 941,933,472 B >
    939,524,096: 83 tasks (154 without the buffer_heads and slabs)."""
    scn = load_scenario("default", NO_HOLE)
    per_task = 1043 * 4096 + 32 + 3 * 4096 + 384 + 24 * 64 + 8192 + 416 + 64 + 1312
    assert one(scn, "mainline", "per_task_lowmem") == per_task == 4_296_352
    high_task = (32 * MiB + 128 * 1024) // 2
    cache = 16 * GiB - (264 * MiB + 2 * GiB + 400 * (per_task + high_task))
    bh = cache // 4096 * 96
    assert bh == 147_654_336
    b = budget(points_from_scenario(scn), strategy("mainline"))
    assert float(b.consumers["buffer_heads of cached pages"][0][0]) == bh
    def used(n):
        c = 16 * GiB - 264 * MiB - 2 * GiB - n * (per_task + high_task)
        return 264 * MiB + n * per_task + c // 4096 * 96
    assert used(83) <= 896 * MiB < used(84)
    assert one(scn, "mainline", "max_tasks") == 83
    assert str(b.task_limit[0]) == "lowmem"


def test_highpte_max_tasks_counts_the_sga_against_highmem():
    """highpte on 16 GiB with a 2 GiB SGA (4 KiB pages): lowmem per task = 32 B pgd +
    3 pmd pages + 384 + 24 x 64 + 8 KiB + 1,792 slabs = 24,224 B; resident per task in
    highmem first: 1043 PTE pages + 16,842,752 B private = 21,114,880 B. All of RAM less
    mem_map, the kernel image and the SGA: (16 GiB - 264 MiB - 2 GiB) / (24,224 +
    21,114,880) = 698.0 -> 698 (799 if the SGA were left out), bound by RAM; PTE pages
    spill into lowmem once highmem is full (pte_alloc_one __GFP_HIGHMEM)."""
    scn = load_scenario("default", NO_HOLE)
    low = 32 + 3 * 4096 + 384 + 24 * 64 + 8192 + 1792
    high = 1043 * 4096 + (32 * MiB + 128 * 1024) // 2
    assert one(scn, "highpte", "per_task_lowmem") == low
    expect = (16 * GiB - 264 * MiB - 2 * GiB) // (low + high)
    assert expect == 698 and (16 * GiB - 264 * MiB) // (low + high) == 799
    b = budget(points_from_scenario(scn), strategy("highpte"))
    assert b.max_tasks[0] == expect and str(b.task_limit[0]) == "RAM"


def test_shpte_shares_the_sga_pte_pages():
    """shpte: the 2 GiB SGA's 1,024 PTE pages (whole 2 MiB spans) are one copy in lowmem,
    4 MiB fixed; each mm keeps 19 PTE pages of its own."""
    scn = load_scenario("default", {"strategies": ["mainline", "shpte"]})
    assert one(scn, "shpte", "pte_pages_per_task") == 19
    b = budget(points_from_scenario(scn), strategy("shpte"))
    assert float(b.consumers["shared PTE pages (shpte)"][0][0]) == 1024 * 4096
    assert one(scn, "mainline", "per_task_lowmem") - one(scn, "shpte", "per_task_lowmem") \
        == 1024 * 4096


def test_highpte_keeps_pte_pages_out_of_lowmem():
    scn = load_scenario("default")
    assert one(scn, "highpte", "pagetable_lowmem_per_task") == 32 + 3 * 4096
    assert one(scn, "highpte", "pagetable_per_task") == 1043 * 4096 + 32 + 3 * 4096


def test_highpte_without_highmem_falls_back_to_lowmem():
    """alloc_pages(GFP_KERNEL|__GFP_HIGHMEM) takes lowmem when there is no highmem."""
    scn = load_scenario("desktop", {"machine.ram": "512MiB"})
    assert one(scn, "highpte", "pagetable_lowmem_per_task") == \
        one(scn, "mainline", "pagetable_lowmem_per_task")


def test_ukspace_region_costs_lowmem_per_task():
    """An 8 MiB region under PAE: 4 PTE pages to map it, plus an unshared kernel pmd
    page when carved from kernel space (the kernel pmd is shared otherwise)."""
    scn = load_scenario("default")
    assert one(scn, "ukspace", "region_pt_pages_per_task") == 4 + 1
    user = load_scenario("default", {"ukspace.carve_from": "user"})
    assert one(user, "ukspace", "region_pt_pages_per_task") == 4


def test_modern_swiotlb_above_4gib():
    """The 6.1 guest loses 64 MiB of lowmem to SWIOTLB once RAM reaches above 4 GiB."""
    lo = load_scenario("default", {"machine.kernel": "modern", "machine.ram": "2GiB",
                                   **NO_HOLE})
    hi = load_scenario("default", {"machine.kernel": "modern", "machine.ram": "6GiB",
                                   **NO_HOLE})
    fixed_lo, fixed_hi = one(lo, "highpte", "fixed"), one(hi, "highpte", "fixed")
    assert fixed_hi - fixed_lo == 64 * MiB + 4 * GiB // 4096 * 40


def test_the_binding_task_limit_is_named():
    """default: mainline runs out of lowmem (83), highpte of RAM (698); threaded with
    nothing resident: 64 threads per task leave 32768 / 64 = 512 PIDs' worth."""
    scn = load_scenario("default")
    p = points_from_scenario(scn)
    assert budget(p, strategy("mainline")).task_limit[0] == "lowmem"
    assert budget(p, strategy("highpte")).task_limit[0] == "RAM"
    threaded = budget(points_from_scenario(load_scenario(
        "threaded", {"workload.private_resident": 0})), strategy("highpte"))
    assert threaded.task_limit[0] == "PID_MAX" and threaded.max_tasks[0] == 32768 // 64
