"""`--set PATH=VALUE` on simulate / optimize / frontier, `staffsim compare` (same customers,
deltas with paired CIs, table/json/csv) and FTE beside paid hours."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest

from simulator.cli import main
from simulator.errors import InputError
from simulator.runner import simulate
from simulator.scenario import Scenario
from simulator.whatif import Edit, parse_edit, parse_variant

ROOT = Path(__file__).parent.parent
DEFAULT = str(ROOT / "scenarios" / "default.yaml")
SMALL = str(ROOT / "scenarios" / "opt_small.yaml")
WEEK = str(ROOT / "scenarios" / "week.yaml")


# ---- the edit syntax ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "edit"),
    [
        (
            "channels.general.targets.service_level=0.9",
            Edit("channels.general.targets.service_level", 0.9),
        ),
        ("agent_groups.a.staffing-=2", Edit("agent_groups.a.staffing", -2, op="add")),
        ("agent_groups.a.staffing += 3", Edit("agent_groups.a.staffing", 3, op="add")),
        ("channels.*.arrivals.scale*=1.15", Edit("channels.*.arrivals.scale", 1.15, op="multiply")),
        ("channels.c.arrivals.volumes=[1, 2, 3]", Edit("channels.c.arrivals.volumes", [1, 2, 3])),
        (
            "channels.c.handle_time.distribution=gamma",
            Edit("channels.c.handle_time.distribution", "gamma"),
        ),
        # a bare clock time is text, not YAML 1.1's base-60 number (17:30 -> 1050)
        ("outbound.l.hours.close=17:30", Edit("outbound.l.hours.close", "17:30")),
        ("horizon.open = 8:00", Edit("horizon.open", "8:00")),
    ],
)
def test_parse_edit_reads_each_operation(text: str, edit: Edit) -> None:
    assert parse_edit(text) == edit


@pytest.mark.parametrize("text", ["foo", "=3", "a.b=", "a.b+=x", "a.b*=[1]"])
def test_parse_edit_refuses_malformed_text_naming_the_option(text: str) -> None:
    with pytest.raises(InputError) as err:
        parse_edit(text)
    assert err.value.problems[0].startswith("--set")


def test_parse_variant_splits_edits_at_commas_outside_brackets() -> None:
    variant = parse_variant("peak: channels.c.arrivals.volumes=[1, 2], agent_groups.a.staffing-=1")
    assert variant.name == "peak"
    assert variant.edits == (
        Edit("channels.c.arrivals.volumes", [1, 2]),
        Edit("agent_groups.a.staffing", -1, op="add"),
    )
    assert parse_variant("as is:").edits == ()
    with pytest.raises(InputError, match="NAME: PATH=VALUE"):
        parse_variant("no name here=3")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("outbound=null", "outbound lists removed"),
        ("channels.voice.callbacks=null", "channels.voice.callbacks removed"),
        ("channels.voice.targets.service_level=0.9", "channels.voice.targets.service_level = 0.9"),
        ("channels.c.arrivals.volumes=[1, 2]", "channels.c.arrivals.volumes = [1, 2]"),
        ("run.keep_contacts=true", "run.keep_contacts = true"),
        ("agent_groups.a.staffing-=2", "agent_groups.a.staffing -2"),
    ],
)
def test_an_edit_reads_as_the_planner_wrote_it(text: str, words: str) -> None:
    """A header line of ``staffsim compare``: YAML words (``true``, a section removed), not
    Python's (``True``, ``outbound = None``)."""
    assert parse_edit(text).describe() == words


def test_compare_names_a_removed_outbound_section_in_words(capsys) -> None:
    blended = str(ROOT / "scenarios" / "blended_collections.yaml")
    assert main(["compare", blended, "-n", "2", "--variant", "no list: outbound=null"]) == 0
    out = capsys.readouterr().out
    assert "no list: outbound lists removed" in out
    assert "None" not in out


