"""What each scenario key means, in one line, for ``ukspace-lab keys`` and
``docs/scenario-keys.md``.

The schema (:mod:`~ukspace_lab.model.scenario`) says what a key accepts and its
default; this table says what it means. ``tests/test_scenario_keys.py`` fails
when a key of the schema has no line here, or a line here names no key, so a
new key is documented when it is added.
"""

from __future__ import annotations

MEANINGS: dict[str, str] = {
    "title": "the scenario's name in tables, the writeup's subject (ASCII there) and reports",
    "seed": "random seed of the simulator (the closed form has no randomness)",
    "machine.arch": "`i386` (2-level pagetables, 4 GiB of RAM at most) or `i386-pae` "
                    "(3-level, 64-bit PTEs, up to 64 GiB)",
    "machine.ram": "physical RAM: from 16MiB; at most 4GiB without PAE (MAX_NONPAE_PFN), "
                   "64GiB with it",
    "machine.cpus": "CPUs; every global TLB flush sends an IPI to each of the others",
    "machine.split": "user/kernel split: PAGE_OFFSET at 3, 2 or 1 GiB (TASK_SIZE is the user "
                     "part)",
    "machine.kernel": "the kernel: a version from 2.4.0 to 6.x (`2.5.74`, `2.6.32`; a suffix "
                      "such as `-mm3` is ignored), resolved to the era whose constants and "
                      "mechanisms apply (`data/kernels.yaml` versions and gated), or an era "
                      "name: 2.4.18, 2.5 (2.5.7), 2.5-late (2.5.34-2.6.6, read as 2.5.73), "
                      "2.6 (2.6.11), 2.6.3x (2.6.30-5.10, read as 2.6.32), modern (6.1 "
                      "686-pae)",
    "machine.hz": "timer ticks per second per CPU, each a kernel entry; auto: the kernel's HZ "
                  "(100 in 2.4, 1000 from 2.5.25, CONFIG_HZ 250 from 2.6.13); from 2.6.21 "
                  "(NO_HZ) idle CPUs take none",
    "machine.last_pkmap": "slots of the global persistent kmap pool (LAST_PKMAP), a power of "
                          "two; auto: the era's (1024, 512 under PAE); larger in patched "
                          "kernels such as C2's and C3's 4096 (16 MiB of KVA)",
    "machine.interrupts_per_s": "device interrupts per second, machine-wide (network, disk), "
                                "each a kernel entry",
    "machine.cpu_model": "the cycle-cost table (`data/costs.yaml`) charged for each event",
    "machine.phys_hole": "physical address hole below 4 GiB (PCI); mem_map covers it too",
    "machine.apic": "how a flush IPI reaches the other CPUs: flat (one all-but-self "
                    "shortcut), clustered (NUMA-Q: one sequenced unicast per CPU); auto: "
                    "clustered above 8 CPUs",
    "workload.tasks": "processes, each its own mm; with threads, at most PID_MAX in all",
    "workload.threads_per_task": "threads sharing each mm",
    "workload.shared_segment": "shared memory every task maps (an SGA), paid in PTE pages by "
                               "each; it must fit each strategy's TASK_SIZE; larger than RAM "
                               "means partly swapped out (PTEs counted in full, no swap traffic)",
    "workload.private": "private memory per task (its own PTE pages)",
    "workload.text": "text (code) mapped per task",
    "workload.stack": "stack per task",
    "workload.vmas": "VMAs per mm, each a vm_area_struct in lowmem",
    "workload.reads_per_s": "buffered read() calls per task per second",
    "workload.writes_per_s": "buffered write() calls per task per second",
    "workload.read_size": "bytes per read() or write(); each 4 KiB page of it in highmem is "
                          "mapped once",
    "workload.file_set": "bytes of file data the reads range over, uniformly (auto: all of RAM)",
    "workload.highmem_cache_fraction": "share of page-cache pages in highmem (auto: highmem "
                                       "over RAM)",
    "workload.faults_per_s": "page faults per task per second (each touches a PTE page)",
    "workload.ctxsw_per_s": "context switches into each mm per second",
    "workload.forks_per_s": "fork()s per task per second (the parent's and child's PTE pages "
                            "are walked)",
    "workload.execs_per_s": "execve()s per task per second: copy_strings maps the argument "
                            "pages, the old mm is torn down (its PTE pages zapped) and the "
                            "new image faults its PTE pages in",
    "workload.exits_per_s": "exit()s per task per second, each zapping a whole mm; auto: "
                            "forks_per_s (a steady population: every forked process exits)",
    "workload.exec_arg_pages": "pages of argument and environment strings per exec "
                               "(MAX_ARG_PAGES 32 before 2.6.23); from 2.5.31 copy_strings "
                               "kmaps each once",
    "workload.exec_strings": "argv + envp strings per exec (plus the file name); before 2.5.31 "
                             "copy_strings kmaps once per string (and per page it crosses)",
    "workload.syscalls_per_s": "system calls per task per second besides read/write/fork/"
                               "exec/exit (each a kernel entry; 4G/4G switches CR3 twice)",
    "workload.cpu_bound": "true: every per-task rate is a rate while running, scaled by the "
                          "task's share of the CPUs, min(1, cpus / (tasks x threads)); one "
                          "preset then fits any machine and any -j",
    "workload.scan_pages_per_s": "PTEs of other mms that swapout scans per second, "
                                 "machine-wide",
    "workload.read_kmap": "how read()/write() map a highmem page: kmap (the global pool), "
                          "atomic (kmap_atomic), local (kmap_local); auto: the era's",
    "workload.atomic_fallback_fraction": "with atomic: share of copies that fault and retry "
                                         "through kmap",
    "workload.copy_fault_probability": "chance that a copy faults on the user page and sleeps "
                                       "holding its kmap",
    "workload.fault_sleep_ms": "how long such a sleep lasts, in milliseconds",
    "workload.kthread_io_share": "share of the read/write I/O done by kernel threads "
                                 "(knfsd, kswapd, loop, bdflush): they have no mm, so "
                                 "per-task-pool designs map it through the era's global "
                                 "path",
    "strategies": "the designs evaluated, each a row of `data/strategies.yaml`",
    "ukspace.pool_entries": "slots of the per-task kmap pool (4 KiB of region each)",
    "ukspace.carve_from": "where the u-k-space region is taken from: kernel (below "
                          "PKMAP_BASE, shrinks MAXMEM) or user (below PAGE_OFFSET, shrinks "
                          "TASK_SIZE)",
    "ukspace.region_size": "size of the region; auto: the pagetable window plus the pool, "
                           "rounded up to a pmd",
    "ukspace.piggyback": "reset a single-threaded task's pool for free when a CR3 reload "
                         "flushes it anyway",
    "costs.clock_hz": "CPU clock in Hz; must be > 0 (every cycle count is divided by it)",
    "costs.cache_line_bytes": "bytes of one cache line (how many pkmap PTEs and counters "
                              "share a line)",
    "costs.tlb_entries": "TLB entries (4 KiB pages), a whole number",
    "costs.tlb_live_fraction": "share of the TLB a task refills after a full flush, 0 to 1",
    "costs.tlb_refill_cycles": "cycles of one TLB refill (a pagetable walk)",
    "costs.invlpg_cycles": "cycles of one invlpg",
    "costs.cr3_reload_cycles": "cycles of a CR3 reload, refills not included",
    "costs.global_flush_cycles": "cycles of __flush_tlb_global on one CPU",
    "costs.ipi_send_cycles": "cycles to send a flush IPI to one target (clustered APIC: "
                             "one per other CPU)",
    "costs.ipi_allbut_cycles": "cycles of one all-but-self shortcut IPI (flat APIC)",
    "costs.ipi_receive_cycles": "cycles a CPU spends taking a flush IPI",
    "costs.ipi_wait_cycles": "cycles the sender waits for the first acknowledgement",
    "costs.ipi_wait_per_cpu_cycles": "cycles the sender's wait grows per target CPU (its "
                                     "call_data line moves twice per target)",
    "costs.lock_op_cycles": "cycles of one locked read-modify-write on a cache-hot line",
    "costs.kmap_lock_line_cycles": "cycles of a cache-line transfer from another CPU (the "
                                   "kmap_lock line, pkmap_count[], struct page lines)",
    "costs.kmap_high_hold_cycles": "cycles of kmap_high's work under kmap_lock for a mapped "
                                   "page, line transfers apart",
    "costs.kunmap_hold_cycles": "cycles of kunmap_high's work under kmap_lock, line "
                                "transfers apart",
    "costs.pkmap_new_cycles": "cycles of mapping a new page into the pkmap pool",
    "costs.pkmap_scan_entry_cycles": "cycles per pool entry flush_all_zero_pkmaps tests "
                                     "and leaves (count not 1)",
    "costs.pkmap_wrap_entry_cycles": "cycles per count-1 entry flush_all_zero_pkmaps "
                                     "clears (pte_clear, page->virtual), lines apart",
    "costs.set_page_address_cycles": "cycles of set_page_address() on 2.5.41+ (hash bucket "
                                     "lock and pool_lock), per new mapping and per cleared "
                                     "entry",
    "costs.page_address_lookup_cycles": "cycles of the hashed page_address() of 2.5.41+, "
                                        "in kmap_high and kunmap_high",
    "costs.kmap_atomic_cycles": "cycles of kmap_atomic (the invlpg charged apart)",
    "costs.ukspace_map_cycles": "cycles of mapping a page into the per-task pool",
    "costs.pte_clear_cycles": "cycles of clearing one pool slot",
    "costs.copy_page_cycles": "cycles of copying one 4 KiB page to user space (the kmap's "
                              "hold time)",
    "costs.kmap_atomic_to_page_cycles": "cycles of kmap_atomic_to_page(), which every "
                                         "page_add_rmap/page_remove_rmap calls under HIGHPTE "
                                         "(2.5.27-2.6.6)",
    "costs.pte_chain_node_cycles": "cycles of one pte_chain node (a cache line) walked by "
                                   "page_remove_rmap",
    "sweep.AXIS": "the default axes of `ukspace-lab sweep` and the notebooks; each value is "
                  "checked against the scenario when it is swept",
}
