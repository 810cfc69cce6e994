"""The documentation cannot rot: its examples run and it names every field and KPI.

* ``docs/scenario-format.md``: the YAML blocks marked ``<!-- complete-scenario -->`` validate
  as scenarios; the annotated example comments every key and uses every field of the
  format; every field name and every allowed value of the pydantic models is documented;
  the documented validation error is the one the CLI prints.
* ``docs/results-format.md``: every KPI of ``simulator.kpis`` and every column of every
  result table is documented; the JSON example has the keys a real run produces.
* ``scenarios/README.md``: lists exactly the bundled scenario files, each of which starts
  with a comment block.
* The ``staffsim ...`` commands in ``bash`` blocks of these pages (and the README) run and
  print what the page shows after them, or else output checked against an independent
  computation (sweeps with one replication per point). The optimizer's commands, the app
  server, a plan file only the optimizer writes and a placeholder cluster address are the
  only ones not run (``_NOT_RUN`` says why). The ``python`` blocks run.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import shlex
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import exact_erlang_c, textbook_load, textbook_service_level
from pydantic import BaseModel, TypeAdapter

from simulator.batch import load_results, resolve_sweep
from simulator.cli import build_parser, main
from simulator.distributions import Distribution
from simulator.kpis import CHANNEL_INTERVAL_KPIS as INTERVAL_KPIS
from simulator.kpis import CHANNEL_KPIS, GROUP_KPIS
from simulator.runner import simulate
from simulator.scenario import Scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIO_DOC = ROOT / "docs" / "scenario-format.md"
RESULTS_DOC = ROOT / "docs" / "results-format.md"
SCENARIOS_DIR = ROOT / "scenarios"
SCENARIOS_README = SCENARIOS_DIR / "README.md"
COMMAND_PAGES = (ROOT / "README.md", SCENARIOS_README, SCENARIO_DOC, RESULTS_DOC)
MAX_DOC_REPLICATIONS = 5  # a documented simulate command with more is skipped as slow

# A fenced block, optionally preceded by a marker comment on the line before it.
_FENCE = re.compile(
    r"(?:<!--\s*(?P<mark>[\w-]+)\s*-->[ \t]*\n)?^```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^```",
    re.MULTILINE | re.DOTALL,
)
_KEY_LINE = re.compile(r"^\s*(?:-\s+)?[A-Za-z_][\w-]*\s*:")


def _blocks(path: Path, lang: str, mark: str | None = None) -> list[str]:
    """Bodies of the fenced ``lang`` blocks of a page (only those after ``mark``, if given)."""
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8")
    return [
        m["body"]
        for m in _FENCE.finditer(text)
        if m["lang"] == lang and (mark is None or m["mark"] == mark)
    ]


def _backticked(path: Path) -> set[str]:
    """Every `code span` of a page, and each word-like token inside one."""
    spans = re.findall(r"`([^`\n]+)`", path.read_text(encoding="utf-8"))
    tokens = set(spans)
    for span in spans:
        tokens.update(re.findall(r"[\w.-]+", span))
    return tokens


# --------------------------------------------------------------------------------------
# The scenario format's models, walked recursively
# --------------------------------------------------------------------------------------
def _types_in(annotation: Any) -> Iterator[Any]:
    """Every type mentioned in an annotation (through unions, Annotated, dict, tuple...)."""
    yield annotation
    for arg in typing.get_args(annotation):
        yield from _types_in(arg)


def _models() -> list[type[BaseModel]]:
    """Scenario and every pydantic model reachable from its fields (distributions too)."""
    seen: list[type[BaseModel]] = []
    todo: list[Any] = [Scenario]
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.append(model)
        for field in model.model_fields.values():
            for t in _types_in(field.annotation):
                if isinstance(t, type) and issubclass(t, BaseModel) and t not in seen:
                    todo.append(t)
    return seen


def _literal_values() -> set[str]:
    """Every allowed value of every Literal-typed field (kinds, policies, definitions...)."""
    values: set[str] = set()
    for model in _models():
        for field in model.model_fields.values():
            for t in _types_in(field.annotation):
                if typing.get_origin(t) is typing.Literal:
                    values.update(str(v) for v in typing.get_args(t))
    return values


def _field_names() -> set[str]:
    return {name for model in _models() for name in model.model_fields}


def _keys(data: Any) -> set[str]:
    """Every mapping key of a parsed YAML document, at any depth (the user's channel and
    group names come along; harmless for a "contains every field" check)."""
    keys: set[str] = set()
    if isinstance(data, dict):
        for key, value in data.items():
            keys.add(str(key))
            keys |= _keys(value)
    elif isinstance(data, list):
        for item in data:
            keys |= _keys(item)
    return keys


def test_the_model_walk_finds_the_nested_models() -> None:
    names = {m.__name__ for m in _models()}
    assert {"Scenario", "Channel", "Arrivals", "AgentGroup", "Shift", "Break", "Run"} <= names
    assert {"Exponential", "Lognormal", "Gamma", "Deterministic", "Empirical"} <= names


# --------------------------------------------------------------------------------------
# docs/scenario-format.md
# --------------------------------------------------------------------------------------
def _complete_examples() -> list[str]:
    return _blocks(SCENARIO_DOC, "yaml", "complete-scenario")


def test_scenario_doc_has_complete_examples() -> None:
    assert len(_complete_examples()) >= 2, "mark complete scenarios with <!-- complete-scenario -->"


@pytest.mark.parametrize("index", range(2))
def test_complete_examples_validate(index: int) -> None:
    text = _complete_examples()[index]
    scenario = Scenario.from_yaml_text(text, source=f"docs example {index}")
    assert scenario.channels and scenario.agent_groups


def test_annotated_example_comments_every_key() -> None:
    """Every line of the annotated example that sets a key has a comment on it or right
    above it."""
    lines = _complete_examples()[0].splitlines()
    bare = []
    previous = ""
    for number, line in enumerate(lines, 1):
        if _KEY_LINE.match(line) and "#" not in line and not previous.lstrip().startswith("#"):
            bare.append(f"line {number}: {line.strip()}")
        if line.strip():
            previous = line
    assert not bare, "keys without a comment in the annotated example:\n" + "\n".join(bare)


def test_annotated_example_uses_every_field() -> None:
    """The annotated example is complete: it sets every field of the format at least once
    (a new field needs an annotated line there)."""
    used = _keys(yaml.safe_load(_complete_examples()[0]))
    missing = sorted(_field_names() - used)
    assert not missing, f"fields not shown in the annotated example: {missing}"


def test_every_field_is_documented() -> None:
    documented = _backticked(SCENARIO_DOC)
    missing = sorted(_field_names() - documented)
    assert not missing, f"fields not named (in backticks) in {SCENARIO_DOC.name}: {missing}"


def test_every_allowed_value_is_documented() -> None:
    documented = _backticked(SCENARIO_DOC)
    missing = sorted(_literal_values() - documented)
    assert not missing, f"allowed values not named in {SCENARIO_DOC.name}: {missing}"


def test_yaml_blocks_parse() -> None:
    for page in (SCENARIO_DOC, SCENARIOS_README):
        for body in _blocks(page, "yaml"):
            yaml.safe_load(body)


def test_distribution_examples_validate() -> None:
    (body,) = _blocks(SCENARIO_DOC, "yaml", "distributions")
    adapter: TypeAdapter[Any] = TypeAdapter(Distribution)
    items = yaml.safe_load(body)
    tags = {adapter.validate_python(item).distribution for item in items}
    assert tags == {"exponential", "lognormal", "gamma", "deterministic", "empirical"}


def test_documented_error_is_what_the_cli_prints(tmp_path: Path, capsys) -> None:
    """The page shows the error for ``rate_per_hour: -5`` in scenarios/mmc.yaml; the CLI
    must print exactly that line and exit with status 2."""
    text = (SCENARIOS_DIR / "mmc.yaml").read_text(encoding="utf-8")
    assert "rate_per_hour: 360" in text
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("rate_per_hour: 360", "rate_per_hour: -5"), encoding="utf-8")
    assert main(["validate", str(bad)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line in SCENARIO_DOC.read_text(encoding="utf-8")


def test_documented_validate_summary_is_what_the_cli_prints(monkeypatch, capsys) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["validate", "scenarios/default.yaml"]) == 0
    (line,) = capsys.readouterr().out.strip().splitlines()
    assert line in SCENARIO_DOC.read_text(encoding="utf-8")


# --------------------------------------------------------------------------------------
# docs/results-format.md
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_result():
    return simulate(SCENARIOS_DIR / "mmc.yaml", replications=2, seed=1)


def test_every_kpi_is_documented(small_result) -> None:
    documented = _backticked(RESULTS_DOC)
    names = set(CHANNEL_KPIS) | set(INTERVAL_KPIS) | set(GROUP_KPIS)
    names |= set(small_result.overall.kpi) | set(small_result.group_intervals.kpi)
    missing = sorted(names - documented)
    assert not missing, f"KPIs not named (in backticks) in {RESULTS_DOC.name}: {missing}"


def test_every_table_column_is_documented(small_result) -> None:
    documented = _backticked(RESULTS_DOC)
    tables = ("channels", "intervals", "groups", "group_intervals", "overall", "per_replication")
    missing = sorted(
        f"{table}.{column}"
        for table in tables
        for column in getattr(small_result, table).columns
        if column not in documented
    )
    assert not missing, f"columns not named in {RESULTS_DOC.name}: {missing}"
    csv_header = ",".join(small_result.channels.columns)
    assert csv_header in RESULTS_DOC.read_text(encoding="utf-8"), "CSV header differs"


def test_json_example_has_the_real_keys(small_result) -> None:
    (body,) = _blocks(RESULTS_DOC, "json", "json-example")
    example = json.loads(body)
    real = small_result.to_dict()
    assert list(example) == list(real), "top-level keys (and their order) differ"
    assert example["schema_version"] == real["schema_version"]
    for table in ("channels", "groups", "overall", "intervals", "group_intervals"):
        assert example[table], f"the example shows no {table} record"
        for record in example[table]:
            assert set(record) == set(real[table][0]), f"{table} record keys differ"
    documented = _backticked(RESULTS_DOC)
    assert set(real) <= documented, "a top-level JSON key is not described"


# --------------------------------------------------------------------------------------
# scenarios/README.md
# --------------------------------------------------------------------------------------
def test_scenarios_readme_lists_exactly_the_bundled_files() -> None:
    files = {p.relative_to(SCENARIOS_DIR).as_posix() for p in SCENARIOS_DIR.rglob("*.yaml")}
    text = SCENARIOS_README.read_text("utf-8")
    listed = set(re.findall(r"\[`[\w./-]+\.yaml`\]\(([\w./-]+\.yaml)\)", text))
    assert files - listed == set(), "scenario files missing from scenarios/README.md's table"
    assert listed - files == set(), "scenarios/README.md lists files that do not exist"


@pytest.mark.parametrize(
    "path",
    sorted(SCENARIOS_DIR.rglob("*.yaml")),
    ids=lambda p: p.relative_to(SCENARIOS_DIR).as_posix(),
)
def test_scenario_file_starts_with_a_comment_block(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    block = [line for line in lines[:3] if line.startswith("#")]
    assert len(block) >= 2, f"{path.name} must start with a comment block (what and why)"


# --------------------------------------------------------------------------------------
# Documented commands and code
# --------------------------------------------------------------------------------------
def _documented_commands() -> list[tuple[str, str]]:
    commands = []
    for page in COMMAND_PAGES:
        for body in _blocks(page, "bash"):
            for line in body.splitlines():
                line = line.split(" #")[0].strip()
                if line.startswith("staffsim "):
                    commands.append((page.relative_to(ROOT).as_posix(), line))
    return commands


def _installed_subcommands() -> set[str]:
    for action in build_parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            return set(action.choices)
    return set()


def _work_in(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from ``folder`` with ``scenarios/`` and ``examples/`` linked in: documented paths
    resolve as from the repository root, and files a command or example writes land in
    ``folder``."""
    (folder / "scenarios").symlink_to(SCENARIOS_DIR, target_is_directory=True)
    (folder / "examples").symlink_to(ROOT / "examples", target_is_directory=True)
    monkeypatch.chdir(folder)