# ---- --set on the commands ------------------------------------------------------------
def test_simulate_set_changes_the_scenario_as_the_file_would(capsys) -> None:
    """Doubling the generalists' rate with --set doubles their cost and leaves the others'
    (cost = paid hours x rate, worked out from the file)."""
    assert main(["simulate", DEFAULT, "-n", "2", "--format", "json"]) == 0
    before = json.loads(capsys.readouterr().out)
    args = ["--set", "agent_groups.generalists.cost_per_hour=48", "--set", "run.seed=7"]
    assert main(["simulate", DEFAULT, "-n", "2", "--format", "json", *args]) == 0
    after = json.loads(capsys.readouterr().out)

    def cost(doc: dict, group: str) -> float:
        return next(r["mean"] for r in doc["groups"] if r["group"] == group and r["kpi"] == "cost")

    assert cost(after, "generalists") == pytest.approx(2 * cost(before, "generalists"))
    assert cost(after, "card_specialists") == pytest.approx(cost(before, "card_specialists"))
    assert after["seed"] == 7


@pytest.mark.parametrize(
    ("command", "setting", "message"),
    [
        (
            "simulate",
            "channels.generl.targets.service_level=0.9",
            "--set channels.generl.targets.service_level: unknown path (nearest valid: chan",
        ),
        (
            "simulate",
            "agent_groups.generalists.cost_per_hour=-3",
            "--set agent_groups.generalists.cost_per_hour: must be >= 0, got -3",
        ),
        (
            "simulate",
            "channels.general.arrivals.volumes=[1, 2]",
            "--set channels.general.arrivals.volumes: 2 values given, a day has 24 intervals",
        ),
        ("simulate", "foo", "--set: expected PATH=VALUE"),
        (
            "optimize",
            "channels.general.targets.service_level=1.5",
            "--set channels.general.targets.service_level:",
        ),
        (
            "frontier",
            "agent_groups.nobody.staffing=3",
            "--set agent_groups.nobody.staffing: unknown path",
        ),
    ],
)
def test_bad_set_is_one_error_line_naming_the_path(command, setting, message, capsys) -> None:
    assert main([command, DEFAULT, "--set", setting]) == 2
    err = capsys.readouterr().err
    assert f"staffsim {command}: error: {message}" in err, err
    assert "Traceback" not in err


def test_frontier_set_applies_before_the_sweep(capsys) -> None:
    """A --set on frontier reaches every point: the analytic frontier of the small scenario
    with the generalists' rate doubled costs more at every point."""
    base = ["frontier", SMALL, "--evaluator", "analytic", "--service-levels", "0.8", "0.9"]
    assert main([*base, "--format", "json"]) == 0
    before = pd.DataFrame(json.loads(capsys.readouterr().out))
    assert (
        main([*base, "--format", "json", "--set", "agent_groups.generalists.cost_per_hour=48"]) == 0
    )
    after = pd.DataFrame(json.loads(capsys.readouterr().out))
    assert (after["cost"].to_numpy() > before["cost"].to_numpy()).all()


def test_frontier_takes_workers_and_gives_the_same_points_whatever_their_number(capsys) -> None:
    """``--workers`` as on ``optimize``: the same scenario and seed give the same point on
    one process or two; a negative count is refused naming the flag."""
    base = ["frontier", SMALL, "--service-levels", "0.8", "--max-evaluations", "3", "-n", "4"]
    tables = []
    for workers in ("1", "2"):
        assert main([*base, "--workers", workers, "--format", "json"]) == 0
        tables.append(pd.DataFrame(json.loads(capsys.readouterr().out)))
    pd.testing.assert_frame_equal(tables[0], tables[1])
    assert main([*base, "--workers", "-1"]) == 2
    assert "--workers" in capsys.readouterr().err


# ---- compare ----------------------------------------------------------------------------
def _compare_json(capsys, *args: str) -> pd.DataFrame:
    assert main(["compare", DEFAULT, "-n", "4", "--format", "json", *args]) == 0
    return pd.DataFrame(json.loads(capsys.readouterr().out))


def _row(table: pd.DataFrame, variant: str, entity: str, kpi: str) -> pd.Series:
    sel = table[(table.variant == variant) & (table.entity == entity) & (table.kpi == kpi)]
    assert len(sel) == 1, (variant, entity, kpi)
    return sel.iloc[0]


