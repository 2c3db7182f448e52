"""Closed-form kmap pool behaviour: hits, new mappings, wraps and sleeps.

The persistent pool (mm/highmem.c) hands out slots by scanning forward from
``last_pkmap_nr``; when the scan wraps to 0, ``flush_all_zero_pkmaps()``
frees every slot whose ``pkmap_count`` is 1 and flushes the TLB. So in steady
state there is exactly one wrap per N new mappings (N = LAST_PKMAP, or the
per-task pool size), and a kmap is a hit when its page is still mapped.

Hit model. Data accesses are uniform over W distinct highmem pages; scan
accesses (swapout walking other mms' PTE pages) never hit. Between two
misses, after j new mappings in the current cycle, about ``j*d`` data pages are
mapped (d = share of misses that are data), so a data access hits with
``q_j = j*d/W``. With ``pi`` the share of accesses that are data, the expected
data hits before the next miss are ``pi*q_j / (1 - pi*q_j)``; summed over a
cycle of N misses this is ``c*(psi(c) - psi(c-J)) - J`` with ``c = W/(pi*d)``
and J = min(N, W/d) the point where every data page is mapped (psi is the
digamma function). Past J, each miss is preceded by ``pi/(1-pi)`` hits.
"""

from __future__ import annotations

import numpy as np
from scipy.special import digamma, pdtrc


def cycle_hits(W, N, pi, d):
    """Expected data hits per pool cycle of N new mappings (see module doc)."""
    W, N, pi, d = (np.asarray(x, dtype=float) for x in (W, N, pi, d))
    d = np.clip(d, 1e-12, 1.0)
    pi = np.clip(pi, 0.0, 1.0)
    J = np.minimum(N, W / d)
    with np.errstate(over="ignore", divide="ignore"):
        c = W / np.maximum(pi * d, 1e-300)   # inf when there is no data stream
    ok = (c - J) > 1e-9
    safe_c = np.where(ok, c, 2.0)
    safe_cj = np.where(ok, c - J, 1.0)
    head = np.where(ok, safe_c * (digamma(safe_c) - digamma(safe_cj)) - J, np.inf)
    tail = np.where(pi < 1, (N - J) * pi / np.maximum(1 - pi, 1e-300), 0.0)
    return np.where(pi > 0, head + np.where(N > J, tail, 0.0), 0.0)


def pool_hit_ratio(data_rate, scan_rate, W, N, iterations: int = 6):
    """Data hit ratio of a pool of N slots shared by a data and a scan stream.

    Solves the fixed point between the hit ratio and the data share of misses.
    A pool that covers the whole data set with no scan stream never misses in
    steady state (ratio 1, no wraps).
    """
    data_rate, scan_rate, W, N = (np.asarray(x, dtype=float)
                                  for x in (data_rate, scan_rate, W, N))
    total = data_rate + scan_rate
    pi = np.where(total > 0, data_rate / np.where(total > 0, total, 1), 0.0)
    hr = np.zeros(np.broadcast(data_rate, scan_rate, W, N).shape)
    if not np.any(scan_rate > 0):
        iterations = 1  # d = 1 whatever the hit ratio: no fixed point to solve
    with np.errstate(divide="ignore", invalid="ignore"):
        for _ in range(iterations):
            dm = data_rate * (1 - hr)
            d = np.where(dm + scan_rate > 0, dm / (dm + scan_rate), 1.0)
            H = cycle_hits(W, N, pi, d)
            new = np.where(np.isfinite(H), H / (H + N * d), 1.0)
            new = np.clip(np.nan_to_num(new, nan=0.0), 0.0, 1.0)
            done = np.array_equal(new, hr)      # converged everywhere: stop early
            hr = new
            if done:
                break
    return np.where(data_rate > 0, hr, 0.0)


def distinct_pages(k, W):
    """Expected distinct pages among k uniform draws from W pages."""
    k, W = np.asarray(k, dtype=float), np.maximum(np.asarray(W, dtype=float), 1.0)
    return W * -np.expm1(k * np.log1p(-1.0 / np.where(W > 1, W, 2.0))) * (W > 1) + \
        np.minimum(k, 1.0) * (W <= 1)


def draws_to_fill(P, W):
    """Expected uniform draws from W pages until P distinct pages were seen."""
    P, W = np.asarray(P, dtype=float), np.asarray(W, dtype=float)
    frac = np.clip(P / np.maximum(W, 1.0), 0.0, 1.0 - 1e-12)
    return -W * np.log1p(-frac)


