"""Back-check: does the fitted model reproduce the centre's own recorded service?

The planner's proof. The last week of the history (its last 7 dates) is simulated with what
*happened* that week — each day's recorded volume (no day multiplier: the day's volume is
known) and the agents of the ``agents`` column, one group per channel serving only that
channel — and with what was *fitted*: the intraday profile of volumes, handle-time means per
weekday and interval, their shape, patience, channel kinds, routing.

Why the day's total and not each interval's recorded count: the engine draws Poisson arrivals
around its volumes, so recorded counts as volumes would add a second round of Poisson noise
to what already happened — more variable load, lower simulated service (2-4 points of service
level on the test centre). Conditioning on the day's total and letting the model draw the
intervals is unbiased when the model is right.
Its simulated service level, average speed of answer and abandonment (for email: the share
answered within the promise and the mean response time) are set beside the figures the
export recorded, per channel and per day, with the simulation's 95% confidence interval.

Recorded figures, from the export's columns (sums over the week's rows):

* service level: ``answered_within_target`` over ``offered`` (or over ``answered``, as the
  scenario's ``run.service_level_definition`` says; the short-abandon definition needs a
  column exports lack and uses ``offered``), with the export's threshold taken to be the
  channel's ``targets.within_seconds`` (20 s when it has none) — say so if yours differs;
* ASA: ``asa_seconds`` weighted by ``answered``; abandonment: ``abandoned`` / ``offered``;
* email: ``answered_within_target`` / ``answered`` (within the promise) and ``asa_seconds``
  (the response time).

Assumptions said in the notes: agents counted per channel serve only it (a multi-skilled
agent counted on two queues is two agents here); ``agents`` is the headcount *available*
(after shrinkage), as ACD exports report logged-in agents. Email: the simulated week ends
with the emails of its last evening and closed days still in the backlog; they are left out
of its promise share and response time, while the export may already count them answered
the week after — expect the simulated response time to be lower by that end effect. Per
day, the simulation files an email arriving at night under the next opening interval, the
export under the interval it arrived in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simulator.channels import KINDS
from simulator.horizon import WEEKDAYS, Horizon
from simulator.scenario import Scenario

if TYPE_CHECKING:
    from simulator.history.fit import FitResult

DEFAULT_WITHIN_S = 20
"""Service-level threshold (s) assumed for a channel without ``targets.within_seconds``."""


@dataclass(frozen=True)
class BackCheck:
    """Recorded against simulated service for the history's last week.

    ``table``: one row per channel and KPI (``service_level``, ``asa_s``, ``abandon_rate``;
    email ``within_promise``, ``response_mean_s``): ``recorded``, ``simulated`` (mean over
    replications), ``ci_half_width`` (95%), ``difference`` (simulated − recorded).
    ``days``: one row per channel and date with the same KPIs recorded and simulated.
    Shares are fractions, times seconds."""

    first: dt.date
    last: dt.date
    scenario: Scenario
    replications: int
    seed: int
    table: pd.DataFrame = field(repr=False)
    days: pd.DataFrame = field(repr=False)
    notes: tuple[str, ...] = ()


def back_check_problem(fit: FitResult) -> str | None:
    """Why the history cannot be back-checked (None when it can)."""
    h = fit.history
    if "agents" not in h.measures:
        return "back-check: the history has no agents column"
    if len(h.dates) < 7:
        return "back-check: the history is shorter than a week"
    week = slice(len(h.dates) - 7, None)
    bare = [c for c in h.channels if np.isnan(h.data[c]["agents"][week]).all()]
    if bare:
        return f"back-check: no agents recorded in the last week for {', '.join(bare)}"
    return None


def _week_rows(fit: FitResult, channel: str, measure: str, dates: slice) -> np.ndarray:
    """(7, scenario grid intervals) of ``measure`` for the week, NaN → 0."""
    h = fit.history
    grid_open = fit.scenario.horizon.open_s
    a = (grid_open - h.grid_open_s) // h.interval_s
    b = a + fit.scenario.horizon.intervals_per_day
    return np.nan_to_num(h.data[channel][measure][dates][:, a:b])


def back_check_scenario(fit: FitResult) -> tuple[Scenario, list[str]]:
    """The fitted scenario moved onto the history's last week, with its recorded volumes and
    agents (see the module docstring), and the notes on what was assumed."""
    h = fit.history
    dates = slice(len(h.dates) - 7, None)
    first = h.dates[-7]
    fitted = fit.scenario
    data: dict[str, Any] = fitted.to_dict()
    data["name"] = f"back-check {first} to {h.dates[-1]}"
    data["horizon"] = {**data["horizon"], "start_date": first.isoformat(), "days": 7}
    shift = (first.weekday() - fitted.horizon.weekday(0)) % 7  # fitted row of day 0's weekday
    open_mask = Horizon.model_validate(data["horizon"]).open_mask()  # hours on the new dates
    notes: list[str] = []
    groups: dict[str, Any] = {}
    for c, ch in fitted.channels.items():
        channel = data["channels"][c]
        offered = np.where(open_mask, _week_rows(fit, c, "offered", dates), 0)
        profile = np.roll(np.asarray(ch.arrivals.volumes, dtype=float), -shift, axis=0)
        planned = profile.sum(axis=1, keepdims=True)
        scale = np.divide(
            offered.sum(axis=1, keepdims=True),
            planned,
            out=np.ones_like(planned),
            where=planned > 0,
        )
        arrivals: dict[str, Any] = {"volumes": np.round(profile * scale, 3).tolist()}
        if KINDS[ch.kind].deferred:
            grid = fit.history.data[c]["offered"][dates]
            total = np.nansum(grid, axis=1) - offered.sum(axis=1)
            if total.sum() > 0:
                arrivals["closed_hours_volume"] = round(float(total.mean()), 3)
        channel["arrivals"] = arrivals
        means = ch.handle_time_means_seconds
        if means is not None and np.ndim(means) == 2:  # per day: rows follow the weekdays
            rows = np.asarray(means, dtype=float)
            channel["handle_time_means_seconds"] = np.roll(rows, -shift, axis=0).tolist()
        agents = _week_rows(fit, c, "agents", dates)
        if not np.allclose(agents, np.round(agents)):
            notes.append(f"{c}: agents per interval rounded to whole agents")
        staffing = np.where(open_mask, np.round(agents), 0).astype(int)
        groups[c] = {"cost_per_hour": 1, "skills": [c], "staffing": staffing.tolist()}
    data["agent_groups"] = groups
    data.pop("shift_types", None)
    routing = data.get("routing")
    if isinstance(routing, dict):
        routing.pop("email_reserve_agents", None)  # groups here serve one channel each
    notes.append(
        "back-check: one group per channel with the history's agents column (a multi-skilled "
        "agent counted on two queues counts twice); each day's recorded volume on the fitted "
        "intraday profile"
    )
    return Scenario.from_dict(data, source="back-check scenario"), notes


def _recorded(fit: FitResult, scenario: Scenario, channel: str, rows: Any) -> dict[str, float]:
    """The export's KPIs over the (date, interval) cells ``rows`` selects."""
    d = {m: np.nan_to_num(v[rows]) for m, v in fit.history.data[channel].items()}
    offered, answered = d["offered"].sum(), d["answered"].sum()
    within = d.get("answered_within_target")
    asa = d.get("asa_seconds")
    out = {"offered": float(offered)}
    ratio = lambda a, b: float(a / b) if b > 0 else float("nan")  # noqa: E731
    if KINDS[scenario.channels[channel].kind].deferred:
        out["within_promise"] = ratio(within.sum(), answered) if within is not None else np.nan
        out["response_mean_s"] = (
            ratio((asa * d["answered"]).sum(), answered) if asa is not None else np.nan
        )
        return out
    definition = scenario.run.service_level_definition
    base = answered if definition == "answered_within_over_answered" else offered
    out["service_level"] = ratio(within.sum(), base) if within is not None else np.nan
    out["asa_s"] = ratio((asa * d["answered"]).sum(), answered) if asa is not None else np.nan
    out["abandon_rate"] = ratio(d["abandoned"].sum(), offered)
    return out


