"""Shared fixtures: scenarios built in code so each test states its own machine."""

from __future__ import annotations

import pytest

from ukspace_lab import load_scenario


@pytest.fixture
def default():
    """The shipped default scenario (16-way PAE, 16 GiB, 2 GiB SGA, 2.4.18)."""
    return load_scenario("default")


def point(scn, **overrides):
    """The scenario with dotted overrides applied (and validated)."""
    return scn.with_overrides(overrides)


@pytest.fixture(scope="session")
def widget_manager():
    """The offline page's widget manager (`make` fetches it; fetched here if missing)."""
    from ukspace_lab.present.widget_manager import ensure

    return ensure()
