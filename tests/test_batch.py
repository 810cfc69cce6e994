"""Batch sweeps: spec validation, seeding, executors, incremental storage and resume.

The scenarios are small (two opening hours, one call channel) so every test runs in about
a second; the kill-and-resume test runs the real CLI in a subprocess and kills it with
SIGKILL part-way through.
"""

from __future__ import annotations

import contextlib
import importlib.util
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from simulator.batch import SweepSpec, load_results, resolve_sweep, run_batch
from simulator.batch import worker as batch_worker
from simulator.batch.run import chunk_size, make_chunks
from simulator.batch.sweep import point_id, point_seed
from simulator.cli import main
from simulator.engine import run_replication
from simulator.errors import InputError
from simulator.runner import simulate
from simulator.scenario import Scenario

ROOT = Path(__file__).resolve().parent.parent
SCALE = "channels.voice.arrivals.scale"
STAFF = "agent_groups.team.staffing"


def small_scenario(rate_per_hour: float = 240.0, agents: int = 6) -> dict[str, Any]:
    """One call channel open 08:00-10:00 (~480 calls), exponential handle time and patience."""
    return {
        "name": "small call centre",
        "horizon": {"days": 1, "interval_minutes": 30, "open": "08:00", "close": "10:00"},
        "channels": {
            "voice": {
                "kind": "call",
                "arrivals": {"rate_per_hour": rate_per_hour},
                "handle_time": {"distribution": "exponential", "mean_seconds": 80},
                "patience": {"distribution": "exponential", "mean_seconds": 120},
                "targets": {"service_level": 0.8, "within_seconds": 20},
            }
        },
        "agent_groups": {"team": {"cost_per_hour": 20.0, "skills": ["voice"], "staffing": agents}},
        "run": {"replications": 3, "seed": 11},
    }


def sweep_dict(**extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "small sweep",
        "base": small_scenario(),
        "grid": {SCALE: [0.9, 1.2]},
        "zip": {STAFF: [5, 7]},
        "replications": 3,
        "seed": 5,
    }
    data.update(extra)
    return data


def problems_of(data: dict[str, Any], **resolve: Any) -> str:
    with pytest.raises(InputError) as err:
        SweepSpec.from_dict(data).resolve(**resolve)
    return str(err.value)


# --------------------------------------------------------------------------------------
# the sweep specification
# --------------------------------------------------------------------------------------
def test_grid_times_zip_points_in_file_order() -> None:
    sweep = SweepSpec.from_dict(
        sweep_dict(
            grid={SCALE: [0.9, 1.0, 1.2]},
            zip={STAFF: [5, 6], "channels.voice.handle_time.mean_seconds": [70, 90]},
        )
    ).resolve()
    assert [p.params for p in sweep.points[:3]] == [
        {SCALE: 0.9, STAFF: 5, "channels.voice.handle_time.mean_seconds": 70},
        {SCALE: 0.9, STAFF: 6, "channels.voice.handle_time.mean_seconds": 90},
        {SCALE: 1.0, STAFF: 5, "channels.voice.handle_time.mean_seconds": 70},
    ]
    assert len(sweep.points) == 6 and sweep.tasks == 18
    last = sweep.points[-1].scenario
    assert last.channels["voice"].arrivals.scale == 1.2
    assert last.agent_groups["team"].staffing == 6


def test_point_seeds_keyed_on_values_not_position() -> None:
    """Adding a value to the grid leaves every existing point's id and seed unchanged."""
    before = SweepSpec.from_dict(sweep_dict()).resolve()
    after = SweepSpec.from_dict(sweep_dict(grid={SCALE: [0.8, 0.9, 1.2]})).resolve()
    old = {p.point_id: p.seed for p in before.points}
    new = {p.point_id: p.seed for p in after.points}
    assert all(new[pid] == seed for pid, seed in old.items())
    assert len(set(new.values())) == len(new)  # a distinct seed per point
    params = {SCALE: 0.9, STAFF: 5}
    assert point_id(params) == point_id(dict(reversed(params.items())))  # order-free key
    assert point_seed(5, params) != point_seed(6, params)