def test_compare_runs_every_variant_on_the_same_customers(capsys) -> None:
    """Two fewer card specialists: their paid hours fall by 2 agents x 12 h exactly (24 half
    hours); card calls (no redials) see the very same arrivals, so offered is unchanged to
    the contact; the base's numbers are those of `simulate` with the same seed; FTE is paid
    hours x 7 days / 37.5 h for a one-day horizon."""
    table = _compare_json(capsys, "--variant", "fewer: agent_groups.card_specialists.staffing-=2")
    assert list(dict.fromkeys(table.variant)) == ["base", "fewer"]
    hours = _row(table, "fewer", "card_specialists", "paid_hours")
    assert hours["diff"] == pytest.approx(-24.0)
    assert _row(table, "fewer", "cards", "offered")["diff"] == 0
    assert _row(table, "fewer", "cards", "offered")["diff_ci_half_width"] == 0
    fte = _row(table, "fewer", "card_specialists", "fte")
    assert fte["mean"] == pytest.approx(hours["mean"] * 7 / 37.5)
    assert fte["diff"] == pytest.approx(-24.0 * 7 / 37.5)
    scenario = Scenario.from_yaml(DEFAULT)
    alone = simulate(scenario, 4, scenario.run.seed)
    sl = _row(table, "base", "cards", "service_level")
    assert sl["mean"] == pytest.approx(alone.kpi("cards", "service_level"))


def test_compare_paired_ci_is_the_ci_of_the_per_replication_differences(capsys) -> None:
    """The Δ CI is that of the replication-by-replication differences (worked out here from
    the two results), and with common random numbers it is narrower than the two CIs
    side by side would suggest."""
    table = _compare_json(capsys, "--variant", "fewer: agent_groups.card_specialists.staffing-=2")
    scenario = Scenario.from_yaml(DEFAULT)
    fewer = scenario.with_changes(
        {
            "agent_groups.card_specialists.staffing": [
                max(v - 2, 0) for v in scenario.agent_groups["card_specialists"].staffing
            ]
        }
    )
    a = simulate(scenario, 4, scenario.run.seed).per_replication
    b = simulate(fewer, 4, scenario.run.seed).per_replication

    def values(rows: pd.DataFrame) -> pd.Series:
        return rows[(rows.entity == "cards") & (rows.kpi == "service_level")].set_index(
            "replication"
        )["value"]

    diffs = values(b) - values(a)
    from scipy import stats

    half = stats.t.ppf(0.975, len(diffs) - 1) * diffs.std(ddof=1) / len(diffs) ** 0.5
    row = _row(table, "fewer", "cards", "service_level")
    assert row["diff"] == pytest.approx(diffs.mean())
    assert row["diff_ci_half_width"] == pytest.approx(half)
    base_half = _row(table, "base", "cards", "service_level")["ci_half_width"]
    assert row["diff_ci_half_width"] < (base_half**2 + row["ci_half_width"] ** 2) ** 0.5