def _simulated_days(result: Any, scenario: Scenario, channel: str) -> dict[int, dict[str, float]]:
    """Per day: the KPIs from the per-interval means, weighted by offered (answered for
    ASA) — the day's ratio of the replications' mean counts."""
    iv = result.intervals[result.intervals.channel == channel]
    wide = iv.pivot_table(index=["day", "interval"], columns="kpi", values="mean").fillna(0)
    out: dict[int, dict[str, float]] = {}
    deferred = KINDS[scenario.channels[channel].kind].deferred
    for day, part in wide.groupby(level="day"):
        offered = part["offered"].sum()
        answered = part.get("answered", pd.Series(0.0)).sum()
        row = {"offered": float(offered)}
        asa = float((part["asa_s"] * part["answered"]).sum() / answered) if answered else np.nan
        if deferred:
            row["response_mean_s"] = asa
        else:
            row["service_level"] = (
                float((part["service_level"] * part["offered"]).sum() / offered)
                if offered
                else np.nan
            )
            row["asa_s"] = asa
            row["abandon_rate"] = (
                float((part["abandon_rate"] * part["offered"]).sum() / offered)
                if offered
                else np.nan
            )
        out[int(day)] = row
    return out


def back_check(
    fit: FitResult, *, replications: int = 10, seed: int = 1, workers: int = 1
) -> BackCheck:
    """Simulate the history's last week (see the module docstring) ``replications`` times
    from ``seed`` and set the result beside the recorded figures. Raises
    :class:`~simulator.errors.InputError` when :func:`back_check_problem` says why not."""
    from simulator.errors import InputError
    from simulator.runner import simulate

    problem = back_check_problem(fit)
    if problem is not None:
        raise InputError(problem)
    scenario, notes = back_check_scenario(fit)
    result = simulate(scenario, replications=replications, seed=seed, workers=workers)
    h = fit.history
    week = slice(len(h.dates) - 7, None)
    channels = result.channels.set_index(["channel", "kpi"])
    rows, day_rows = [], []
    for c in scenario.channels:
        recorded = _recorded(fit, scenario, c, (week, slice(None)))
        for kpi, value in recorded.items():
            if kpi == "offered":
                continue
            sim = channels.loc[(c, kpi)] if (c, kpi) in channels.index else None
            simulated = float(sim["mean"]) if sim is not None else np.nan
            rows.append(
                {
                    "channel": c,
                    "kpi": kpi,
                    "recorded": value,
                    "simulated": simulated,
                    "ci_half_width": float(sim["ci_half_width"]) if sim is not None else np.nan,
                    "difference": simulated - value,
                }
            )
        if KINDS[scenario.channels[c].kind].deferred and (c, "backlog_at_end") in channels.index:
            left = float(channels.loc[(c, "backlog_at_end"), "mean"])
            notes.append(
                f"back-check: {c}: the simulated week ends with {left:,.0f} emails still in the "
                "backlog (arrived late in the week); its share within the promise and response "
                "time cover the emails answered within the week, as an export filed by arrival "
                "does only after the following week"
            )
        simulated_days = _simulated_days(result, scenario, c)
        for d in range(7):
            date = h.dates[len(h.dates) - 7 + d]
            if scenario.horizon.day_span(d) is None:
                continue
            got = _recorded(fit, scenario, c, (len(h.dates) - 7 + d, slice(None)))
            sim_day = simulated_days.get(d, {})
            row: dict[str, Any] = {"channel": c, "date": date, "weekday": WEEKDAYS[date.weekday()]}
            for kpi, value in got.items():
                row[f"{kpi}_recorded"] = value
                row[f"{kpi}_simulated"] = sim_day.get(kpi, np.nan)
            day_rows.append(row)
    return BackCheck(
        first=h.dates[-7],
        last=h.dates[-1],
        scenario=scenario,
        replications=replications,
        seed=seed,
        table=pd.DataFrame(rows),
        days=pd.DataFrame(day_rows),
        notes=tuple(notes),
    )