def _replications(argv: list[str]) -> int | None:
    for flag in ("-n", "--replications"):
        if flag in argv:
            return int(argv[argv.index(flag) + 1])
    return None


def test_pages_document_commands() -> None:
    pages = {page for page, _ in _documented_commands()}
    assert {"scenarios/README.md", "docs/scenario-format.md", "docs/results-format.md"} <= pages


# Documented commands that this test does not run, and why. Every other documented
# command runs (simulations and sweeps with few replications) and its output is checked.
_NOT_RUN = {
    "optimize": "slow; the optimizer's commands are checked in tests/test_optimizer_*.py",
    "frontier": "slow: one optimization per point; checked in tests/test_optimizer_*.py",
    "app": "starts a server; the app is checked in tests/test_app*.py",
    "--plan": "needs the plan.yaml that `staffsim optimize` writes",
    "--scheduler": "needs a Dask scheduler at the documented placeholder address",
}
DOC_SWEEP_REPLICATIONS = 1  # documented sweeps run with one replication per point


def _not_run(argv: list[str]) -> str | None:
    for word in (argv[0], *argv[1:]):
        if word in _NOT_RUN and (word == argv[0] or word.startswith("--")):
            return _NOT_RUN[word]
    return None


def _shown_output(page: Path, command: str) -> str | None:
    """The output a page prints right after a ``bash`` block holding only ``command``: the
    untyped fenced block that follows it, if any."""
    text = page.read_text(encoding="utf-8")
    blocks = list(_FENCE.finditer(text))
    for block, after in itertools.pairwise(blocks):
        if (
            block["lang"] == "bash"
            and block["body"].strip() == command
            and after["lang"] == ""
            and not text[block.end() : after.start()].strip()
        ):
            return after["body"]
    return None