def test_compare_table_and_csv(capsys) -> None:
    args = ["compare", DEFAULT, "-n", "3", "--variant", "busier: channels.*.arrivals.scale*=1.1"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "busier: channels.*.arrivals.scale x1.1" in out
    assert "FTE = paid hours per week / 37.5 h" in out
    header = next(line for line in out.splitlines() if "Δ busier" in line)
    assert header.split() == ["base", "busier", "Δ", "busier"]
    assert any(line.startswith("fte ") for line in out.splitlines())
    assert main([*args, "--format", "csv", "--full-time-hours", "40"]) == 0
    frame = pd.read_csv(io.StringIO(capsys.readouterr().out))
    hours = frame[(frame.kpi == "paid_hours") & (frame.entity == "all")]["mean"].to_numpy()
    fte = frame[(frame.kpi == "fte") & (frame.entity == "all")]["mean"].to_numpy()
    assert fte == pytest.approx(hours * 7 / 40)


def test_compare_on_a_week_divides_paid_hours_by_one_week(capsys) -> None:
    assert Scenario.from_yaml(WEEK).horizon.days == 7
    assert main(["compare", WEEK, "-n", "2", "--format", "json", "--variant", "same:"]) == 0
    table = pd.DataFrame(json.loads(capsys.readouterr().out))
    hours = _row(table, "base", "all", "paid_hours")["mean"]
    assert _row(table, "base", "all", "fte")["mean"] == pytest.approx(hours / 37.5)
    # an unchanged variant differs by exactly nothing
    same = table[table.variant == "same"]
    assert (same["diff"].fillna(0) == 0).all()


def test_compare_with_a_plan_compares_variants_of_the_planned_scenario(
    tmp_path: Path, capsys
) -> None:
    """``--plan`` staffs the base with a plan file, as ``simulate --plan`` does: the base is
    ``simulate()`` of the planned scenario with that seed, and a variant edits the plan's
    staffing, not the file's. The overall paid hours and cost of a plan do not vary by
    replication, so their differences are exact (a paired CI of 0, not missing)."""
    from simulator.plan import apply_plan_file, plan_from_scenario

    scenario = Scenario.from_yaml(DEFAULT)
    more = scenario.with_changes(
        {
            "agent_groups.card_specialists.staffing": [
                v + 1 for v in scenario.agent_groups["card_specialists"].staffing
            ]
        }
    )
    plan = tmp_path / "plan.yaml"
    plan.write_text(plan_from_scenario(more).to_yaml(scenario), encoding="utf-8")
    table = _compare_json(
        capsys, "--plan", str(plan), "--variant", "fewer: agent_groups.card_specialists.staffing-=1"
    )
    alone = simulate(apply_plan_file(scenario, plan), 4, scenario.run.seed)
    sl = _row(table, "base", "cards", "service_level")["mean"]
    assert sl == pytest.approx(alone.kpi("cards", "service_level"))

    def paid(result) -> float:
        g = result.groups
        return float(g[(g.group == "card_specialists") & (g.kpi == "paid_hours")]["mean"].iloc[0])

    # one more specialist in each of the 24 half hours in the plan, one fewer in the variant
    hours = scenario.horizon.interval_s / 3600 * scenario.horizon.intervals_per_day
    base_hours = _row(table, "base", "card_specialists", "paid_hours")["mean"]
    assert base_hours == pytest.approx(paid(alone))
    assert base_hours == pytest.approx(paid(simulate(scenario, 2, 1)) + hours)
    assert _row(table, "fewer", "card_specialists", "paid_hours")["diff"] == pytest.approx(-hours)
    for kpi in ("paid_hours", "cost"):
        assert _row(table, "fewer", "all", kpi)["diff_ci_half_width"] == 0
    assert main(["compare", DEFAULT, "--plan", str(tmp_path / "none.yaml"), "--variant", "a:"]) == 2
    assert "none.yaml" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "--variant: give at least one"),
        (["--variant", "no colon=1"], '--variant: expected "NAME: PATH=VALUE'),
        (["--variant", "a: x.y=1", "--variant", "a: x.y=2"], "--variant: names must differ"),
        (["--variant", "base: run.seed=3"], "--variant: names must differ"),
        (
            ["--variant", "a: agent_groups.generalist.staffing-=1"],
            "--variant 'a': agent_groups.generalist.staffing: unknown path",
        ),
        (
            ["--variant", "a: channels.cards.targets.service_level=2"],
            "--variant 'a': channels.cards.targets.service_level:",
        ),
        (["--variant", "a:", "-n", "1"], "--replications: must be >= 2"),
        (["--variant", "a:", "--full-time-hours", "0"], "--full-time-hours: must be in (0, 168]"),
    ],
)
def test_compare_bad_input_is_one_error_line(args, message, capsys) -> None:
    assert main(["compare", DEFAULT, *args]) == 2
    err = capsys.readouterr().err
    assert f"staffsim compare: error: {message}" in err, err
    assert "Traceback" not in err


def test_simulate_reports_fte_beside_paid_hours(capsys) -> None:
    assert main(["simulate", DEFAULT, "-n", "2", "--full-time-hours", "40"]) == 0
    out = capsys.readouterr().out
    scenario = Scenario.from_yaml(DEFAULT)
    hours = simulate(scenario, 2, scenario.run.seed).overall.set_index("kpi")["mean"]["paid_hours"]
    assert f"FTE {hours * 7 / 40:,.1f} = paid hours per week / 40 h" in out
    assert any(line.startswith("fte ") for line in out.splitlines())
