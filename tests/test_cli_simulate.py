"""`staffsim simulate | validate | schema`: outputs, and bad input as one line + exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from simulator.cli import main
from simulator.runner import simulate
from simulator.scenario import Scenario

ROOT = Path(__file__).parent.parent
MMC = str(ROOT / "scenarios" / "mmc.yaml")
DEFAULT = str(ROOT / "scenarios" / "default.yaml")


def test_simulate_table_shows_kpis_targets_and_cost(capsys: pytest.CaptureFixture[str]) -> None:
    """The table of the default scenario (2 replications, seed 1): each target line gives
    the simulated mean and the verdict that follows from it and the scenario's goal (this
    seed misses both card targets and meets both general ones, so both verdicts show), and
    the cost is the plan's paid hours at each group's rate, worked out from the file."""
    assert main(["simulate", DEFAULT, "-n", "2", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    for text in ("service_level", "asa_s", "occupancy", "targets", "cost", "2 replications"):
        assert text in out
    scenario = Scenario.from_yaml(DEFAULT)
    result = simulate(scenario, 2, 1)
    verdicts = {}
    for name, channel in scenario.channels.items():
        sl, abandon = result.kpi(name, "service_level"), result.kpi(name, "abandon_rate")
        goal, within = channel.targets.service_level, channel.targets.within_seconds
        limit = channel.targets.max_abandon_rate
        verdicts[name] = (
            "met" if sl >= goal else "MISSED",
            "met" if abandon <= limit else "MISSED",
        )
        lo, hi = result.ci(name, "service_level")
        sl_line = (
            f"  {name}: service level >= {goal:.0%} within {within:g} s: {sl:.1%} "
            f"[{lo:.1%}, {hi:.1%}] {verdicts[name][0]}"
        )
        lo, hi = result.ci(name, "abandon_rate")
        abandon_line = (
            f"  {name}: abandonment <= {limit:.0%}: {abandon:.1%} [{lo:.1%}, {hi:.1%}] "
            f"{verdicts[name][1]}"
        )
        assert sl_line in out.splitlines(), (sl_line, out)
        assert abandon_line in out.splitlines(), (abandon_line, out)
    assert verdicts == {"general": ("met", "met"), "cards": ("MISSED", "MISSED")}
    # Paid hours: agents per half-hour x 0.5 h (no shrinkage), at 24.00 and 29.00 an hour.
    cost = sum(
        sum(group.staffing) * 0.5 * group.cost_per_hour for group in scenario.agent_groups.values()
    )
    assert all(g.shrinkage == 0 for g in scenario.agent_groups.values())
    assert f"cost {cost:,.2f}," in out


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def test_simulate_json_follows_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", MMC, "-n", "2", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["schema_version"] == 1
    assert data["replications"] == 2
    kpis = {(row["channel"], row["kpi"]) for row in data["channels"]}
    assert ("calls", "service_level") in kpis
    assert {"mean", "ci_half_width", "ci_low", "ci_high", "n"} <= set(data["channels"][0])


def test_simulate_csv_to_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sub" / "kpis.csv"
    assert main(["simulate", MMC, "-n", "2", "--format", "csv", "--out", str(out)]) == 0
    frame = pd.read_csv(out)
    assert set(frame.columns) >= {"channel", "kpi", "mean", "ci_half_width"}
    assert "wrote" in capsys.readouterr().err


def test_same_seed_same_output(capsys: pytest.CaptureFixture[str]) -> None:
    main(["simulate", MMC, "-n", "2", "--seed", "5", "--format", "json"])
    first = capsys.readouterr().out
    main(["simulate", MMC, "-n", "2", "--seed", "5", "--format", "json", "--workers", "2"])
    assert capsys.readouterr().out == first


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("channels: [1, 2\n", "malformed YAML"),
        ("", "the file is empty"),
        ("- just\n- a list\n", "expected a mapping"),
    ],
)
def test_bad_files_give_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, expected: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    assert main(["simulate", str(path)]) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert "Traceback" not in err


def test_negative_rate_names_the_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "neg.yaml"
    path.write_text(Path(MMC).read_text().replace("rate_per_hour: 360", "rate_per_hour: -5"))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "channels.calls.arrivals.rate_per_hour: must be >= 0" in err
    assert "got -5" in err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--replications", "0"], "--replications: must be >= 1, got 0"),
        (["--seed", "-1"], "--seed: must be >= 0, got -1"),
        (["--workers", "-2"], "--workers: must be >= 0, got -2"),
    ],
)
def test_bad_options(capsys: pytest.CaptureFixture[str], args: list[str], expected: str) -> None:
    assert main(["simulate", MMC, *args]) == 2
    assert expected in capsys.readouterr().err


def test_missing_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "no/such.yaml"]) == 2
    assert "no/such.yaml: no such file" in capsys.readouterr().err


def test_validate_and_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", DEFAULT]) == 0
    assert "OK" in capsys.readouterr().out
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "channels" in schema["properties"]


def test_simulate_warns_before_running_a_plan_that_cannot_work(capsys) -> None:
    """The app's pre-run warnings reach the command line too, naming the field, and the
    run still goes ahead: a dialer threshold of 12 idle agents on a team of 12 never
    dials; a counter held to two tellers while open is staffed with one."""
    blended = str(ROOT / "scenarios" / "blended_collections.yaml")
    sets = ["--set", "outbound.overdue.dialer.threshold=12"]
    assert main(["simulate", blended, "-n", "1", *sets]) == 0
    err = capsys.readouterr().err
    assert "warning: outbound.overdue.dialer.threshold: 12 idle agents" in err
    assert "never dialled" in err
    assert main(["simulate", blended, "-n", "1"]) == 0
    assert "warning" not in capsys.readouterr().err  # the file's own plan dials
    branch = str(ROOT / "scenarios" / "branch_walkin.yaml")
    sets = ["--set", "channels.counter.min_agents_while_open=7"]
    assert main(["simulate", branch, "-n", "1", *sets]) == 0
    assert "warning: channels.counter: " in capsys.readouterr().err