def _scenario_of(argv: list[str]) -> Scenario:
    return Scenario.from_yaml(ROOT / argv[1])


def _check_validate(argv: list[str], out: str) -> None:
    scenario = _scenario_of(argv)
    (line,) = out.strip().splitlines()
    assert line.startswith(f"{argv[1]}: OK - '{scenario.name}': "), line
    assert f"{len(scenario.channels)} channel(s), {len(scenario.agent_groups)} agent group" in line


def _check_schema(argv: list[str], out: str) -> None:
    schema = json.loads(out)
    assert {"channels", "agent_groups", "horizon"} <= set(schema["properties"])
    assert set(schema["required"]) >= {"channels", "agent_groups"}


def _check_erlang(argv: list[str], out: str) -> None:
    """``--agents`` mode: the KPIs of that staffing are the textbook Erlang C values
    (exact fractions, conftest), as the page's prose quotes them."""
    option = dict(zip(argv[1::2], argv[2::2], strict=False))
    rate, aht = float(option["--calls"]), float(option["--aht-seconds"])
    agents, within = int(option["--agents"]), float(option["--within-seconds"])
    assert "--period-minutes" not in option  # calls per hour
    load = textbook_load(rate, aht)
    c_wait = float(exact_erlang_c(agents, load))
    lines = {label: value for label, value in (_label_value(line) for line in out.splitlines())}
    assert lines["P(wait)"] == f"{c_wait:.2%}"
    sl = textbook_service_level(rate, aht, agents, within)
    assert lines[f"service level ({within:g} s)"] == f"{sl:.2%}"
    assert lines["ASA"] == f"{c_wait * aht / (agents - float(load)):.2f} s"


