"""The event simulator: the kernel's mechanisms played step by step.

``simulate(scn, seconds=..., ops=..., seed=...)`` runs N CPUs and the
scenario's tasks and threads through a machine-wide Poisson stream of
read()/write() calls (one kmap per highmem page, uniform over the W =
file_set x h / 4096 highmem page-cache pages), page faults, context switches,
forks and kswapd's visits of other mms' PTE pages. It plays mm/highmem.c's
pool (``pkmap``), the seed's per-mm pool (``pool``), kmap_atomic and
kmap_local, 4G/4G's CR3 switches, the era's run queue (``runq``: 2.4's
goodness() with its same-mm bonus in scheduling epochs, or no mm preference
from 2.5) with lazy-TLB idling and blocking copies (``sched``), finite
per-CPU TLBs (``tlb``) and kmap_lock as a queue; ``loop`` is the compiled
event loop, ``reference`` the same loop run by the interpreter. It is the
reference the closed form (closed.py) is checked against
(tests/sim/test_agreement.py).

Where the closed form agrees (within the bands of tests/test_agreement.py):
kmaps, hits and new mappings, flush_tlb_all() per LAST_PKMAP new maps and the
IPIs, per-mm pool flushes with and without the piggyback, invlpg, kmap_lock
utilisation and spinning (M/G/1: the rare long wrap holds dominate), refills.

What the simulator showed and the closed form now models (it did not before):

- the piggyback needs another mm to switch to: with tasks x threads <= CPUs a
  "switch" is a block-and-resume on an idle CPU with the mm still loaded, no
  CR3 reload, no free reset;
- slices are exponential (switches are a Poisson stream) and a read maps its
  pages as one burst, so a small pool wraps inside a slice far more often than
  a Poisson count per slice says (``kmap.wraps_in_slice``);
- a flush costs the refills the task needs before its next context switch:
  ``L lambda (k/(lambda+k) - k_b/(lambda+k_b))`` per busy CPU, about 0.8 L per
  flush on the default box rather than L; idle CPUs refill nothing;
- kmap_lock waits follow Pollaczek-Khinchine, not M/M/1: 8-10x more spinning
  on the default box (the flush under the lock is 40 us);
- swapout's cyclic walk of Q = tasks x pte_pages PTE pages hits pages still
  mapped when Q < LAST_PKMAP (``kmap.scan_hit_ratio``);
- with no context switches the thread placement is static, and the mm-flush
  IPIs follow it (``tlb.other_cpus_in_mm``).

Where the closed form is known not to apply, and what the simulator shows:

- 2.4 with threads of one mm on several busy CPUs (``model.sched.closed_form_applies``):
  goodness()'s same-mm bonus keeps CPUs on their mm (``runq``), 0.055 CR3 reloads
  per switch on the shipped ``threaded`` against 0.75 with no mm preference, and
  an mm's threads bunch on CPUs (1.7x the pool-flush IPIs there); the CR3 rate is
  exact in ``model.sched`` for one busy CPU and for 2.5+ only;
- the spin behind a wrap: a CPU between reads comes to kmap_lock at its next read,
  one inside a read at its next highmem page (file_read_actor()'s kunmap() then
  kmap(), its spin delaying the CPU); each spins no more than the wrap lasts.
  kmap.lock_spin_cycles takes both (in_read); on default the closed form's spin is
  172M cycles/s and the simulator's cycles are 5% above the closed form's (about
  190M of spin), threaded 7%: the rest is the convoy behind a wrap, not modelled;
- oversubscribed copies (the copy work of the reads above the CPUs' capacity):
  the closed form counts no copy time; the simulator's CPUs fall behind the clock;

- pool exhaustion under heavy holding (copy_fault_probability x
  fault_sleep_ms large against the pool): the simulator blocks the faulting
  thread, switches the CPU to another thread and keeps the slot until the
  wake-up; kmaps that find every slot held sleep until the first release, then
  usually wrap and flush again. The closed form's Poisson-held estimate
  (``kmap.sleep_rate``) ignores that a sleeping thread holds at most one slot
  and that sleeps add flushes; use the simulator's kmap_sleeps_per_s and the
  kmap_wait percentiles there;
- a per-task pool that one read nearly fills (4 x pages per read >= pool)
  with the piggyback: wraps cluster in long slices and the simulator shows
  0.5-0.85 x the closed form's refills per wrap;
- short runs: the closed form is the steady state. The simulator starts every
  pool's scan cursor where the steady state has it (uniformly anywhere), so
  wrap and flush rates are steady from the first second, but the pools start
  empty, so hits build up over the first cycle; ``warmup=`` seconds (``--warmup``)
  run first and are left out of the rates;
- few CPUs busy (tasks x threads < CPUs) with copy faults: events of a CPU
  whose only thread sleeps are lost (reported as ``lost_events``).

Approximations of the simulator itself: a thread that sleeps on
pkmap_map_wait does not leave its CPU; the pages of one read are stamped a
copy apart, so kmap_lock arrivals are only nearly in order (an arrival before
the last acquirer's is taken as ahead of it); a blocked read's remaining pages
are copied when the thread next runs; forks walk the parent's and child's PTE
pages (counts, no per-page randomness). Full-size scenarios run whole (no
sampling of tasks): the compiled loop does millions of events per second.
"""

from .engine import simulate, simulate_record

__all__ = ["simulate", "simulate_record"]
