"""Nothing finished is thrown away and nothing undefined is shown as a number.

* ``--out`` and ``--contact-log`` are checked before the simulation runs;
* Ctrl-C reports the finished replications and exits 130, at any moment (imports too);
* an undefined KPI says ``n/a`` and why, never ``nan``;
* a wait percentile beyond the histogram's range says ``> 24 h``, never a number in the
  overflow bin.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import simulator.cli as cli
import simulator.cli.simulate as cli_simulate
import simulator.runner as runner
from simulator.cli import main
from simulator.engine import run_replication

ROOT = Path(__file__).parent.parent
MMC = str(ROOT / "scenarios" / "mmc.yaml")


def write(tmp_path: Path, data: dict[str, Any]) -> str:
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def quiet_centre() -> dict[str, Any]:
    return {
        "name": "quiet",
        "horizon": {"days": 1, "interval_minutes": 60, "open": "08:00", "close": "10:00"},
        "channels": {
            "calls": {
                "arrivals": {"rate_per_hour": 0},
                "handle_time": {"distribution": "exponential", "mean_seconds": 180},
                "targets": {"service_level": 0.8, "within_seconds": 20, "max_asa_seconds": 30},
            }
        },
        "agent_groups": {"team": {"cost_per_hour": 20, "skills": ["calls"], "staffing": 2}},
    }


def test_undefined_kpis_say_why_not_nan(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["simulate", write(tmp_path, quiet_centre()), "-n", "2"]) == 0
    out = capsys.readouterr().out
    assert "calls: service level >= 80% within 20 s: n/a: no contacts offered" in out
    assert "calls: ASA <= 30 s: n/a: no contacts offered" in out
    assert "abandon rate n/a" in out
    assert "nan" not in out.lower().replace("unanswered", "")
    assert "MISSED" not in out


def test_waits_beyond_a_day_are_shown_as_beyond_the_range(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """Two Erlangs of calls on one agent for three days: most waits exceed a day."""
    data = {
        "name": "overloaded",
        "horizon": {"days": 3, "interval_minutes": 60, "open": "00:00", "close": "24:00"},
        "channels": {
            "calls": {
                "arrivals": {"rate_per_hour": 30},
                "handle_time": {"distribution": "exponential", "mean_seconds": 240},
            }
        },
        "agent_groups": {"one": {"cost_per_hour": 20, "skills": ["calls"], "staffing": 1}},
    }
    assert main(["simulate", write(tmp_path, data), "-n", "2", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    p90 = next(line for line in out.splitlines() if line.startswith("wait_p90_s"))
    assert "> 24 h" in p90
    assert main(["simulate", write(tmp_path, data), "-n", "2", "--format", "json"]) == 0
    rows = yaml.safe_load(capsys.readouterr().out)["channels"]
    assert next(r for r in rows if r["kpi"] == "wait_p90_s")["mean"] is None  # not a number


def test_unwritable_out_is_refused_before_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def must_not_run(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("simulated although the result could not be written")

    monkeypatch.setattr(cli_simulate, "simulate", must_not_run)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    for out, reason in [
        (blocker / "result.json", "is a file, not a folder"),
        (tmp_path, "is a folder; give a file name"),
    ]:
        assert main(["simulate", MMC, "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert "--out: " in err and reason in err and "Traceback" not in err
    existing = tmp_path / "log.csv"
    existing.write_text("keep me\n")
    assert main(["simulate", MMC, "--contact-log", str(existing)]) == 2
    assert "--contact-log: cannot write" in capsys.readouterr().err
    assert existing.read_text() == "keep me\n"


def test_ctrl_c_reports_finished_replications_and_exits_130(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted_at_third(model, seed, replication, **kwargs):
        if replication == 2:
            raise KeyboardInterrupt
        return run_replication(model, seed, replication, **kwargs)

    monkeypatch.setattr(runner, "run_replication", interrupted_at_third)
    out = tmp_path / "result.json"
    assert main(["simulate", MMC, "-n", "5", "--format", "json", "--out", str(out)]) == 130
    assert "reporting the 2 finished replication(s)" in capsys.readouterr().err
    data = yaml.safe_load(out.read_text())
    assert data["interrupted"] is True and data["replications"] == 2


def test_ctrl_c_while_importing_is_not_a_traceback(
    capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def slow_imports() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "build_parser", slow_imports)
    assert main(["simulate", MMC]) == 130
    assert capsys.readouterr().err.strip() == "staffsim: interrupted"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-n", "1000000000"], "--replications: must be <= 100,000, got 1,000,000,000"),
        (["-n", "20000"], "GiB of statistics in memory"),
        (["--seed", str(2**70)], "--seed: must be <= 2**63 - 1"),
    ],
)
def test_run_size_options_are_limited(
    capsys: pytest.CaptureFixture, args: list[str], expected: str
) -> None:
    assert main(["simulate", MMC, *args]) == 2
    assert expected in capsys.readouterr().err
