"""PTE arithmetic, by hand: a PTE page maps 2 MiB under PAE (512 x 8-byte entries)
and 4 MiB without (1024 x 4-byte entries)."""

import numpy as np

from ukspace_lab.model.pagetables import pte_pages, pte_span, task_pte_pages, upper_pagetable_bytes

MiB, GiB = 1 << 20, 1 << 30


def test_two_gib_segment_costs_4mib_pae_2mib_without():
    assert pte_pages(2 * GiB, True) * 4096 == 4 * MiB
    assert pte_pages(2 * GiB, False) * 4096 == 2 * MiB


def test_partial_span_costs_a_whole_page():
    assert pte_pages(1, True) == 1
    assert pte_pages(2 * MiB + 1, True) == 2
    assert pte_pages(0, True) == 0
    assert list(pte_span(np.array([True, False]))) == [2 * MiB, 4 * MiB]


def test_task_regions_add_up():
    # text 4 MiB (2), private 32 MiB (16), stack 128 KiB (1), SGA 2 GiB (1024)
    assert task_pte_pages(4 * MiB, 32 * MiB, 128 << 10, 2 * GiB, True) == 1043
    assert task_pte_pages(4 * MiB, 32 * MiB, 128 << 10, 2 * GiB, False) == 1 + 8 + 1 + 512


def test_upper_levels():
    """Non-PAE: one 4 KiB pgd. PAE: a 32-byte pgd and 3 pmd pages (get_pgd_slow)."""
    assert upper_pagetable_bytes(False, 3, 32) == 4096
    assert upper_pagetable_bytes(True, 3, 32) == 32 + 3 * 4096