def wraps_in_slice(mu, P, burst=1.0, terms: int = 400):
    """E[floor((K-1)+ / P)]: pool wraps inside one time slice when the pool
    starts each slice empty (context-switch piggyback), K the new mappings of
    the slice (mean ``mu``).

    Switches come as a Poisson stream, so a slice is exponentially long and the
    reads in it are geometric with mean ``mu/burst``; each read maps ``burst``
    highmem pages at once. Then P(wrap number k happens) = q^ceil((kP+1)/burst)
    with q = m/(1+m), m = mu/burst (exact for whole bursts).
    """
    mu, P, burst = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (mu, P, burst)))
    b = np.maximum(burst, 1.0)
    m = mu / b
    q = m / (1.0 + m)
    large = mu / P > terms / 8
    out = np.zeros(mu.size)
    qf, Pf, bf = q.ravel(), P.ravel(), b.ravel()
    idx = np.flatnonzero(~large.ravel() & (qf > 0))
    for k in range(1, terms + 1):     # only the points whose terms still count
        if not idx.size:
            break
        term = qf[idx] ** np.ceil((k * Pf[idx] + 1) / bf[idx])
        out[idx] += term
        idx = idx[term > 1e-18]
    approx = np.clip((mu - 1) / P - (P - 1) / (2 * P), 0, None)
    return np.where(large, approx, out.reshape(mu.shape))


def sleep_rate(rate, hold_s, N, concurrency_cap=np.inf):
    """kmaps per second that find every slot held and sleep on pkmap_map_wait.

    The number of mappings held at once is taken as Poisson with mean
    ``rate * hold_s`` (Little's law), capped by how many threads can hold one.
    """
    rate, hold_s, N = (np.asarray(x, dtype=float) for x in (rate, hold_s, N))
    held = np.minimum(rate * hold_s, concurrency_cap)
    return np.where(np.asarray(concurrency_cap) >= N, rate * pdtrc(N - 1, held), 0.0)


def _mva_wait(rates, holds, cpus):
    """Mean wait per acquisition (seconds) of ``cpus`` finite sources on one lock:
    mean-value analysis with the pooled residual hold (docs/kmap-mechanics.md
    sec. 4); never more than cpus-1 waiters."""
    lam = sum(rates)
    lam_safe = np.where(lam > 0, lam, 1.0)
    m1 = sum(r * h for r, h in zip(rates, holds, strict=True)) / lam_safe
    m2 = sum(r * h * h for r, h in zip(rates, holds, strict=True)) / lam_safe
    resid = np.where(m1 > 0, m2 / (2 * np.where(m1 > 0, m1, 1.0)), 0.0)
    n = np.broadcast_to(np.asarray(cpus, dtype=float), lam.shape)
    with np.errstate(over="ignore"):          # a vanishing rate: an infinite think time
        think = np.maximum(n / lam_safe - m1, 0.0)
    q, u, x, r_n = (np.zeros(lam.shape) for _ in range(4))
    for k in range(1, int(np.max(n, initial=1)) + 1):
        live = n >= k
        r_k = m1 + m1 * (q - u) + resid * u
        x_k = k / np.maximum(think + r_k, 1e-300)
        r_n = np.where(live, r_k, r_n)
        x = np.where(live, x_k, x)
        q = np.where(live, x_k * r_k, q)
        u = np.where(live, x_k * m1, u)
    return x, r_n - m1


