"""The seams of the layout hold: the channel-kind registry is the only list of kinds, the KPI
catalogue agrees with ``docs/results-format.md``, ``simulator`` never imports ``optimizer``,
and every ``staffsim`` command is registered where its package says."""

from __future__ import annotations

import ast
import re
import typing
from pathlib import Path

import pytest

from simulator.channels import KINDS, KindName, field_applies
from simulator.channels.spec import Channel
from simulator.cli import build_parser, command_modules
from simulator.kpis import CHANNEL_KPIS, KPIS
from simulator.scenario import Scenario

ROOT = Path(__file__).resolve().parents[1]


def test_the_registry_is_the_only_list_of_kinds() -> None:
    assert typing.get_args(KindName) == tuple(KINDS)
    schema = Scenario.model_json_schema()
    assert schema["$defs"]["Channel"]["properties"]["kind"]["enum"] == list(KINDS)
    # Default priorities: real-time kinds before deferred ones (a walk-in counter shares
    # the calls' tier: the oldest waiting customer first).
    priorities = {k.name: k.default_priority for k in KINDS.values()}
    assert set(priorities.values()) <= set(range(1, len(KINDS) + 1))
    realtime = [p for n, p in priorities.items() if KINDS[n].realtime]
    deferred = [p for n, p in priorities.items() if KINDS[n].deferred]
    assert max(realtime) < min(deferred)


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_kinds_own_fields_are_channel_fields_no_other_kind_may_set(kind: str) -> None:
    for path in KINDS[kind].own_fields:
        assert path.split(".")[0] in Channel.model_fields, path
        assert field_applies(kind, path)
        assert all(not field_applies(other, path) for other in KINDS if other != kind)


def _documented_channel_kpis() -> dict[str, tuple[str, str]]:
    """``kpi -> (unit, kinds)`` from the channel KPI table of docs/results-format.md."""
    text = (ROOT / "docs" / "results-format.md").read_text(encoding="utf-8")
    section = text.split("## Channel KPIs", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \| ([^|]+) \| ([^|]+) \|", section, flags=re.M)
    return {kpi: (unit.strip(), kinds.strip()) for kpi, unit, kinds in rows}


def test_the_kpi_catalogue_agrees_with_the_results_format_page() -> None:
    documented = _documented_channel_kpis()
    assert list(documented) == list(CHANNEL_KPIS)
    units = {"s": "seconds", "emails": "contacts"}
    for kpi, (unit, kinds) in documented.items():
        assert KPIS[kpi].unit == units.get(unit, unit), kpi
        reported = [name for name, kind in KINDS.items() if KPIS[kpi].applies_to(kind)]
        assert (kinds == "all" and reported == list(KINDS)) or kinds == ", ".join(reported), kpi


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_simulator_never_imports_optimizer() -> None:
    upward = {
        str(path.relative_to(ROOT)): sorted(
            n for n in _imports(path) if n.split(".")[0] == "optimizer"
        )
        for path in (ROOT / "simulator").rglob("*.py")
    }
    assert {k: v for k, v in upward.items() if v} == {}


def test_every_command_is_registered_by_its_own_package() -> None:
    modules = command_modules()
    for name in modules:
        package, _, command = name.partition(".cli.")
        assert package in ("simulator", "optimizer") and command, name
    commands = list(build_parser()._subparsers._group_actions[0].choices)
    assert commands == [
        "simulate",
        "compare",
        "optimize",
        "frontier",
        "validate",
        "schema",
        "erlang",
        "batch",
        "fit",
        "forecast",
        "app",
    ]