def test_common_random_numbers_share_the_sweep_seed() -> None:
    sweep = SweepSpec.from_dict(sweep_dict(common_random_numbers=True)).resolve()
    assert {p.seed for p in sweep.points} == {5}


def test_unknown_path_names_nearest_valid_paths_once() -> None:
    text = problems_of(sweep_dict(grid={"channels.voice.arrivals.scal": [1, 2]}))
    assert text.splitlines() == [text.splitlines()[0]]  # one line, although two points would use it
    assert "channels.voice.arrivals.scal: unknown path" in text
    assert "channels.voice.arrivals.scale" in text


def test_bad_value_names_the_point_and_field() -> None:
    text = problems_of(sweep_dict(grid={SCALE: [1.0, -1]}))
    assert "point 2 (channels.voice.arrivals.scale=-1, agent_groups.team.staffing=5)" in text
    assert "channels.voice.arrivals.scale: must be >= 0" in text
    assert "point 0" not in text


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"zip": {STAFF: [5, 6, 7], "channels.voice.arrivals.rate_per_hour": [1, 2]}},
            "same length",
        ),
        ({"grid": {SCALE: []}}, f"grid.{SCALE}: expected a non-empty list"),
        ({"grid": {SCALE: 1.1}}, "belongs under set:"),
        ({"gird": {}}, "gird: unknown field (did you mean grid?)"),
        ({"grid": {}, "zip": {}}, "no parameter to vary"),
        ({"grid": {"run.seed": [1, 2]}}, "run.seed: cannot be swept"),
        ({"grid": {SCALE: [1.0, 1.0]}}, "repeats point 0"),
        ({"grid": {STAFF: [5]}}, "appears in both grid and zip"),
        ({"replications": 0}, "replications: must be a whole number >= 1"),
        ({"seed": -3}, "seed: must be a whole number >= 0"),
        ({"set": {"channels.voice.kind": "fax"}}, "set: channels.voice.kind"),
        ({"base": "nope.yaml"}, "nope.yaml: no such file"),
        ({"base": {"channels": {}}}, "base: "),
    ],
)
def test_bad_specs_give_one_clear_line_per_problem(change: dict, expected: str) -> None:
    assert expected in problems_of(sweep_dict(**change))


def test_base_path_is_relative_to_the_sweep_file(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "base.yaml").write_text(yaml.safe_dump(small_scenario()))
    data = sweep_dict(base="base.yaml")
    (tmp_path / "sub" / "sweep.yaml").write_text(yaml.safe_dump(data))
    sweep = resolve_sweep(tmp_path / "sub" / "sweep.yaml")
    assert sweep.points[0].scenario.name == "small call centre"


@pytest.mark.parametrize("path", sorted(ROOT.joinpath("scenarios").glob("sweep_*.yaml")))
def test_bundled_sweeps_resolve(path: Path) -> None:
    sweep = resolve_sweep(path)
    assert len(sweep.points) >= 2


# --------------------------------------------------------------------------------------
# results: the same as simulate, whatever runs them
# --------------------------------------------------------------------------------------
def test_point_results_equal_simulate_bit_for_bit() -> None:
    sweep = SweepSpec.from_dict(sweep_dict()).resolve()
    result = run_batch(sweep, workers=1)
    assert result.complete and result.tasks_run == 12
    for point in sweep.points[::3]:
        direct = simulate(point.scenario, sweep.replications, point.seed)
        mine = result.summary[result.summary.point == point.index]
        for entity_type, table, key in (
            ("channel", direct.channels, "channel"),
            ("group", direct.groups, "group"),
            ("overall", direct.overall.assign(entity="all"), "entity"),
        ):
            rows = mine[mine.entity_type == entity_type].merge(
                table, left_on=["entity", "kpi"], right_on=[key, "kpi"], suffixes=("", "_sim")
            )
            assert len(rows) == len(table)
            for column in ("mean", "ci_half_width", "n"):
                assert np.array_equal(rows[column], rows[f"{column}_sim"], equal_nan=True)