# ---- for people (CLI, app) ------------------------------------------------------------
_SHARES = ("service_level", "abandon_rate", "within_promise")


def _kpi_text(kpi: str, value: float) -> str:
    if value != value:  # NaN
        return "-"
    if kpi in _SHARES:
        return f"{value:.1%}"
    return f"{value:,.1f} s"


def readable(table: pd.DataFrame) -> pd.DataFrame:
    """The back-check per channel for people: shares in %, times in s, ± the 95% CI."""
    return pd.DataFrame(
        {
            "channel": table.channel,
            "kpi": table.kpi,
            "recorded": [_kpi_text(k, v) for k, v in zip(table.kpi, table.recorded, strict=True)],
            "simulated": [
                f"{_kpi_text(k, v)} ± {_kpi_text(k, h).removesuffix(' s')}"
                for k, v, h in zip(table.kpi, table.simulated, table.ci_half_width, strict=True)
            ],
            "difference": [
                ("+" if d >= 0 else "") + _kpi_text(k, d) if d == d else "-"
                for k, d in zip(table.kpi, table.difference, strict=True)
            ],
        }
    )


def readable_days(days: pd.DataFrame) -> pd.DataFrame:
    """The back-check per channel and day: recorded / simulated side by side."""
    out = days[["channel", "date", "weekday"]].copy()
    kpis = [c.removesuffix("_recorded") for c in days.columns if c.endswith("_recorded")]
    for kpi in kpis:
        if kpi == "offered":
            out["offered"] = [
                f"{r:,.0f} / {s:,.0f}"
                for r, s in zip(days[f"{kpi}_recorded"], days[f"{kpi}_simulated"], strict=True)
            ]
            continue
        out[kpi] = [
            f"{_kpi_text(kpi, r)} / {_kpi_text(kpi, s)}"
            for r, s in zip(days[f"{kpi}_recorded"], days[f"{kpi}_simulated"], strict=True)
        ]
    return out.fillna("-")


__all__ = [
    "BackCheck",
    "back_check",
    "back_check_problem",
    "back_check_scenario",
    "readable",
    "readable_days",
]
