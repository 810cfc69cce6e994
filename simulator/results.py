"""Simulation results: KPIs per channel, interval, agent group and overall, with 95% CIs.

Each KPI is computed *within* each replication (e.g. service level of replication r), then
summarised over replications as the mean and the 95% confidence-interval half-width
``t(0.975, n−1) · s / √n`` (independent replications, Student t). Per-interval KPIs skip
replications where the KPI is undefined (no contact offered in that interval).

Tables are tidy pandas DataFrames (one row per entity × KPI); :meth:`SimulationResult.to_json`
gives the same numbers under the stable schema documented in ``docs/results-format.md``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from simulator.clock import clock_label, interval_label
from simulator.model import CompiledModel
from simulator.stats import ReplicationStats, histogram_quantile, response_bin_edges
from simulator.targets import KpiSummary, Target, check_table, verdicts

SCHEMA_VERSION = 1

CHANNEL_KPIS: dict[str, str] = {
    "offered": "contacts offered (attempts, redials included)",
    "answered": "contacts answered",
    "abandoned": "contacts abandoned while waiting",
    "abandon_rate": "abandoned / offered",
    "service_level": "share answered within T (definition in the result header)",
    "p_wait": "share of offered contacts not answered at once (waited, abandoned or left)",
    "asa_s": "average speed of answer of answered contacts, seconds",
    "mean_wait_all_s": "mean wait of answered and abandoned contacts (Erlang A's mean "
    "wait), seconds",
    "wait_p50_s": "median wait of answered contacts, seconds",
    "wait_p90_s": "90th percentile wait of answered contacts, seconds",
    "wait_p95_s": "95th percentile wait of answered contacts, seconds",
    "aht_s": "average handle time of answered contacts, seconds",
    "resolved_at_contact": "share of handled contacts that resolved the issue",
    "fcr": "first-contact resolution: issues resolved at their first contact / first "
    "contacts handled (issues that came in on this channel)",
    "repeat_rate": "offered contacts that were repeats or escalations / offered",
    "contacts_per_issue": "handled contacts per issue whose first contact was handled",
    "unresolved_issue_share": "issues not resolved within the horizon / new issues",
    "redials": "offered attempts that were redials",
    "repeats": "offered contacts that were repeats of unresolved issues or escalations",
    "unanswered_at_close": "contacts still waiting at closing and not served",
    "waiting_at_end": "contacts still waiting when the simulation ended",
    "mean_queue_length": "time-average number waiting during opening hours",
    "within_promise": "email: answered by the promise / emails due within the horizon",
    "response_mean_s": "email: mean time from arrival to answer (completion), seconds",
    "response_p90_s": "email: 90th percentile response time, seconds",
    "backlog_at_end": "email: emails not yet answered when the horizon ends",
    "avg_concurrency": "chat: average chats held by an agent while chatting",
}
_NOT_FOR_KIND = {
    # Emails never abandon and have no seconds-scale service level: their promise KPIs
    # replace these.
    "email": (
        "abandoned",
        "abandon_rate",
        "service_level",
        "redials",
        "unanswered_at_close",
        "p_wait",
        "mean_wait_all_s",
    ),
}
_KIND_KPIS = {
    "email": {"within_promise", "response_mean_s", "response_p90_s", "backlog_at_end"},
    "chat": {"avg_concurrency"},
}
INTERVAL_KPIS = (
    "offered",
    "answered",
    "abandoned",
    "abandon_rate",
    "service_level",
    "asa_s",
    "mean_queue_length",
    "backlog",
)
GROUP_KPIS: dict[str, str] = {
    "occupancy": "busy time / time present (available agents); an agent holding any chat "
    "counts as busy",
    "agents_available": "time-average agents present and available",
    "handled": "contacts answered by the group",
    "paid_hours": "paid agent-hours (shrinkage included)",
    "cost": "paid hours x cost per hour",
}


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def summarise(values: np.ndarray) -> tuple[float, float, int]:
    """Mean, 95% CI half-width and count over replications, ignoring NaN."""
    mean, half, n = _summarise_columns(np.asarray(values, dtype=float).reshape(-1, 1))
    return float(mean[0]), float(half[0]), int(n[0])


def _summarise_columns(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectorised :func:`summarise` over the columns of a replications × k array."""
    values = np.asarray(values, dtype=float)
    valid = ~np.isnan(values)
    n = valid.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, np.nansum(values, axis=0) / np.maximum(n, 1), np.nan)
        dev = np.where(valid, values - mean, 0.0)
        var = (dev**2).sum(axis=0) / np.maximum(n - 1, 1)
        tcrit = np.where(n > 1, sps.t.ppf(0.975, np.maximum(n - 1, 1)), np.nan)
        half = tcrit * np.sqrt(var) / np.sqrt(np.maximum(n, 1))
    return mean, half, n