def test_identical_results_in_process_two_processes_and_dask() -> None:
    sweep = SweepSpec.from_dict(sweep_dict(replications=2)).resolve()
    serial = run_batch(sweep, workers=1)
    pooled = run_batch(sweep, workers=2)
    assert pooled.backend == "2 local processes"
    pd.testing.assert_frame_equal(serial.summary, pooled.summary, check_exact=True)
    pd.testing.assert_frame_equal(serial.replications, pooled.replications, check_exact=True)
    chunked = run_batch(sweep, workers=2, chunk=2)
    assert chunked.backend.endswith("2 replications per task")
    pd.testing.assert_frame_equal(serial.replications, chunked.replications, check_exact=True)
    if importlib.util.find_spec("distributed") is None:
        pytest.skip("dask[distributed] not installed: pip install 'staffsim[dask]'")
    dask = run_batch(sweep, dask_local=2)
    assert dask.backend.startswith("Dask LocalCluster")
    pd.testing.assert_frame_equal(serial.summary, dask.summary, check_exact=True)


def test_scenario_list_input_and_kpi_table() -> None:
    base = Scenario.from_dict(small_scenario())
    plans = {"five": base.with_changes({STAFF: 5}), "eight": base.with_changes({STAFF: 8})}
    result = run_batch(plans, replications=2, seed=3, workers=1)
    assert result.parameters == ["scenario"]
    table = result.kpi_table("service_level")
    assert list(table["scenario"]) == ["five", "eight"]
    assert table["mean"].iloc[1] > table["mean"].iloc[0]  # more agents, better service
    with pytest.raises(InputError, match="unknown KPI"):
        result.kpi_table("nonsense")


def test_chunks_group_missing_replications_replication_major() -> None:
    sweep = SweepSpec.from_dict(sweep_dict(replications=5)).resolve()
    first, second = sweep.points[:2]
    todo = [(p, r) for r in (0, 1, 3, 4) for p in (first, second)]
    chunks = make_chunks(todo, 3)
    assert [(p.index, reps) for p, reps in chunks] == [
        (0, (0, 1, 3)),
        (1, (0, 1, 3)),
        (0, (4,)),
        (1, (4,)),
    ]
    assert chunk_size(None, todo=200, slots=2, batch=4) == 4
    assert chunk_size(None, todo=12, slots=2, batch=4) == 1  # keep every slot busy
    assert chunk_size(2, todo=12, slots=2, batch=4) == 2


# --------------------------------------------------------------------------------------
# storage, failures, resume
# --------------------------------------------------------------------------------------
def test_stored_outputs_reload_and_extend_exactly(tmp_path: Path) -> None:
    """CSV keeps every float exactly: extending 2 -> 3 replications from the stored file
    equals a fresh 3-replication run."""
    out = tmp_path / "res.csv"
    first = run_batch(sweep_dict(), replications=2, workers=1, out=out)
    assert first.complete and not (tmp_path / "res.csv.parts").exists()
    loaded = load_results(out)
    assert loaded.parameters == [SCALE, STAFF]
    pd.testing.assert_frame_equal(loaded.summary, first.summary, check_dtype=False)
    more = run_batch(sweep_dict(), replications=3, workers=1, out=out, resume=True)
    assert (more.tasks_resumed, more.tasks_run) == (8, 4)
    fresh = run_batch(sweep_dict(), replications=3, workers=1)
    pd.testing.assert_frame_equal(more.summary, fresh.summary, check_exact=True)


def test_existing_results_need_resume_or_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "res.parquet"
    run_batch(sweep_dict(), replications=2, workers=1, out=out)
    with pytest.raises(InputError, match="pass --resume"):
        run_batch(sweep_dict(), replications=2, workers=1, out=out)
    with pytest.raises(InputError, match="another scenario or seed"):
        run_batch(sweep_dict(), replications=2, seed=6, workers=1, out=out, resume=True)
    with pytest.raises(InputError, match="2 replications are stored but the sweep asks for 1"):
        run_batch(sweep_dict(), replications=1, workers=1, out=out, resume=True)
    again = run_batch(sweep_dict(), replications=1, seed=6, workers=1, out=out, overwrite=True)
    assert again.tasks_run == 4 and again.complete


