"""Outbound lists and blending (the threshold dialer) against exact values.

* the blended team against its continuous-time Markov chain solved numerically
  (:func:`simulator.queueing.blending.threshold_dialer_kpis`, which shares no code with the
  engine): inbound P(wait), abandonment and queue length, outbound connects and attempts
  per hour, outbound and total occupancy — each within the simulation's 95% confidence
  interval widened to a Bonferroni interval over the test's checks, fixed seeds;
* retries: with no inbound work, a record is finished with a connect with probability
  ``1 − (1 − p)^m`` after at most ``m`` attempts;
* common random numbers: inbound customers are the same with and without a list, and a
  list with no records changes no inbound number (bit for bit);
* bad input names the field.
"""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import (
    assert_blend_matches_chain,
    blended_scenario,
    bonferroni_k,
    exponential,
    mmc_scenario,
)

from simulator.errors import InputError
from simulator.queueing.blending import threshold_dialer_kpis
from simulator.queueing.erlang import erlang_a_kpis
from simulator.runner import simulate
from simulator.scenario import Scenario

AHT_S = 180.0


# ---------------------------------------------------------------------------- the chain
def test_chain_without_outbound_work_is_erlang_a() -> None:
    """Attempts that take no time and never connect leave the inbound queue M/M/c+M."""
    chain = threshold_dialer_kpis(6, 100.0, AHT_S, 300.0, 0, 0.0, 240.0, 1e-6)
    exact = erlang_a_kpis(100.0, AHT_S, 6, 300.0)
    assert chain.p_abandon == pytest.approx(float(exact.p_abandon), rel=1e-6)
    assert chain.mean_queue_length == pytest.approx(float(exact.mean_queue_length), rel=1e-6)
    assert chain.connects_per_hour < 1e-5
    assert abs(chain.tail_mass) < 1e-12


CASES = [  # agents, calls per hour, patience, threshold
    (6, 100.0, 300.0, 1),
    (8, 140.0, 240.0, 2),
]


@pytest.mark.parametrize("case", CASES, ids=["c6-T1", "c8-T2"])
def test_threshold_dialer_matches_its_markov_chain(case) -> None:
    agents, rate, patience, threshold = case
    days, warmup_h, reps = 3, 2, 20
    base = mmc_scenario(rate, AHT_S, agents, days=days, warmup_minutes=60 * warmup_h,
                        patience_s=patience)  # fmt: skip
    result = simulate(blended_scenario(base, dialer={"threshold": threshold}), reps, 31)
    exact = threshold_dialer_kpis(agents, rate, AHT_S, patience, threshold, 0.3, 240.0, 30.0)
    hours = days * 24 - warmup_h
    checks = [
        ("calls", "p_wait", exact.p_wait, 1.0),
        ("calls", "abandon_rate", exact.p_abandon, 1.0),
        ("calls", "mean_queue_length", exact.mean_queue_length, 1.0),
        ("collections", "connects_per_hour", exact.connects_per_hour, 1.0),
        ("collections", "attempts", exact.attempts_per_hour, hours),
        ("collections", "outbound_occupancy", exact.outbound_occupancy, 1.0),
    ]
    assert_blend_matches_chain(result, checks, exact.occupancy, reps)


def test_blending_costs_inbound_service_and_a_higher_threshold_costs_less() -> None:
    """The chain's ordering, which the simulation must show too: more reserve, fewer
    connects and less inbound waiting (and no list at all waits least)."""
    kpis = [threshold_dialer_kpis(6, 100.0, AHT_S, 300.0, t, 0.3, 240.0, 30.0) for t in (0, 2, 4)]
    assert kpis[0].p_wait > kpis[1].p_wait > kpis[2].p_wait
    assert kpis[0].connects_per_hour > kpis[1].connects_per_hour > kpis[2].connects_per_hour
    base = mmc_scenario(100.0, AHT_S, 6, days=2, warmup_minutes=60, patience_s=300.0)
    plain = simulate(base, 6, 3)
    low, high = (simulate(blended_scenario(base, dialer={"threshold": t}), 6, 3) for t in (0, 4))
    assert low.kpi("calls", "p_wait") > high.kpi("calls", "p_wait") > plain.kpi("calls", "p_wait")
    assert low.outbound_kpi("collections", "connects") > high.outbound_kpi(
        "collections", "connects"
    )


# ---------------------------------------------------------------------------- the list
def test_retries_finish_records_as_the_geometric_law_says() -> None:
    """No inbound work (no call arrives): every record
    is dialled until it connects or has had ``m`` attempts; connects per record
    ``1 − (1 − p)^m``, records out of attempts ``(1 − p)^m``."""
    base = mmc_scenario(0.0, AHT_S, 10, days=1, warmup_minutes=0)
    p, m, records = 0.35, 3, 300
    scenario = blended_scenario(
        base,
        records_per_day=records,
        right_party_connect=p,
        max_attempts=m,
        retry_delay_minutes=30,
        dialer={"threshold": 0},
    )
    result = simulate(scenario, 20, 5)
    assert result.outbound_kpi("collections", "list_completion") == 1.0
    assert result.outbound_kpi("collections", "records_left_at_end") == 0.0
    k = bonferroni_k(20, 2)
    for kpi, exact in (
        ("connects", records * (1 - (1 - p) ** m)),
        ("right_party_rate", p),
    ):
        mean = result.outbound_kpi("collections", kpi)
        half = result.outbound_half_width("collections", kpi)
        assert abs(mean - exact) <= k * half, f"{kpi}: {mean} vs {exact}"


