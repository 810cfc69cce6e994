"""Scenario format: every bundled scenario loads; bad input yields one clear line per problem."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from simulator.errors import InputError
from simulator.scenario import Scenario

SCENARIOS = sorted(
    path
    for path in Path(__file__).parent.parent.joinpath("scenarios").rglob("*.yaml")
    if "base" not in (yaml.safe_load(path.read_text()) or {})  # sweeps have a base scenario
)
DEFAULT = Path(__file__).parent.parent / "scenarios" / "default.yaml"


def _default_data() -> dict:
    return yaml.safe_load(DEFAULT.read_text())


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_bundled_scenarios_load(path: Path) -> None:
    scenario = Scenario.from_yaml(path)
    assert scenario.channels and scenario.agent_groups


def test_negative_rate_names_field_and_value() -> None:
    data = _default_data()
    data["channels"]["cards"]["arrivals"] = {"rate_per_hour": -5}
    with pytest.raises(InputError) as err:
        Scenario.from_dict(data)
    assert "channels.cards.arrivals.rate_per_hour: must be >= 0" in str(err.value)
    assert "got -5" in str(err.value)


def test_unknown_channel_in_skills_is_named_with_suggestion() -> None:
    data = _default_data()
    data["agent_groups"]["generalists"]["skills"]["genral"] = {}
    with pytest.raises(InputError) as err:
        Scenario.from_dict(data)
    assert "agent_groups.generalists.skills.genral: unknown channel 'genral'" in str(err.value)
    assert "did you mean general" in str(err.value)


def test_misspelt_key_suggests_the_right_one() -> None:
    data = _default_data()
    data["channels"]["general"]["handle_time"] = {
        "distribution": "lognormal",
        "mean_secnds": 200,
        "cv": 0.5,
    }
    with pytest.raises(InputError) as err:
        Scenario.from_dict(data)
    assert (
        "channels.general.handle_time.mean_secnds: unknown field (did you mean mean_seconds?)"
        in (err.value.problems)
    )


def test_wrong_number_of_volumes() -> None:
    data = _default_data()
    data["channels"]["general"]["arrivals"]["volumes"] = [10, 20]
    with pytest.raises(InputError) as err:
        Scenario.from_dict(data)
    assert err.value.problems == [
        "channels.general.arrivals.volumes: 2 values given, a day has 24 intervals"
    ]


def test_malformed_yaml_gives_line_and_column() -> None:
    with pytest.raises(InputError) as err:
        Scenario.from_yaml_text("channels: [1, 2\nagent_groups: 3", source="x.yaml")
    assert err.value.problems[0].startswith("x.yaml:2:")
    assert "malformed YAML" in err.value.problems[0]


def test_impossible_target() -> None:
    data = _default_data()
    data["channels"]["general"]["targets"] = {"service_level": 1.0, "within_seconds": 0}
    with pytest.raises(InputError, match="impossible"):
        Scenario.from_dict(data)


def test_with_changes_copies_and_revalidates() -> None:
    base = Scenario.from_yaml(DEFAULT)
    changed = base.with_changes({"channels.general.arrivals.scale": 1.2})
    assert changed.channels["general"].arrivals.scale == 1.2
    assert base.channels["general"].arrivals.scale == 1.0
    with pytest.raises(InputError, match=r"nearest valid: channels\.general\.arrivals\.scale"):
        base.with_changes({"channels.general.arrivals.scal": 1.2})
    with pytest.raises(InputError, match="must be >= 0"):
        base.with_changes({"channels.general.arrivals.scale": -1})


def test_round_trip_yaml() -> None:
    base = Scenario.from_yaml(DEFAULT)
    assert Scenario.from_yaml_text(base.to_yaml()) == base


def test_resolution_references_are_checked_on_every_channel() -> None:
    data = _default_data()
    data["channels"]["general"]["resolution"] = {
        "repeat_share": 1.0,
        "repeat_delay": {"distribution": "exponential", "mean_seconds": 600},
        "repeat_mix": {"genral": 1.0},
    }
    with pytest.raises(InputError) as err:
        Scenario.from_dict(data)
    assert err.value.problems == [
        "channels.general.resolution.repeat_mix: unknown channel 'genral' (did you mean general?)"
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"promise_hours": 24}, "apply to email only"),
        ({"concurrency_slowdown": 0.2}, "applies to chat only"),
        ({"handle_time": {"distribution": "exponential", "mean_seconds": float("inf")}},
         "finite number"),
    ],
)  # fmt: skip
def test_kind_specific_fields_are_rejected_elsewhere(change: dict, message: str) -> None:
    data = _default_data()
    data["channels"]["general"].update(change)
    with pytest.raises(InputError, match=message):
        Scenario.from_dict(data)


def test_email_rejects_seconds_scale_targets() -> None:
    data = _default_data()
    data["channels"]["mail"] = {
        "kind": "email",
        "arrivals": {"rate_per_hour": 10},
        "handle_time": {"distribution": "exponential", "mean_seconds": 300},
        "targets": {"service_level": 0.8, "within_seconds": 20},
    }
    data["agent_groups"]["generalists"]["skills"]["mail"] = {}
    with pytest.raises(InputError, match="email is deferred work"):
        Scenario.from_dict(data)


def test_unquoted_clock_time_is_explained() -> None:
    data = _default_data()
    data["horizon"]["open"] = 630  # what YAML makes of an unquoted 10:30
    with pytest.raises(InputError, match='quoted strings such as "10:30"'):
        Scenario.from_dict(data)


def test_warmup_longer_than_horizon_is_refused() -> None:
    data = _default_data()
    data["run"] = {"warmup_minutes": 12 * 60}
    with pytest.raises(InputError, match="leaves no interval to measure"):
        Scenario.from_dict(data)


def test_break_outside_shift_is_refused() -> None:
    data = _default_data()
    del data["agent_groups"]["generalists"]["staffing"]
    data["agent_groups"]["generalists"]["shifts"] = [
        {"start": "08:00", "hours": 4, "count": 3,
         "breaks": [{"after_minutes": 230, "minutes": 30}]}
    ]  # fmt: skip
    with pytest.raises(InputError, match="ends after the 4-hour shift"):
        Scenario.from_dict(data)


def test_with_changes_reaches_list_items() -> None:
    base = Scenario.from_yaml(Path(__file__).parent.parent / "scenarios" / "telecom.yaml")
    changed = base.with_changes({"agent_groups.juniors.shifts.0.count": 30})
    assert changed.agent_groups["juniors"].shifts[0].count == 30
    with pytest.raises(InputError, match="has 2 items, no item 5"):
        base.with_changes({"agent_groups.juniors.shifts.5.count": 30})