def test_failing_task_is_reported_and_the_sweep_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sweep = SweepSpec.from_dict(sweep_dict()).resolve()
    bad = sweep.points[2]

    def flaky(model, seed, replication, **kwargs):
        if seed == bad.seed and replication == 1:
            raise RuntimeError("engine exploded")
        return run_replication(model, seed, replication, **kwargs)

    monkeypatch.setattr(batch_worker, "run_replication", flaky)
    out = tmp_path / "res.parquet"
    result = run_batch(sweep, workers=1, out=out, chunk=3)  # the chunk's others survive
    assert [(f.point, f.replication) for f in result.failures] == [(2, 1)]
    failure = result.failures[0]
    assert failure.params == bad.params and "RuntimeError: engine exploded" in failure.error
    assert "engine exploded" in failure.traceback
    assert result.tasks_stored == 11 and not result.complete
    assert (tmp_path / "res.parquet.parts" / "failures.json").exists()
    summary = result.summary
    assert set(summary.loc[summary.point == 2, "n"]) == {2}  # the other replications count
    monkeypatch.undo()
    fixed = run_batch(sweep, workers=1, out=out, resume=True)
    assert fixed.complete and fixed.tasks_run == 1
    pd.testing.assert_frame_equal(
        fixed.summary, run_batch(sweep, workers=1).summary, check_exact=True
    )


@pytest.mark.skipif(
    multiprocessing.get_start_method() != "fork", reason="needs fork to patch the workers"
)
def test_lost_worker_stops_cleanly_and_resume_completes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sweep = SweepSpec.from_dict(sweep_dict()).resolve()
    doomed = sweep.points[1]

    def dies(model, seed, replication, **kwargs):
        if seed == doomed.seed and replication == 1:
            os._exit(9)  # what an out-of-memory kill looks like to the pool
        return run_replication(model, seed, replication, **kwargs)

    monkeypatch.setattr(batch_worker, "run_replication", dies)
    out = tmp_path / "res.csv"
    broken = run_batch(sweep, workers=2, out=out)
    assert broken.stopped and "worker process died" in broken.stopped
    assert not broken.complete and not broken.failures
    monkeypatch.undo()
    resumed = run_batch(sweep, workers=2, out=out, resume=True)
    assert resumed.complete and resumed.tasks_resumed == broken.tasks_stored
    pd.testing.assert_frame_equal(
        resumed.summary, run_batch(sweep, workers=1).summary, check_exact=True
    )


# The CLI as `staffsim batch` runs it, except that its progress callback (called in the
# main process after each task is stored) writes a marker file once 4 tasks are stored and
# then holds the run there until it is killed: the kill lands at a known point, however
# fast or slow the machine is.
_HELD_CLI = """
import os, pathlib, sys, time
from simulator.cli import batch, main

marker = pathlib.Path(os.environ["STAFFSIM_TEST_MARKER"])


class HoldAfterFour(batch.ProgressBar):
    def __call__(self, done, total):
        if done >= 4:
            marker.write_text(str(done))
            while True:
                time.sleep(60)


batch.ProgressBar = HoldAfterFour
sys.exit(main(sys.argv[1:]))
"""


