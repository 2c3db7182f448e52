"""Preloaded by the local workers' forkserver: the simulator's compiled code, loaded once.

numba reads its on-disk cache in every process on the first call of each
compiled function (about 2 s on the 2-core box); the local executor's
forkserver imports this module, so the loading happens there once and every
worker forked from it starts warm. Importing it runs one short simulation of
the default scenario (every strategy, 200 events each) and never raises: a
simulator that cannot run here fails in the worker, where the sweep names it.
"""

from __future__ import annotations

WARM_EVENTS = 200


def warm_simulator() -> bool:
    """Run every strategy of the default scenario for a few events; True when it ran."""
    try:
        from ..model.loading import load_scenario
        from ..sim import simulate

        simulate(load_scenario("default"), ops=WARM_EVENTS, progress=False)
    except Exception:   # noqa: BLE001 - a warm-up only; the worker reports real failures
        return False
    return True


WARM = warm_simulator()
