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


def lock_spin_cycles(rates, holds, clock, cpus):
    """Cycles per second spent spinning on kmap_lock (Pollaczek-Khinchine, M/G/1).

    ``rates`` are acquisitions per second of each kind (a hit, a new mapping, a
    new mapping that wraps and runs flush_tlb_all() under the lock) and
    ``holds`` their lock hold in cycles. The rare, long wrap holds dominate the
    second moment. One CPU never spins.
    """
    lam = sum(np.asarray(r, dtype=float) for r in rates)
    s1 = sum(np.asarray(r, dtype=float) * np.asarray(h, dtype=float) / clock
             for r, h in zip(rates, holds, strict=True))
    s2 = sum(np.asarray(r, dtype=float) * (np.asarray(h, dtype=float) / clock) ** 2
             for r, h in zip(rates, holds, strict=True))
    rho = np.minimum(s1, 0.95)
    wait_s = s2 / (2 * (1 - rho))
    return np.where(np.asarray(cpus) > 1, lam * wait_s * clock, 0.0)


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
