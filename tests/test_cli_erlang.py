"""``staffsim erlang``: table and JSON output, --agents mode, and one clear line (exit 2) for
every bad option."""

from __future__ import annotations

import json

import pytest
from conftest import textbook_agents, textbook_service_level

from simulator.cli import main

EXAMPLE = [
    "erlang", "--calls", "100", "--period-minutes", "30", "--aht-seconds", "180",
    "--service-level", "0.8", "--within-seconds", "20",
]  # fmt: skip


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_table_shows_the_published_example(capsys) -> None:
    code, out, err = _run(capsys, *EXAMPLE, "--shrinkage", "0.3", "--max-occupancy", "0.85")
    assert code == 0 and err == ""
    lines = dict(_split(line) for line in out.splitlines())
    assert lines["agents answering (raw)"] == "14"
    assert lines["agents scheduled (30% shrinkage)"] == "20  (20.00 unrounded)"
    assert lines["P(wait)"] == "17.41%"
    assert lines["service level (20 s)"] == "88.84%"
    assert lines["ASA"] == "7.84 s"
    assert lines["occupancy"] == "71.43%"
    assert lines["set by"] == "service level"
    # aligned: every value starts in the same column
    starts = {len(line) - len(line[len(label) :].lstrip()) for line, label in _rows(out)}
    assert len(starts) == 1


def _split(line: str) -> tuple[str, str]:
    label, value = line.split("  ", 1)
    return label.strip(), value.strip()


def _rows(out: str) -> list[tuple[str, str]]:
    return [(line, _split(line)[0]) for line in out.splitlines()]


def test_json_for_scripts(capsys) -> None:
    code, out, _ = _run(capsys, *EXAMPLE, "--shrinkage", "0.3", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["model"] == "erlang_c"
    assert (data["raw_agents"], data["scheduled_agents"]) == (14, 20)
    assert data["offered_load_erlangs"] == pytest.approx(10.0)
    assert round(data["kpis"]["p_wait"], 4) == 0.1741
    assert round(data["kpis"]["service_level"], 4) == 0.8884
    assert round(data["kpis"]["asa_s"], 2) == 7.84
    assert data["binding"] == ["service_level"]
    assert data["inputs"]["arrival_rate_per_hour"] == pytest.approx(200.0)


def test_period_units(capsys) -> None:
    # 100 per 30 min == 200 per 60 min == 50 per 15 min; AHT in seconds, not minutes.
    answers = []
    for calls, minutes in (("100", "30"), ("200", "60"), ("50", "15")):
        argv = ["erlang", "--calls", calls, "--period-minutes", minutes, "--aht-seconds", "180"]
        _, out, _ = _run(capsys, *argv, "--service-level", "0.8", "--format", "json")
        answers.append(json.loads(out)["raw_agents"])
    assert answers == [textbook_agents(200, 180, 0.8, 20)] * 3
    argv = ["erlang", "--calls", "100", "--period-minutes", "30", "--aht-seconds", "3"]
    _, out, _ = _run(capsys, *argv, "--service-level", "0.8", "--format", "json")
    # 3 s is not 3 minutes: 0.17 Erlangs, one agent.
    assert json.loads(out)["raw_agents"] == textbook_agents(200, 3, 0.8, 20) == 1


def test_erlang_a_with_patience(capsys) -> None:
    code, out, _ = _run(
        capsys, *EXAMPLE, "--patience-seconds", "120", "--max-abandon-rate", "0.03",
        "--format", "json",
    )  # fmt: skip
    data = json.loads(out)
    assert code == 0 and data["model"] == "erlang_a"
    assert data["raw_agents"] == 14 and data["binding"] == ["max_abandon_rate"]
    assert data["kpis"]["p_abandon"] <= 0.03
    code, out, _ = _run(capsys, *EXAMPLE, "--patience-seconds", "120")
    assert "P(abandon)" in out and "ASA (answered)" in out


def test_agents_mode_reports_kpis_and_targets(capsys) -> None:
    code, out, _ = _run(capsys, *EXAMPLE, "--agents", "13", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["raw_agents"] == 13
    assert data["targets_met"] == {"service_level": False}
    # 1 − C(13, 10)·exp(−3 × 20 / 180), from exact fractions: 0.7956 < 0.8.
    expected = textbook_service_level(200, 180, 13, 20)
    assert data["kpis"]["service_level"] == pytest.approx(expected, rel=1e-12)
    assert round(expected, 4) == 0.7956
    code, out, _ = _run(capsys, *EXAMPLE[:7], "--agents", "10", "--format", "json")
    data = json.loads(out)  # load 10 on 10 agents: unstable, infinite ASA -> null
    assert data["kpis"]["asa_s"] is None and data["kpis"]["p_wait"] == 1.0
    code, out, _ = _run(capsys, *EXAMPLE[:7], "--agents", "10")
    assert "queue grows forever" in out and "inf" in out


@pytest.mark.parametrize(
    ("replace", "message"),
    [
        ({"--calls": "-5"}, "--calls: must be >= 0, got -5"),
        ({"--calls": "many"}, "--calls: must be a number, got 'many'"),
        ({"--aht-seconds": "0"}, "--aht-seconds: must be > 0, got 0"),
        ({"--period-minutes": "0"}, "--period-minutes: must be > 0, got 0"),
        ({"--service-level": "80"}, "--service-level: must be a fraction in (0, 1), e.g. 0.8"),
        ({"--service-level": "0"}, "--service-level: must be a fraction in (0, 1)"),
        ({"--service-level": "1", "--within-seconds": "0"}, "--service-level: 1 (100%) cannot"),
        ({"--within-seconds": "-1"}, "--within-seconds: must be >= 0, got -1"),
        ({"--shrinkage": "1"}, "--shrinkage: must be in [0, 1), got 1"),
        ({"--shrinkage": "-0.1"}, "--shrinkage: must be in [0, 1), got -0.1"),
        ({"--max-occupancy": "0"}, "--max-occupancy: must be in (0, 1], got 0"),
        ({"--max-asa-seconds": "0"}, "--max-asa-seconds: must be > 0"),
        ({"--max-abandon-rate": "0.05"}, "--max-abandon-rate: needs --patience-seconds"),
        ({"--max-abandon-rate": "0", "--patience-seconds": "60"}, "--max-abandon-rate: must be"),
        ({"--patience-seconds": "0"}, "--patience-seconds: must be > 0, got 0"),
        ({"--agents": "2.5"}, "--agents: must be a whole number >= 0, got 2.5"),
        ({"--calls": "nan"}, "--calls: must be a finite number, got 'nan'"),
    ],
)
def test_bad_input_one_line_exit_2(capsys, replace: dict[str, str], message: str) -> None:
    argv = list(EXAMPLE)
    for option, value in replace.items():
        if option in argv:
            argv[argv.index(option) + 1] = value
        else:
            argv += [option, value]
    code, out, err = _run(capsys, *argv)
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0] == f"staffsim erlang: error: {lines[0].split('error: ', 1)[1]}"
    assert message in lines[0]
    assert "Traceback" not in err


def test_no_target_is_one_line(capsys) -> None:
    code, _, err = _run(capsys, "erlang", "--calls", "100", "--aht-seconds", "180")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "no target" in err