def _label_value(line: str) -> tuple[str, str]:
    label, _, value = line.partition("  ")
    return label.strip(), value.strip()


def _check_simulate(argv: list[str], out: str) -> None:
    """The run the command describes (the scenario, -n replications, its seed): the JSON is
    exactly ``simulate``'s; the CSV is the channels table under the documented header; the
    table names the run and judges every target of every channel."""
    scenario = _scenario_of(argv)
    replications = _replications(argv)
    assert replications is not None and replications <= MAX_DOC_REPLICATIONS
    fmt = argv[argv.index("--format") + 1] if "--format" in argv else "table"
    result = simulate(scenario, replications, scenario.run.seed)
    if fmt == "json":
        assert json.loads(out) == json.loads(result.to_json())
    elif fmt == "csv":
        header, *rows = out.strip().splitlines()
        assert header == ",".join(result.channels.columns)
        assert header in RESULTS_DOC.read_text(encoding="utf-8")
        assert len(rows) == len(result.channels)
    else:
        assert out.startswith(
            f"{scenario.name} - {replications} replications, seed {scenario.run.seed}\n"
        )
        verdicts = [line for line in out.splitlines() if line.endswith(("met", "MISSED"))]
        judged = {line.split(":")[0].strip() for line in verdicts}
        assert judged == {n for n, ch in scenario.channels.items() if ch.targets}


