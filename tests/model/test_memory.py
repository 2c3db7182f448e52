"""The lowmem budget, against numbers derived by hand from kernel constants."""

import pytest

from ukspace_lab import budget, evaluate, load_scenario, points_from_scenario, strategy

MiB, GiB = 1 << 20, 1 << 30


def one(scn, name, field):
    return float(getattr(budget(points_from_scenario(scn), strategy(name)), field)[0])


@pytest.mark.parametrize("kernel,size", [("2.4.18", 64), ("2.5", 48), ("2.6", 32),
                                         ("modern", 40)])
def test_mem_map_per_era(kernel, size):
    """mem_map = RAM / 4096 x sizeof(struct page): 16 GiB -> 256/192/128/160 MiB."""
    scn = load_scenario("default", {"machine.kernel": kernel})
    assert one(scn, "mainline", "mem_map") == (16 * GiB // 4096) * size


def test_64gib_does_not_boot_on_2_4_18():
    """1 GiB of 64-byte struct pages cannot fit in 896 MiB of lowmem (Ingo, 2003)."""
    scn = load_scenario("pae64g", {"machine.kernel": "2.4.18"})
    df = evaluate(scn).set_index("strategy")
    assert not df.loc["mainline", "boots"]
    assert df.loc["mainline", "max_tasks"] == 0
    assert df.loc["flat64", "boots"] and df.loc["4g4g", "boots"]


def test_mainline_max_tasks_by_hand():
    """default: per task 1043 PTE pages + 32 B pgd + 3 pmd pages + mm 384 + 24 vmas x 64
    + 8 KiB stack = 4,294,560 B; fixed = 256 MiB mem_map + 8 MiB reserved;
    (896 MiB - 264 MiB) // 4,294,560 = 154."""
    scn = load_scenario("default")
    per_task = 1043 * 4096 + 32 + 3 * 4096 + 384 + 24 * 64 + 8192
    assert one(scn, "mainline", "per_task_lowmem") == per_task
    assert one(scn, "mainline", "max_tasks") == (896 * MiB - 264 * MiB) // per_task == 154


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
    lo = load_scenario("default", {"machine.kernel": "modern", "machine.ram": "2GiB"})
    hi = load_scenario("default", {"machine.kernel": "modern", "machine.ram": "6GiB"})
    fixed_lo, fixed_hi = one(lo, "highpte", "fixed"), one(hi, "highpte", "fixed")
    assert fixed_hi - fixed_lo == 64 * MiB + 4 * GiB // 4096 * 40


def test_the_binding_task_limit_is_named():
    """default: mainline runs out of lowmem (154), highpte of highmem for its PTE
    pages (3,801); threaded: 64 threads per task leave 32768 / 64 = 512 PIDs' worth."""
    scn = load_scenario("default")
    p = points_from_scenario(scn)
    assert budget(p, strategy("mainline")).task_limit[0] == "lowmem"
    assert budget(p, strategy("highpte")).task_limit[0] == "highmem"
    threaded = budget(points_from_scenario(load_scenario("threaded")), strategy("highpte"))
    assert threaded.task_limit[0] == "PID_MAX" and threaded.max_tasks[0] == 32768 // 64
