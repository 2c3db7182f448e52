"""The shared segment in large pages (bigpages, hugetlbfs), against hand derivations."""

import pytest

from ukspace_lab import ScenarioError, budget, load_scenario, points_from_scenario, strategy
from ukspace_lab.model.largepages import page_options

MiB, GiB = 1 << 20, 1 << 30


def one(scn, name, field):
    return float(getattr(budget(points_from_scenario(scn), strategy(name)), field)[0])


@pytest.mark.parametrize("name", ["mainline", "highpte", "ukspace", "4g4g", "flat64"])
def test_2gib_sga_in_large_pages_costs_no_pte_pages(name):
    """default (PAE): 4 MiB text -> 2 PTE pages, 32 MiB private -> 16, 128 KiB stack
    -> 1, 2 GiB SGA -> 1,024 with 4 KiB pages (2 MiB per PTE page); in 2 MiB pages the
    SGA is 1,024 pmd entries of the 3 pmd pages every PAE mm has, no PTE page: 19."""
    scn = load_scenario("default", {"workload.shared_segment_page": "large"})
    small = load_scenario("default")
    assert one(scn, name, "pte_pages_per_task") == 19
    assert one(small, name, "pte_pages_per_task") == 19 + 1024


def test_mainline_lowmem_per_task_drops_by_the_sga_pte_pages():
    """The difference in lowmem per task is exactly 1,024 PTE pages = 4 MiB."""
    a = one(load_scenario("default"), "mainline", "per_task_lowmem")
    b = one(load_scenario("default", {"workload.shared_segment_page": "large"}),
            "mainline", "per_task_lowmem")
    assert a - b == 1024 * 4096


def test_large_refused_on_2_5_7():
    """hugetlbfs is 2.5.36+; the 2.5 era is 2.5.7: refused, naming the key and eras."""
    with pytest.raises(ScenarioError) as exc:
        load_scenario("default", {"workload.shared_segment_page": "large",
                                  "machine.kernel": "2.5"})
    msg = str(exc.value)
    assert "workload.shared_segment_page" in msg and "2.5.36" in msg and "2.6" in msg


def test_era_page_options():
    """bigpages on 2.4 (RHEL AS 2.1 vendor kernel), none on 2.5.7, hugetlbfs on 2.6."""
    assert page_options("2.4.18") == ("4KiB", "large")
    assert page_options("2.5") == ("4KiB",)
    assert page_options("2.6") == ("4KiB", "large")


def test_large_refills_fewer_per_flush():
    """P6: L = 96 x 0.75 = 72 live 4 KiB entries; half (sga_tlb_share 0.5) map the SGA,
    36 move to the large-page TLB, of which min(10 entries, 1,024 pages) x 0.75 = 7.5
    are live: 72 - 36 + 7.5 = 43.5 refills per full flush."""
    from ukspace_lab.model import tlb
    p = points_from_scenario(load_scenario("default",
                                           {"workload.shared_segment_page": "large"}))
    assert float(tlb.refills_per_flush(p)[0]) == pytest.approx(43.5)
    q = points_from_scenario(load_scenario("default"))
    assert float(tlb.refills_per_flush(q)[0]) == pytest.approx(72.0)
