"""Scenario loading and validation: every user error names key, value and what is allowed."""

import pytest

from ukspace_lab import ScenarioError, load_scenario, scenario_names, validate_scenario
from ukspace_lab.model.loading import parse_overrides


def problems(fn, *args, **kwargs) -> str:
    with pytest.raises(ScenarioError) as exc:
        fn(*args, **kwargs)
    return str(exc.value)


def test_every_shipped_scenario_loads():
    names = scenario_names()
    assert {"default", "desktop", "pae64g", "threaded"} <= set(names)
    for name in names:
        assert load_scenario(name).title


def test_sizes_and_overrides():
    scn = load_scenario("default", ["machine.ram=8GiB", "workload.tasks=10"])
    assert scn.machine.ram == 8 << 30
    assert scn.workload.tasks == 10
    assert parse_overrides(["a.b=[1, 2]", "c=x"]) == {"a.b": [1, 2], "c": "x"}


def test_unknown_key_suggests_nearest():
    msg = problems(load_scenario, "default", ["workload.taks=3"])
    assert "workload.taks" in msg and "did you mean 'workload.tasks'" in msg


def test_bad_size_names_key_value_and_form():
    msg = problems(load_scenario, "default", ["machine.ram=16GB"])
    assert "machine.ram" in msg and "16GB" in msg and "GiB" in msg


def test_all_problems_reported_at_once():
    msg = problems(load_scenario, "default", ["machine.cpus=0", "machine.split=4G/0G"])
    assert "machine.cpus" in msg and "machine.split" in msg and "3G/1G" in msg


def test_non_pae_above_4gib_is_impossible():
    msg = problems(load_scenario, "desktop", ["machine.ram=8GiB"])
    assert "MAX_NONPAE_PFN" in msg and "i386-pae" in msg


def test_more_tasks_than_pids():
    msg = problems(load_scenario, "default", ["workload.tasks=20000",
                                             "workload.threads_per_task=2"])
    assert "PID_MAX 32768" in msg


def test_pool_larger_than_region():
    msg = problems(load_scenario, "default", ["ukspace.pool_entries=1024",
                                             "ukspace.region_size=2MiB"])
    assert "ukspace.region_size" in msg and "pool_entries 1024" in msg


def test_region_that_leaves_no_lowmem():
    msg = problems(load_scenario, "default", ["ukspace.region_size=1GiB"])
    assert "leaves no direct map" in msg


def test_unknown_scenario_name_suggests():
    msg = problems(load_scenario, "defualt")
    assert "did you mean 'default'" in msg.lower()


def test_unknown_strategy_and_cost():
    msg = problems(validate_scenario, {"strategies": ["mainline", "ukspce"]})
    assert "ukspace" in msg
    msg = problems(validate_scenario, {"costs": {"invlpg_cycle": 1}})
    assert "did you mean 'invlpg_cycles'" in msg


def test_override_into_a_value_is_refused():
    msg = problems(load_scenario, "default", ["title.x=1"])
    assert "title is a value" in msg