def lock_spin_cycles(rates, holds, clock, cpus, wraps=0.0, wrap_hold=0.0, sources=None,
                     in_read=0.0, read_asks=0.0):
    """Cycles per second spent spinning on kmap_lock, the CPUs a finite source.

    ``rates``/``holds`` (acquisitions per second, cycles) are the short sections:
    kmap_high hits and new mappings, kunmap_high, and a wrap's own kmap_high part.
    Their spin is the finite-source mean-value analysis (:func:`_mva_wait`). The long
    part of a wrap (``wraps`` per second, ``wrap_hold`` cycles of
    flush_all_zero_pkmaps and flush_tlb_all) is charged directly: each of the cpus-1
    other CPUs next asks for the lock after an exponential time of mean
    ``Z = cpus/sources`` (``sources``: first acquisitions per second, a read's pages
    following back to back; default every acquisition) and spins to the wrap's end,
    ``S - Z (1 - exp(-S/Z))``
    (docs/kmap-mechanics.md sec. 4). A CPU that is inside a read when the wrap
    starts (``in_read``: the share of its time in a read's page copies) asks sooner:
    file_read_actor() kunmap()s each page after its copy and kmap()s the next, so it
    asks at ``read_asks`` per second (its highmem pages over the read's copy time) and
    spins to the wrap's end in the same form with ``Z = 1/read_asks``; the others ask
    at their next read, ``Z = cpus (1 - in_read)/sources``. The sum is capped at cpus-1
    spinning CPUs (a saturated lock). One CPU never spins.
    """
    rates = [np.asarray(r, dtype=float) for r in rates]
    holds = [np.asarray(h, dtype=float) / clock for h in holds]
    lam = sum(rates)
    n = np.asarray(cpus, dtype=float)
    x, wait = _mva_wait(rates, holds, n)
    short = x * wait
    S = np.asarray(wrap_hold, dtype=float) / clock
    src = lam if sources is None else np.asarray(sources, dtype=float)
    # S - Z (1 - exp(-S/Z)) = S g(y), y = S/Z = S src/n, g(y) = 1 + expm1(-y)/y, written
    # so that a vanishing source rate (Z overflowing) gives its limit S y/2, not inf x 0
    q = np.clip(np.asarray(in_read, dtype=float), 0.0, 1.0)
    y = S * np.where(src > 0, src, 0.0) / np.maximum(n * (1.0 - q), 1e-300)
    y_in = S * np.asarray(read_asks, dtype=float)
    per_cpu = S * ((1.0 - q) * _spin_share(y) + q * _spin_share(y_in))
    long = np.asarray(wraps, dtype=float) * (n - 1) * per_cpu
    spinning = np.minimum(short + long, n - 1)      # a saturated lock: all others spin
    return np.where((n > 1) & (lam > 0), spinning * clock, 0.0)


def _spin_share(y):
    """g(y) = 1 - (1 - exp(-y))/y: the share of a hold of length S that a CPU asking
    after an exponential time of mean S/y spins, in a form stable as y -> 0 (y/2)."""
    y = np.minimum(np.asarray(y, dtype=float), 1e12)
    big = y > 1e-6
    return np.where(big, 1.0 + np.expm1(-y) / np.where(big, y, 1.0), y / 2 - y * y / 6)


def held_slots(held_kmaps, N):
    """Pool slots held (count > 1) at a wrap: the kmaps in flight by Little's law,
    at most N - 1 (one slot is the one being mapped)."""
    return np.clip(np.asarray(held_kmaps, dtype=float), 0.0, np.asarray(N, dtype=float) - 1)


def wrap_flushes(new_rate, N, held):
    """Wraps per second: map_new_virtual() skips held slots, so a wrap comes every
    N - held new mappings (review finding 11)."""
    return np.asarray(new_rate, dtype=float) / (np.asarray(N, dtype=float) - held)


def scan_primitive(access: str) -> str:
    """The primitive an out-of-context PTE walk can use. 2.4's swap_out_mm() holds
    page_table_lock across swap_out_vma/pgd/pmd (2.4.15 mm/vmscan.c:219-249) and the
    rmap walks hold it too (2.6.11 mm/rmap.c), while kmap() may sleep in
    map_new_virtual(): a persistent "kmap" there is kmap_atomic."""
    return "atomic" if access == "kmap" else access


def mean_mapcount(T, shared, text, private, stack, page):
    """E[mapcount] of a page an rmap walk visits, pages taken uniformly: the shared
    segment and text are mapped by all T tasks, private and stack pages by one."""
    S = (np.asarray(shared, dtype=float) + text) / page
    P = (np.asarray(private, dtype=float) + stack) / page
    return (S * T + T * P) / np.maximum(S + T * P, 1.0)


def scan_hit_ratio(data_miss_rate, scan_rate, Q, N):
    """Share of swapout's PTE-page kmaps that find the page still mapped.

    swap_out() walks Q PTE pages cyclically, so a page comes back after Q/scan
    seconds; it is still mapped if fewer than N - (its slot) new mappings came
    in between. With Q < N the fixed point is ``1 - m Q / (s (N - Q))`` (m data
    misses, s scan visits per second); with Q >= N the pool has always wrapped.
    """
    m, s, Q, N = (np.asarray(x, dtype=float) for x in (data_miss_rate, scan_rate, Q, N))
    Q = np.maximum(Q, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        hs = 1.0 - m * Q / (np.maximum(s, 1e-300) * (N - Q))
    return np.where((Q < N) & (s > 0), np.clip(np.nan_to_num(hs, nan=0.0), 0.0, 1.0), 0.0)
