"""The documentation cannot rot: its examples run and it names every field and KPI.

* ``docs/scenario-format.md``: the YAML blocks marked ``<!-- complete-scenario -->`` validate
  as scenarios; the annotated example comments every key and uses every field of the
  format; every field name and every allowed value of the pydantic models is documented;
  the documented validation error is the one the CLI prints.
* ``docs/results-format.md``: every KPI of ``simulator.results`` and every column of every
  result table is documented; the JSON example has the keys a real run produces.
* ``scenarios/README.md``: lists exactly the bundled scenario files, each of which starts
  with a comment block.
* The ``staffsim ...`` commands in ``bash`` blocks of these pages (and the README) and the
  ``python`` blocks run and succeed. Commands that would be slow (a simulation with more
  than 5 replications or without ``-n``) or belong to a sub-command not installed are
  skipped, not failed.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel, TypeAdapter

from simulator.cli import build_parser, main
from simulator.distributions import Distribution
from simulator.results import CHANNEL_KPIS, GROUP_KPIS, INTERVAL_KPIS
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
    """Run from ``folder`` with ``scenarios/`` linked in: documented paths resolve as from
    the repository root, and files a command or example writes land in ``folder``."""
    (folder / "scenarios").symlink_to(SCENARIOS_DIR, target_is_directory=True)
    monkeypatch.chdir(folder)


def _replications(argv: list[str]) -> int | None:
    for flag in ("-n", "--replications"):
        if flag in argv:
            return int(argv[argv.index(flag) + 1])
    return None


def test_pages_document_commands() -> None:
    pages = {page for page, _ in _documented_commands()}
    assert {"scenarios/README.md", "docs/scenario-format.md", "docs/results-format.md"} <= pages


@pytest.mark.parametrize(("page", "command"), _documented_commands())
def test_documented_command_succeeds(
    page: str, command: str, monkeypatch, tmp_path: Path, capsys
) -> None:
    argv = shlex.split(command)[1:]
    if argv[0] not in _installed_subcommands():
        pytest.skip(f"sub-command {argv[0]!r} is not installed")
    if argv[0] == "frontier":
        pytest.skip("slow: one optimization per frontier point")
    if argv[0] in {"simulate", "optimize", "batch"}:
        reps = _replications(argv)
        if reps is None or reps > MAX_DOC_REPLICATIONS:
            pytest.skip("slow: runs the scenario's full replications")
    if argv[0] == "app":
        pytest.skip("starts a server")
    _work_in(tmp_path, monkeypatch)
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 0, f"{page}: `{command}` exited {code}:\n{captured.err}"
    assert captured.out.strip() or "--out" in argv, f"{page}: `{command}` printed nothing"


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
