"""Scenario format: every bundled scenario loads; bad input yields one clear line per problem."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from simulator.errors import InputError
from simulator.scenario import Scenario

SCENARIOS = sorted(Path(__file__).parent.parent.joinpath("scenarios").glob("*.yaml"))
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