@dataclass
class SimulationResult:
    """KPIs of ``replications`` replications of one scenario (see module docstring).

    Tables (pandas, long/tidy format):

    * ``channels``: channel, kpi, mean, ci_half_width, ci_low, ci_high, n
    * ``intervals``: channel, day, interval, start, kpi, mean, ci_half_width, n, warmup
    * ``groups``: group, kpi, mean, ci_half_width, ci_low, ci_high, n
    * ``group_intervals``: group, day, interval, start, kpi, mean, ci_half_width, n, warmup
    * ``overall``: kpi, mean, ci_half_width, ci_low, ci_high, n
    * ``per_replication``: replication, entity (channel or group), kpi, value (the raw
      numbers behind the CIs)
    """

    scenario_name: str
    replications: int
    seed: int
    service_level_definition: str
    targets: dict[str, dict[str, Any]]
    channels: pd.DataFrame
    intervals: pd.DataFrame
    groups: pd.DataFrame
    group_intervals: pd.DataFrame
    overall: pd.DataFrame
    per_replication: pd.DataFrame
    wait_histograms: dict[str, np.ndarray] = field(repr=False)
    interrupted: bool = False
    kpi_summary: KpiSummary = field(default_factory=lambda: KpiSummary({}, {}), repr=False)
    target_list: tuple[Target, ...] = ()

    def verdicts(self, margin: float = 0.0) -> pd.DataFrame:
        """Every scenario target against this result, one row per target (the verdict the
        CLI prints and the app shows; see :func:`simulator.targets.verdicts`)."""
        return verdicts(self.kpi_summary, list(self.target_list), margin=margin)

    def target_instances(self, margin: float = 0.0) -> pd.DataFrame:
        """Every target instance (per interval for per-interval targets and floors)."""
        return check_table(self.kpi_summary, list(self.target_list), margin=margin)

    def _row(self, channel: str, kpi: str) -> pd.Series:
        rows = self.channels[(self.channels.channel == channel) & (self.channels.kpi == kpi)]
        if rows.empty:
            known = sorted(set(self.channels.kpi[self.channels.channel == channel]))
            if not known:
                raise KeyError(f"no channel {channel!r} (channels: {sorted(self.targets)})")
            raise KeyError(f"channel {channel!r} has no KPI {kpi!r} (it has: {', '.join(known)})")
        return rows.iloc[0]

    def kpi(self, channel: str, kpi: str) -> float:
        """Mean of one channel KPI (shortcut for scripts and tests)."""
        return float(self._row(channel, kpi)["mean"])

    def ci(self, channel: str, kpi: str) -> tuple[float, float]:
        """95% confidence interval (low, high) of one channel KPI."""
        row = self._row(channel, kpi)
        return float(row["ci_low"]), float(row["ci_high"])

    def summary(self) -> pd.DataFrame:
        """Channel × KPI table of ``mean ± half-width`` strings, for people."""
        table = self.channels.copy()
        table["value"] = [
            _fmt(m, h, k)
            for m, h, k in zip(table["mean"], table["ci_half_width"], table.kpi, strict=True)
        ]
        return (
            table.pivot(index="kpi", columns="channel", values="value")
            .fillna("")
            .reindex([k for k in CHANNEL_KPIS if k in set(table.kpi)])
        )

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON schema (``docs/results-format.md``), version ``SCHEMA_VERSION``."""

        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return json.loads(frame.to_json(orient="records"))

        return {
            "schema_version": SCHEMA_VERSION,
            "scenario": self.scenario_name,
            "replications": self.replications,
            "seed": self.seed,
            "service_level_definition": self.service_level_definition,
            "confidence_level": 0.95,
            "interrupted": self.interrupted,
            "targets": self.targets,
            "channels": records(self.channels),
            "groups": records(self.groups),
            "overall": records(self.overall),
            "intervals": records(self.intervals),
            "group_intervals": records(self.group_intervals),
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)


_PERCENT_KPIS = {
    "service_level",
    "abandon_rate",
    "fcr",
    "resolved_at_contact",
    "repeat_rate",
    "unresolved_issue_share",
    "within_promise",
    "occupancy",
}


BEYOND_RANGE: dict[str, str] = {
    "wait_p50_s": "> 24 h",
    "wait_p90_s": "> 24 h",
    "wait_p95_s": "> 24 h",
    "response_p90_s": "> 14 days",
}
"""How a percentile beyond its histogram's range (``inf`` in the tables, ``null`` in JSON) is
shown: waits are binned up to a day, email responses up to 14 days."""

UNDEFINED = "n/a"
"""How an undefined KPI (NaN: nothing to measure, e.g. no contact offered) is shown."""


def display_beyond_range(kpi: str, value: float) -> str | None:
    """``"> 24 h"`` for an infinite percentile (beyond the histogram), else None."""
    if math.isinf(value) and value > 0:
        return BEYOND_RANGE.get(kpi, "beyond range")
    return None


def _fmt(mean: float, half: float, kpi: str) -> str:
    if math.isnan(mean):
        return UNDEFINED
    beyond = display_beyond_range(kpi, mean)
    if beyond is not None:
        return beyond
    pct = kpi in _PERCENT_KPIS
    if pct:
        text = f"{mean:.1%}"
        return text if math.isnan(half) else f"{text} ± {half * 100:.1f}"
    digits = 1 if abs(mean) < 1000 else 0
    text = f"{mean:,.{digits}f}"
    return text if math.isnan(half) else f"{text} ± {half:,.{digits}f}"


def _service_level(ch: dict[str, np.ndarray], definition: str, axis_sum: bool) -> np.ndarray:
    def s(name: str) -> np.ndarray:
        return ch[name].sum(axis=-1) if axis_sum else ch[name]

    if definition == "answered_within_over_answered":
        return _ratio(s("answered_within"), s("answered"))
    if definition == "answered_within_over_offered_minus_short_abandons":
        return _ratio(s("answered_within"), s("offered") - s("abandoned_within"))
    return _ratio(s("answered_within"), s("offered"))


def aggregate(
    model: CompiledModel,
    reps: list[ReplicationStats],
    *,
    seed: int,
    targets: dict[str, dict[str, Any]],
    interrupted: bool = False,
    target_list: tuple[Target, ...] = (),
) -> SimulationResult:
    """Combine replications into a :class:`SimulationResult`."""
    first = math.ceil(model.warmup_s / model.interval_s - 1e-9)
    counted = slice(first, None)
    open_s = (model.n_intervals - first) * model.interval_s
    if model.open_mask is not None:  # weekday hours: measured open time only
        open_s = int(model.open_mask.ravel()[first:].sum()) * model.interval_s
    definition = model.service_level_definition
    rows, interval_rows, per_rep = [], [], []
    labels = [
        clock_label(model.open_s + i * model.interval_s) for i in range(model.intervals_per_day)
    ]
    days = np.repeat(np.arange(model.days), model.intervals_per_day)
    index_in_day = np.tile(np.arange(model.intervals_per_day), model.days)
    starts = [labels[i] for i in index_in_day]
    hist_total: dict[str, np.ndarray] = {}
    total_offered = np.zeros(len(reps))
    realtime_offered = np.zeros(len(reps))
    first_handled = np.zeros(len(reps))
    first_resolved = np.zeros(len(reps))
    total_answered = np.zeros(len(reps))
    total_abandoned = np.zeros(len(reps))
    warm = np.arange(model.n_intervals) < first
    summary_overall: dict[tuple[str, str], tuple[float, float]] = {}
    summary_intervals: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}

    for ch in model.channels:
        arrays = {
            name: np.stack([r.channels[ch.name][name] for r in reps])
            for name in reps[0].channels[ch.name]
        }
        cnt = {name: a[:, counted] for name, a in arrays.items()}
        tot = {name: a.sum(axis=1) for name, a in cnt.items()}
        hists = np.stack([r.wait_hist[ch.name] for r in reps])
        hist_total[ch.name] = hists.sum(axis=0)
        sc = {
            key: np.array([r.channel_scalars[ch.name][key] for r in reps])
            for key in reps[0].channel_scalars[ch.name]
        }
        values = {
            "offered": tot["offered"],
            "answered": tot["answered"],
            "abandoned": tot["abandoned"],
            "abandon_rate": _ratio(tot["abandoned"], tot["offered"]),
            "service_level": _service_level(tot, definition, axis_sum=False),
            "p_wait": _ratio(tot["offered"] - hists[:, 0], tot["offered"]),
            "asa_s": _ratio(tot["wait_sum"], tot["answered"]),
            "mean_wait_all_s": _ratio(
                tot["wait_sum"] + tot["abandon_wait_sum"], tot["answered"] + tot["abandoned"]
            ),
            "wait_p50_s": np.array([histogram_quantile(h, 0.5) for h in hists]),
            "wait_p90_s": np.array([histogram_quantile(h, 0.9) for h in hists]),
            "wait_p95_s": np.array([histogram_quantile(h, 0.95) for h in hists]),
            "aht_s": _ratio(tot["handle_sum"], tot["answered"]),
            "resolved_at_contact": _ratio(tot["resolved"], tot["answered"]),
            "fcr": _ratio(sc["issue_first_resolved"], sc["issue_first_handled"]),
            "repeat_rate": _ratio(tot["repeats"], tot["offered"]),
            "contacts_per_issue": _ratio(sc["issue_contacts_handled"], sc["issue_first_handled"]),
            "unresolved_issue_share": 1 - _ratio(sc["issue_resolved"], sc["issue_issues"]),
            "redials": tot["redials"],
            "repeats": tot["repeats"],
            "unanswered_at_close": tot["unanswered_at_close"],
            "waiting_at_end": sc["waiting_at_end"],
            "mean_queue_length": tot["queue_area"] / open_s,
        }
        if ch.kind == "email":
            responses = np.stack([r.response_hist[ch.name] for r in reps])
            edges = response_bin_edges()
            values |= {
                "within_promise": _ratio(tot["within_promise"], tot["due"]),
                "response_mean_s": _ratio(tot["response_sum"], tot["answered"]),
                "response_p90_s": np.array([histogram_quantile(h, 0.9, edges) for h in responses]),
                "backlog_at_end": sc["waiting_at_end"],
            }
        if ch.kind == "chat":
            chat_area = sum(
                np.stack([r.groups[model.groups[g].name]["chat_area"] for r in reps])
                for g in ch.groups
            )
            busy_area = sum(
                np.stack([r.groups[model.groups[g].name]["chatting_area"] for r in reps])
                for g in ch.groups
            )
            values["avg_concurrency"] = _ratio(
                chat_area[:, counted].sum(axis=1), busy_area[:, counted].sum(axis=1)
            )
        total_offered += tot["offered"]
        if ch.kind != "email":  # abandonment is a real-time notion
            realtime_offered += tot["offered"]
            total_abandoned += tot["abandoned"]
        first_handled += sc["issue_first_handled"]
        first_resolved += sc["issue_first_resolved"]
        total_answered += tot["answered"]
        for kpi in _NOT_FOR_KIND.get(ch.kind, ()):
            values.pop(kpi, None)
        for kpi, v in values.items():
            mean, half, n = summarise(v)
            rows.append(("channel", ch.name, kpi, mean, half, n))
            per_rep += [(r, ch.name, kpi, float(x)) for r, x in enumerate(v)]
            summary_overall[(ch.name, kpi)] = (mean, half)
        per_interval = {
            "offered": arrays["offered"],
            "answered": arrays["answered"],
            "abandoned": arrays["abandoned"],
            "abandon_rate": _ratio(arrays["abandoned"], arrays["offered"]),
            "service_level": _service_level(arrays, definition, axis_sum=False),
            "asa_s": _ratio(arrays["wait_sum"], arrays["answered"]),
            "mean_queue_length": arrays["queue_area"] / model.interval_s,
            "backlog": arrays["backlog"],
        }
        for kpi in INTERVAL_KPIS:
            if kpi in _NOT_FOR_KIND.get(ch.kind, ()):
                continue
            mean, half, n = _summarise_columns(per_interval[kpi])
            summary_intervals[(ch.name, kpi)] = (np.where(warm, np.nan, mean), half)
            for k in range(model.n_intervals):
                interval_rows.append(
                    (
                        ch.name,
                        int(days[k]),
                        int(index_in_day[k]),
                        starts[k],
                        kpi,
                        mean[k],
                        half[k],
                        int(n[k]),
                        k < first,
                    )
                )

    group_rows, group_interval_rows = [], []
    total_cost = np.zeros(len(reps))
    total_paid = np.zeros(len(reps))
    for grp in model.groups:
        busy = np.stack([r.groups[grp.name]["busy_area"] for r in reps])
        present = np.stack([r.groups[grp.name]["present_area"] for r in reps])
        handled = np.stack([r.groups[grp.name]["handled"] for r in reps])
        # Paid hours of the whole plan (shift time outside opening hours included), less
        # the hours paid in warm-up intervals, which are not measured.
        paid_h = grp.paid_hours_total - float(grp.paid_hours_per_interval[:first].sum())
        values = {
            "occupancy": _ratio(busy[:, counted].sum(axis=1), present[:, counted].sum(axis=1)),
            "agents_available": present[:, counted].sum(axis=1) / open_s,
            "handled": handled[:, counted].sum(axis=1),
            "paid_hours": np.full(len(reps), paid_h),
            "cost": np.full(len(reps), paid_h * grp.cost_per_hour),
        }
        total_cost += paid_h * grp.cost_per_hour
        total_paid += paid_h
        for kpi, v in values.items():
            mean, half, n = summarise(v)
            group_rows.append(("group", grp.name, kpi, mean, half, n))
            summary_overall[(grp.name, kpi)] = (mean, half)
            per_rep += [(r, grp.name, kpi, float(x)) for r, x in enumerate(v)]
        per_interval = {
            "occupancy": _ratio(busy, present),
            "agents_available": present / model.interval_s,
            "handled": handled,
            "paid_hours": np.tile(grp.paid_hours_per_interval, (len(reps), 1)),
        }
        for kpi, arr in per_interval.items():
            mean, half, n = _summarise_columns(arr)
            summary_intervals[(grp.name, kpi)] = (np.where(warm, np.nan, mean), half)
            for k in range(model.n_intervals):
                group_interval_rows.append(
                    (
                        grp.name,
                        int(days[k]),
                        int(index_in_day[k]),
                        starts[k],
                        kpi,
                        mean[k],
                        half[k],
                        int(n[k]),
                        k < first,
                    )
                )

    overall_values = {
        "offered": total_offered,
        "answered": total_answered,
        "abandoned": total_abandoned,
        "abandon_rate": _ratio(total_abandoned, realtime_offered),  # calls and chats only
        "fcr": _ratio(first_resolved, first_handled),
        "paid_hours": total_paid,
        "cost": total_cost,
    }
    overall_rows = [(k, *summarise(v)) for k, v in overall_values.items()]

    def frame(records: list[tuple], key: str) -> pd.DataFrame:
        df = pd.DataFrame(records, columns=["_", key, "kpi", "mean", "ci_half_width", "n"])
        df = df.drop(columns="_")
        df["ci_low"] = df["mean"] - df["ci_half_width"]
        df["ci_high"] = df["mean"] + df["ci_half_width"]
        return df

    interval_cols = ["day", "interval", "start", "kpi", "mean", "ci_half_width", "n", "warmup"]
    overall = pd.DataFrame(overall_rows, columns=["kpi", "mean", "ci_half_width", "n"])
    overall["ci_low"] = overall["mean"] - overall["ci_half_width"]
    overall["ci_high"] = overall["mean"] + overall["ci_half_width"]
    return SimulationResult(
        scenario_name=model.scenario_name,
        replications=len(reps),
        seed=seed,
        service_level_definition=definition,
        targets=targets,
        channels=frame(rows, "channel"),
        intervals=pd.DataFrame(interval_rows, columns=["channel", *interval_cols]),
        groups=frame(group_rows, "group"),
        group_intervals=pd.DataFrame(group_interval_rows, columns=["group", *interval_cols]),
        overall=overall,
        per_replication=pd.DataFrame(per_rep, columns=["replication", "entity", "kpi", "value"]),
        wait_histograms=hist_total,
        interrupted=interrupted,
        kpi_summary=KpiSummary(
            summary_overall,
            summary_intervals,
            tuple(
                interval_label(int(days[k]), starts[k], model.days)
                for k in range(model.n_intervals)
            ),
        ),
        target_list=tuple(target_list),
    )