def test_killed_cli_run_resumes_to_exactly_the_full_result(tmp_path: Path) -> None:
    """SIGKILL the CLI (and its worker processes) mid-run, resume, compare files byte for
    byte with an uninterrupted run: no lost and no duplicated rows. The kill comes when the
    run has stored exactly 4 of its 40 tasks (a marker file, not a clock, says when)."""
    data = sweep_dict(
        base=small_scenario(rate_per_hour=600, agents=12),
        grid={SCALE: [0.8, 0.9, 1.0, 1.1]},
        zip={STAFF: [11, 13]},
        replications=5,
    )
    spec = tmp_path / "sweep.yaml"
    spec.write_text(yaml.safe_dump(data))
    out = tmp_path / "killed.csv"
    marker = tmp_path / "four-stored"
    arguments = ["batch", str(spec), "--out", str(out)]
    proc = subprocess.Popen(
        [sys.executable, "-c", _HELD_CLI, *arguments, "--workers", "2"],
        cwd=ROOT,
        env={**os.environ, "STAFFSIM_TEST_MARKER": str(marker)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the kill reaches its workers too
    )
    parts = tmp_path / "killed.csv.parts"
    try:
        while not marker.exists():
            assert proc.poll() is None, "the run ended before storing 4 tasks"
            time.sleep(0.05)
    finally:
        with contextlib.suppress(ProcessLookupError):  # already gone: the assert says why
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    stored = len(list(parts.glob("*.json")))
    assert stored == int(marker.read_text()) == 4 and not out.exists()
    resumed = subprocess.run(
        [sys.executable, "-m", "simulator.cli", *arguments, "--resume", "--workers", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "(4 already stored" in resumed.stdout
    reference = tmp_path / "reference.csv"
    run_batch(spec, workers=2, out=reference)
    assert out.read_bytes() == reference.read_bytes()
    assert (tmp_path / "killed.replications.csv").read_bytes() == (
        tmp_path / "reference.replications.csv"
    ).read_bytes()
    rows = pd.read_csv(tmp_path / "killed.replications.csv")
    assert not rows.duplicated(["point_id", "replication", "entity_type", "entity", "kpi"]).any()
    assert rows.drop_duplicates(["point_id", "replication"]).shape[0] == 40


# --------------------------------------------------------------------------------------
# CLI and example
# --------------------------------------------------------------------------------------
def test_cli_runs_reports_and_writes(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    spec = tmp_path / "sweep.yaml"
    spec.write_text(yaml.safe_dump(sweep_dict(replications=2)))
    out = tmp_path / "res.parquet"
    assert main(["batch", str(spec), "--out", str(out), "--workers", "1"]) == 0
    text = capsys.readouterr().out
    assert "4 points x 2 replications = 8 tasks" in text and "SL voice" in text
    assert out.exists() and (tmp_path / "res.replications.parquet").exists()
    assert main(["batch", str(spec), "--dry-run"]) == 0
    assert "point_id" in capsys.readouterr().out


def test_cli_bad_input_exits_2_with_one_line_per_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    spec = tmp_path / "sweep.yaml"
    spec.write_text(yaml.safe_dump(sweep_dict(grid={"channels.voice.arrivals.scal": [1]})))
    assert main(["batch", str(spec), "--out", str(tmp_path / "r.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("staffsim batch: error: channels.voice.arrivals.scal: unknown path")
    spec.write_text(yaml.safe_dump(sweep_dict()))
    assert main(["batch", str(spec), "--out", str(tmp_path / "r.txt")]) == 2
    assert ".parquet" in capsys.readouterr().err
    assert not list(tmp_path.glob("r.*"))  # nothing written for a run that did not start


def test_cli_reports_failed_task_with_parameters(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(model, seed, replication, **kwargs):
        if replication == 0:
            raise ValueError("bad luck")
        return run_replication(model, seed, replication, **kwargs)

    monkeypatch.setattr(batch_worker, "run_replication", broken)
    spec = tmp_path / "sweep.yaml"
    spec.write_text(yaml.safe_dump(sweep_dict(replications=2)))
    assert main(["batch", str(spec), "--out", str(tmp_path / "r.csv"), "--workers", "1"]) == 1
    text = capsys.readouterr().out
    assert "FAILED: 4 task(s)" in text
    assert "point 0 (channels.voice.arrivals.scale=0.9, agent_groups.team.staffing=5)" in text
    assert "--resume" in text


def test_research_example_runs(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = ROOT / "examples" / "research_sweep.py"
    spec = importlib.util.spec_from_file_location("research_sweep", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(yaml.safe_dump(sweep_dict(replications=2)))
    png = tmp_path / "tradeoff.png"
    args = ["--sweep", str(sweep), "--out", str(tmp_path / "r.csv"), "--workers", "1"]
    assert module.main([*args, "--png", str(png)]) == 0
    text = capsys.readouterr().out
    assert png.exists() or "matplotlib is not installed" in text
    table = module.tradeoff(load_results(tmp_path / "r.csv"), "voice", STAFF)
    assert list(table.columns[:3]) == ["point", SCALE, STAFF] and len(table) == 4