def test_a_list_without_records_changes_no_inbound_number() -> None:
    base = Scenario.from_yaml("scenarios/blended_collections.yaml")
    data = base.model_dump(mode="json", exclude_none=True)
    data.pop("outbound")
    plain = Scenario.from_dict(data)
    empty = base.with_changes({"outbound.overdue.records_per_day": 0})
    a, b = simulate(plain, 3, 9), simulate(empty, 3, 9)
    kept = b.per_replication[~b.per_replication.entity.eq("overdue")].reset_index(drop=True)
    assert kept.equals(a.per_replication)
    assert a.intervals.equals(b.intervals)
    assert a.group_intervals.equals(b.group_intervals)
    assert b.outbound_kpi("overdue", "attempts") == 0


def test_inbound_customers_are_the_same_with_and_without_the_list() -> None:
    """Common random numbers: the list draws from streams of its own, so offered calls
    (first attempts) are identical; only service differs."""
    base = Scenario.from_yaml("scenarios/blended_collections.yaml")
    no_redial = base.with_changes({"channels.accounts.redial": None})
    data = no_redial.model_dump(mode="json", exclude_none=True)
    data.pop("outbound")
    a, b = simulate(Scenario.from_dict(data), 3, 4), simulate(no_redial, 3, 4)
    offered = a.intervals[a.intervals.kpi == "offered"]["mean"].to_numpy()
    assert (offered == b.intervals[b.intervals.kpi == "offered"]["mean"].to_numpy()).all()
    assert b.kpi("accounts", "p_wait") > a.kpi("accounts", "p_wait")


def test_the_bundled_blended_scenario_reports_every_outbound_kpi() -> None:
    result = simulate("scenarios/blended_collections.yaml", 2, 1)
    assert set(result.outbound.kpi) >= {"attempts", "connects", "connects_per_hour",
                                        "list_completion", "outbound_occupancy"}  # fmt: skip
    per = result.outbound_intervals
    before = per[(per.kpi == "attempts") & (per.start < "09:00")]["mean"]
    assert (before == 0).all()  # dialing hours start at 09:00
    assert "outbound" in result.to_dict()


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"outbound.overdue.groups": ["nobody"]}, "outbound.overdue.groups: unknown agent group"),
        ({"outbound.overdue.hours": {"open": "07:00", "close": "12:00"}}, "outbound.overdue.hours"),
        ({"outbound.overdue.right_party_connect": 1.5}, "right_party_connect"),
        ({"outbound.overdue.dialer": {"policy": "preview"}}, "outbound.overdue.dialer.policy"),
    ],
)
def test_bad_outbound_input_names_the_field(change: dict, message: str) -> None:
    base = Scenario.from_yaml("scenarios/blended_collections.yaml")
    with pytest.raises(InputError, match=message.replace(".", r"\.")):
        base.with_changes(change)


# ---------------------------------------------------------------------------- the app
@pytest.fixture
def blended_app():
    pytest.importorskip("streamlit")
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    root = Path(__file__).resolve().parent.parent
    app = AppTest.from_file(str(root / "app.py"), default_timeout=600)
    app.session_state["scenario_yaml"] = (
        root / "scenarios" / "blended_collections.yaml"
    ).read_text()
    app.session_state["scenario_version"] = 1
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_app_edits_the_outbound_list_and_shows_its_cards(blended_app) -> None:
    app = blended_app
    assert app.subheader[0].value == "blended collections"
    assert any("threshold dialer" in m.value for m in app.markdown)
    apply = next(b for b in app.button if b.label == "Apply outbound changes")
    apply.click().run()
    assert not app.exception and not app.error
    app.switch_page("app_pages/simulate.py").run()
    app.number_input[0].set_value(2)
    next(b for b in app.button if b.label == "Run simulation").click().run()
    assert not app.exception, [e.value for e in app.exception]
    labels = {m.label for m in app.metric}
    assert {"Connects", "Connects per dialing hour", "List completion"} <= labels


def test_a_list_too_long_to_simulate_is_refused_naming_the_field() -> None:
    base = Scenario.from_yaml("scenarios/blended_collections.yaml")
    with pytest.raises(InputError, match=r"outbound\.overdue\.records_per_day: .* at most"):
        base.with_changes({"outbound.overdue.records_per_day": 1_000_000})