def _check_batch(argv: list[str], out: str) -> None:
    sweep = resolve_sweep(ROOT / argv[1])
    if "--dry-run" in argv:
        head, _, *rows = out.strip().splitlines()
        assert head.startswith(f"{sweep.name}: {len(sweep.points)} points x ")
        assert len(rows) == 1 + len(sweep.points)  # the column header, then one per point
        assert "point_id" in rows[0]
        return
    stored = load_results(argv[argv.index("--out") + 1])
    assert stored.complete and stored.tasks_stored == len(sweep.points) * _replications(argv)
    assert sorted(stored.summary.point.unique()) == list(range(len(sweep.points)))
    if "--resume" in argv:
        assert f"({len(sweep.points)} already stored" in out  # only the new replication ran
    if "--dask-local" in argv:
        assert "Dask LocalCluster" in out


_CHECKS = {
    "validate": _check_validate,
    "schema": _check_schema,
    "erlang": _check_erlang,
    "simulate": _check_simulate,
    "batch": _check_batch,
}


@pytest.mark.parametrize(("page", "command"), _documented_commands())
def test_documented_command_prints_what_it_should(
    page: str, command: str, monkeypatch, tmp_path: Path, capsys
) -> None:
    """Each documented command runs as written from the repository root, with fewer
    replications where it would be slow (a sweep's ``--replications 1``; a documented
    ``simulate`` already says ``-n``), and prints the output the page shows, or, where it
    shows none, output checked against an independent computation of what it should say."""
    argv = shlex.split(command)[1:]
    assert argv[0] in _installed_subcommands(), f"{page}: unknown sub-command in `{command}`"
    reason = _not_run(argv)
    if reason:
        pytest.skip(reason)
    if argv[0] == "batch" and "--dry-run" not in argv:
        argv += ["--replications", str(DOC_SWEEP_REPLICATIONS)]
        if "--dask-local" not in argv:
            argv += ["--workers", "1"]
    _work_in(tmp_path, monkeypatch)
    if "--resume" in argv:  # resuming what the documented first run stored, with one more
        plain = [a for a in argv if a != "--resume"]
        assert main(plain) == 0
        argv[argv.index("--replications") + 1] = str(DOC_SWEEP_REPLICATIONS + 1)
    capsys.readouterr()
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 0, f"{page}: `{command}` exited {code}:\n{captured.err}"
    shown = _shown_output(ROOT / page, command)
    if shown is not None:
        assert captured.out == shown, f"{page}: `{command}` prints something else than shown"
        return
    assert argv[0] in _CHECKS, f"{page}: `{command}`: add a check of its output to this test"
    _CHECKS[argv[0]](argv, captured.out)


@pytest.mark.parametrize(
    ("page", "index"),
    [
        (page.relative_to(ROOT).as_posix(), i)
        for page in (SCENARIO_DOC, RESULTS_DOC)
        for i in range(len(_blocks(page, "python")))
    ],
)
def test_documented_python_runs(page: str, index: int, monkeypatch, tmp_path: Path) -> None:
    """Python examples run as written, in a folder that looks like the repository root."""
    code = _blocks(ROOT / page, "python")[index]
    _work_in(tmp_path, monkeypatch)
    namespace: dict[str, Any] = {"__name__": f"doc_example_{index}"}
    exec(compile(code, f"{page} python block {index}", "exec"), namespace)
