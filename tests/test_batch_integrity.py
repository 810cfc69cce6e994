"""Batch stores are tamper-evident and exclusive.

* A part file or replications-file task whose rows no longer match their row count and
  checksum (a value altered, rows deleted, malformed JSON that still parses) is set aside,
  reported in ``discarded`` and computed again: the resumed result equals a clean run.
* A second run on the same ``--out`` is refused while the first holds its lock.
* Killing the parent with SIGKILL leaves no worker process behind.
* The resume fingerprint includes staffsim's version.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest
import yaml
from test_batch import ROOT, SCALE, STAFF, small_scenario, sweep_dict

from simulator.batch import load_results, run_batch
from simulator.batch import sweep as batch_sweep
from simulator.errors import InputError


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    """The summary of an untouched in-memory run (2 replications of 4 points)."""
    return run_batch(sweep_dict(), replications=2, workers=1).summary


def _parts_of_a_killed_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Store every task as a part file and stop before compaction (what a kill leaves)."""
    from simulator.batch import store

    monkeypatch.setattr(store.DirectoryStore, "finish", lambda self, *a, **k: [])
    out = tmp_path / "res.csv"
    run_batch(sweep_dict(), replications=2, workers=1, out=out)
    monkeypatch.undo()
    return out


@pytest.mark.parametrize(
    "damage",
    ["altered value", "deleted row", "extra row", "not a mapping", "missing rows", "truncated"],
)
def test_damaged_part_is_discarded_and_computed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference: pd.DataFrame, damage: str
) -> None:
    out = _parts_of_a_killed_run(tmp_path, monkeypatch)
    parts = sorted((tmp_path / "res.csv.parts").glob("*.json"))
    assert len(parts) == 8
    victim = parts[3]
    data = json.loads(victim.read_text())
    if damage == "altered value":
        data["rows"][0][3] += 0.01
    elif damage == "deleted row":
        del data["rows"][-1]
    elif damage == "extra row":
        data["rows"].append(list(data["rows"][0]))
    elif damage == "not a mapping":
        data = [data]
    elif damage == "missing rows":
        del data["rows"]
    text = json.dumps(data)
    victim.write_text(text[: len(text) // 2] if damage == "truncated" else text)
    resumed = run_batch(sweep_dict(), replications=2, workers=1, out=out, resume=True)
    assert len(resumed.discarded) == 1 and victim.name in resumed.discarded[0]
    assert resumed.tasks_run == 1 and resumed.complete
    pd.testing.assert_frame_equal(resumed.summary, reference, check_exact=True)


@pytest.mark.parametrize("damage", ["altered value", "deleted rows", "no checks"])
def test_damaged_replications_file_is_detected_and_recomputed(
    tmp_path: Path, reference: pd.DataFrame, damage: str
) -> None:
    out = tmp_path / "res.csv"
    run_batch(sweep_dict(), replications=2, workers=1, out=out)
    path = tmp_path / "res.replications.csv"
    rows = pd.read_csv(path)
    first_task = (rows.point == 1) & (rows.replication == 1)
    if damage == "altered value":
        index = rows[first_task & (rows.kpi == "service_level")].index[0]
        rows.loc[index, "value"] += 0.001
    elif damage == "deleted rows":
        rows = rows.drop(rows[first_task & (rows.kpi == "asa_s")].index)
    else:
        rows = rows.drop(columns=["task_rows", "task_checksum"])
    rows.to_csv(path, index=False)
    if damage != "no checks":
        with pytest.raises(InputError, match=r"point .* replication 1"):
            load_results(out)
    resumed = run_batch(sweep_dict(), replications=2, workers=1, out=out, resume=True)
    assert resumed.discarded and resumed.complete
    assert resumed.tasks_run == (8 if damage == "no checks" else 1)
    pd.testing.assert_frame_equal(resumed.summary, reference, check_exact=True)
    load_results(out)  # the rewritten file checks out again


def test_version_is_part_of_the_resume_fingerprint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "res.csv"
    run_batch(sweep_dict(), replications=1, workers=1, out=out)
    monkeypatch.setattr(batch_sweep, "package_version", lambda: "99.0")
    with pytest.raises(InputError, match="staffsim's version changed"):
        run_batch(sweep_dict(), replications=2, workers=1, out=out, resume=True)


# --------------------------------------------------------------------------------------
# a real run in a subprocess: the lock, and no orphans after SIGKILL
# --------------------------------------------------------------------------------------
def _start_slow_cli_run(tmp_path: Path, workers: int) -> tuple[subprocess.Popen, Path, Path]:
    data = sweep_dict(
        base=small_scenario(rate_per_hour=600, agents=12),
        grid={SCALE: [0.8, 0.9, 1.0, 1.1, 1.2, 1.3]},
        zip={STAFF: [11, 13]},
        replications=30,
    )
    spec = tmp_path / "sweep.yaml"
    spec.write_text(yaml.safe_dump(data))
    out = tmp_path / "res.csv"
    cli = "import sys; from simulator.cli import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.Popen(
        [sys.executable, "-c", cli, "batch", str(spec), "--out", str(out), "--workers",
         str(workers)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    parts = tmp_path / "res.csv.parts"
    while len(list(parts.glob("*.json"))) < 2:  # running, lock held
        assert proc.poll() is None, "the run ended before the test could use it"
        time.sleep(0.05)
    return proc, spec, out


def _kill_group(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def test_second_run_on_the_same_out_is_refused_while_the_first_runs(tmp_path: Path) -> None:
    proc, spec, out = _start_slow_cli_run(tmp_path, workers=1)
    try:
        with pytest.raises(InputError, match="another staffsim batch run is writing to"):
            run_batch(spec, workers=1, out=out, resume=True)
        with pytest.raises(InputError, match="another staffsim batch run"):
            run_batch(spec, workers=1, out=out, overwrite=True)  # nor may it wipe the files
        assert (tmp_path / "res.csv.parts").is_dir()
    finally:
        _kill_group(proc)
    # The killed run's lock went with its process: resuming now works and completes.
    resumed = run_batch(spec, workers=1, out=out, resume=True)
    assert resumed.complete and resumed.tasks_resumed >= 2


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX process groups and SIGKILL")
def test_killing_the_parent_leaves_no_worker_processes(tmp_path: Path) -> None:
    proc, _, _ = _start_slow_cli_run(tmp_path, workers=2)
    try:
        workers = psutil.Process(proc.pid).children(recursive=True)
        assert len(workers) >= 2
        os.kill(proc.pid, signal.SIGKILL)  # the parent only: no handler sees it
        proc.wait()
        # Liveness bound, not a speed claim: workers check every 0.5 s; before the fix
        # they waited for work for ever.
        _, alive = psutil.wait_procs(workers, timeout=60)
        assert not alive, f"orphaned workers: {[p.pid for p in alive]}"
    finally:
        _kill_group(proc)