def test_the_app_form_turns_edits_into_scenario_paths() -> None:
    pytest.importorskip("streamlit")
    import pandas as pd

    from app_pages._outbound import _row, changes

    base = Scenario.from_yaml("scenarios/blended_collections.yaml")
    old = pd.DataFrame([_row(n, s, base) for n, s in base.outbound.items()])
    new = old.copy()
    new.loc[0, "threshold (idle agents kept)"] = 4
    new.loc[0, "right-party connect (%)"] = 25.0
    new.loc[0, "dial until"] = "16:00"
    edits = changes(old, new)
    assert edits == {
        "outbound.overdue.dialer.threshold": 4,
        "outbound.overdue.right_party_connect": 0.25,
        "outbound.overdue.hours": {"open": "09:00", "close": "16:00"},
    }
    edited = base.with_changes(edits)
    assert edited.outbound["overdue"].dialer.threshold == 4


def test_shifts_breaks_and_two_lists_keep_the_books_straight() -> None:
    """Agents leaving (shift ends, breaks) while on an outbound call finish it and then go;
    two lists share the juniors (the first in file order wins). Occupancy never exceeds 1,
    nothing is dialled outside dialing hours, and inbound customers are unchanged."""
    base = Scenario.from_yaml("scenarios/telecom.yaml")
    spec = {
        "right_party_connect": 0.4,
        "handle_time": exponential(300),
        "failed_attempt_time": exponential(40),
        "groups": ["juniors"],
        "hours": {"open": "10:00", "close": "19:00"},
    }
    data = base.model_dump(mode="json", exclude_none=True)
    data["outbound"] = {
        "renewals": spec | {"records_per_day": 150, "dialer": {"threshold": 3}},
        "surveys": spec | {"records_per_day": 400, "max_attempts": 1},
    }
    blended = Scenario.from_dict(data)
    a, b = simulate(base, 2, 8), simulate(blended, 2, 8)
    assert b.outbound_kpi("renewals", "attempts") > 0 and b.outbound_kpi("surveys", "attempts") > 0
    gi = b.group_intervals
    assert (gi[gi.kpi == "occupancy"]["mean"].dropna() <= 1 + 1e-9).all()
    per = b.outbound_intervals
    outside = per[(per.kpi == "attempts") & ((per.start < "10:00") | (per.start >= "19:00"))]
    assert (outside["mean"] == 0).all()

    def fresh(result) -> pd.DataFrame:  # first contacts: offered less redials and repeats
        table = result.per_replication.pivot_table(
            index=["entity", "replication"], columns="kpi", values="value"
        )
        table = table.loc[list(base.channels)].fillna(0.0)
        return table["offered"] - table["redials"] - table["repeats"]

    assert fresh(a).equals(fresh(b))


def test_the_simulate_page_charts_each_lists_connects_per_interval(
    blended_app, monkeypatch
) -> None:
    # The per-interval connects drawn add up to the list's connects over the horizon (the
    # chart shows when the list is worked, and loses none of it).
    from app_pages import _charts
    from simulator import simulate

    drawn: list[tuple[str, str, pd.DataFrame]] = []
    original = _charts.per_interval

    def spy(frame, kpi, entity, *args, **kwargs):
        drawn.append((kpi, entity, frame))
        return original(frame, kpi, entity, *args, **kwargs)

    monkeypatch.setattr(_charts, "per_interval", spy)
    app = blended_app
    app.switch_page("app_pages/simulate.py").run()
    app.number_input[0].set_value(2)
    next(b for b in app.button if b.label == "Run simulation").click().run()
    assert not app.exception, [e.value for e in app.exception]
    charts = [f for kpi, entity, f in drawn if (kpi, entity) == ("connects", "outbound")]
    assert charts, [(k, e) for k, e, _ in drawn]
    scenario = Scenario.from_yaml("scenarios/blended_collections.yaml")
    result = simulate(scenario, 2, scenario.run.seed)
    total = result.outbound.set_index(["outbound", "kpi"]).loc[("overdue", "connects"), "mean"]
    frame = charts[-1]
    shown = frame[frame.kpi == "connects"]["mean"].sum()
    assert shown == pytest.approx(total, rel=1e-9)


def test_long_connects_are_filed_in_the_intervals_they_last() -> None:
    """Ten collectors, no inbound work, 30-minute intervals, connects of 50 minutes on
    average: an agent's time on the list is filed in the intervals it passes in, like its
    busy time. Filed under the interval the attempt started in (as before), the first
    half-hour held about 1.6 hours of talk per agent-hour present and the last ones none:
    per-interval outbound occupancy ran from 160% to 0%. Each interval's share now stays
    within [0, 1], the last half-hour is busy as well, and the horizon's agent-hours are
    the per-interval ones added up (nothing lost past the close)."""
    base = mmc_scenario(0.0, AHT_S, 10, days=1, warmup_minutes=0, interval_minutes=30)
    scenario = blended_scenario(
        base, right_party_connect=1.0, handle_time=exponential(3000), dialer={"threshold": 0}
    )
    result = simulate(scenario, 3, 9)
    table = result.outbound_intervals
    occupancy = table[table.kpi == "outbound_occupancy"]["mean"].to_numpy()
    assert occupancy.max() <= 1 + 1e-9
    assert occupancy[:-1].min() > 0.9  # everybody talks all day, the last half-hour too
    assert occupancy[-1] > 0.9
    hours = result.outbound_kpi("collections", "outbound_agent_hours")
    assert hours == pytest.approx(10 * 24, rel=0.02)  # ten agents for 24 hours
