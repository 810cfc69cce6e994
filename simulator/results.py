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
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from simulator.channels import KINDS
from simulator.clock import clock_label, first_counted_interval, interval_label
from simulator.kpis import CHANNEL_INTERVAL_KPIS, CHANNEL_KPIS, KPIS, SHARE_KPIS, ci_bounds
from simulator.model import ChannelModel, CompiledModel, GroupModel
from simulator.outbound.results import OutboundValues, add_outbound_rows, outbound_values
from simulator.stats import ReplicationStats, histogram_quantile, ratio
from simulator.targets import KpiSummary, Target, check_table, verdicts

SCHEMA_VERSION = 1
OVERALL = "all"
"""Entity name of the overall KPIs (all channels, all groups) in per-replication rows."""


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
    * ``outbound`` / ``outbound_intervals``: outbound list, kpi, ... as for groups (empty
      without outbound lists; their per-replication rows are in ``per_replication`` too)
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
    outbound: pd.DataFrame = field(default_factory=lambda: _empty("outbound"), repr=False)
    outbound_intervals: pd.DataFrame = field(
        default_factory=lambda: _empty("outbound", intervals=True), repr=False
    )

    def outbound_kpi(self, name: str, kpi: str) -> float:
        """Mean of one outbound-list KPI (shortcut for scripts and tests)."""
        return float(self._outbound_row(name, kpi)["mean"])

    def outbound_ci(self, name: str, kpi: str) -> tuple[float, float]:
        """95% confidence interval (low, high) of one outbound-list KPI, clipped to the
        KPI's range."""
        row = self._outbound_row(name, kpi)
        return float(row["ci_low"]), float(row["ci_high"])

    def outbound_half_width(self, name: str, kpi: str) -> float:
        """95% CI half-width of one outbound-list KPI, symmetric, unclipped (see
        :meth:`half_width`)."""
        return float(self._outbound_row(name, kpi)["ci_half_width"])

    def _outbound_row(self, name: str, kpi: str) -> pd.Series:
        rows = self.outbound[(self.outbound.outbound == name) & (self.outbound.kpi == kpi)]
        if rows.empty:
            raise KeyError(f"no outbound KPI {kpi!r} for list {name!r}")
        return rows.iloc[0]

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
        """95% confidence interval (low, high) of one channel KPI, clipped to the KPI's
        range (:func:`simulator.kpis.ci_bounds`)."""
        row = self._row(channel, kpi)
        return float(row["ci_low"]), float(row["ci_high"])

    def half_width(self, channel: str, kpi: str) -> float:
        """95% CI half-width of one channel KPI, symmetric, unclipped: what a comparison
        with an exact value takes (``(high − low) / 2`` of :meth:`ci` is smaller when the
        interval is clipped at 0)."""
        return float(self._row(channel, kpi)["ci_half_width"])

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
        } | (
            {
                "outbound": records(self.outbound),
                "outbound_intervals": records(self.outbound_intervals),
            }
            if len(self.outbound)
            else {}
        )

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)


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
    if kpi in SHARE_KPIS:
        text = f"{mean:.1%}"
        return text if math.isnan(half) else f"{text} ± {half * 100:.1f}"
    digits = 1 if abs(mean) < 1000 else 0
    text = f"{mean:,.{digits}f}"
    return text if math.isnan(half) else f"{text} ± {half:,.{digits}f}"


def _service_level(ch: dict[str, np.ndarray], definition: str) -> np.ndarray:
    def s(name: str) -> np.ndarray:
        return ch[name]

    # Callers who accepted a callback left the live queue: they are judged by the callback
    # promise, not by T, so they leave the denominator (busy signals stay in it: missed).
    offered = s("offered") - s("callbacks_accepted")
    if definition == "answered_within_over_answered":
        return ratio(s("answered_within"), s("answered"))
    if definition == "answered_within_over_offered_minus_short_abandons":
        return ratio(s("answered_within"), offered - s("abandoned_within"))
    return ratio(s("answered_within"), offered)


_INTERVAL_COLUMNS = ["day", "interval", "start", "kpi", "mean", "ci_half_width", "n", "warmup"]


def _empty(key: str, intervals: bool = False) -> pd.DataFrame:
    """An empty table of the ``groups`` (or ``group_intervals``) shape keyed by ``key``."""
    if intervals:
        return pd.DataFrame(columns=[key, *_INTERVAL_COLUMNS])
    return pd.DataFrame(columns=[key, "kpi", "mean", "ci_half_width", "n", "ci_low", "ci_high"])


@dataclass(frozen=True)
class _Grid:
    """The intervals of one result: which are counted (after warm-up), their day, index in
    the day and start label, and the counted open seconds."""

    first: int
    counted: slice
    open_s: float
    warm: np.ndarray
    days: np.ndarray
    index_in_day: np.ndarray
    starts: list[str]

    @classmethod
    def of(cls, model: CompiledModel) -> _Grid:
        first = first_counted_interval(model.warmup_s, model.interval_s)
        labels = [
            clock_label(model.open_s + i * model.interval_s) for i in range(model.intervals_per_day)
        ]
        index_in_day = np.tile(np.arange(model.intervals_per_day), model.days)
        open_s = (model.n_intervals - first) * model.interval_s
        if model.open_mask is not None:  # weekday hours: measured open time only
            open_s = int(model.open_mask.ravel()[first:].sum()) * model.interval_s
        return cls(
            first=first,
            counted=slice(first, None),
            open_s=open_s,
            warm=np.arange(model.n_intervals) < first,
            days=np.repeat(np.arange(model.days), model.intervals_per_day),
            index_in_day=index_in_day,
            starts=[labels[i] for i in index_in_day],
        )


@dataclass
class _Tables:
    """The rows of a result as they are built, entity by entity."""

    grid: _Grid
    rows: list[tuple] = field(default_factory=list)
    interval_rows: list[tuple] = field(default_factory=list)
    group_rows: list[tuple] = field(default_factory=list)
    group_interval_rows: list[tuple] = field(default_factory=list)
    per_rep: list[tuple] = field(default_factory=list)
    overall: dict[tuple[str, str], tuple[float, float]] = field(default_factory=dict)
    intervals: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    def add(self, out: list[tuple], entity_type: str, name: str, kpi: str, v: np.ndarray) -> None:
        """One KPI over the horizon: its per-replication values and their summary."""
        mean, half, n = summarise(v)
        out.append((entity_type, name, kpi, mean, half, n))
        self.per_rep += [(r, name, kpi, float(x)) for r, x in enumerate(v)]
        self.overall[(name, kpi)] = (mean, half)

    def add_intervals(self, out: list[tuple], name: str, kpi: str, arr: np.ndarray) -> None:
        """One KPI per interval (replications x intervals)."""
        g = self.grid
        mean, half, n = _summarise_columns(arr)
        self.intervals[(name, kpi)] = (np.where(g.warm, np.nan, mean), half)
        for k in range(len(mean)):
            out.append(
                (
                    name,
                    int(g.days[k]),
                    int(g.index_in_day[k]),
                    g.starts[k],
                    kpi,
                    mean[k],
                    half[k],
                    int(n[k]),
                    k < g.first,
                )
            )


def _queue_kpis(sums: dict[str, np.ndarray], definition: str) -> dict[str, np.ndarray]:
    """The KPIs of a queue from its counts, over the horizon or per interval alike."""
    return {
        "offered": sums["offered"],
        "answered": sums["answered"],
        "abandoned": sums["abandoned"],
        "abandon_rate": ratio(sums["abandoned"], sums["offered"]),
        "service_level": _service_level(sums, definition),
        "asa_s": ratio(sums["wait_sum"], sums["answered"]),
    }


def _channel_kpis(
    model: CompiledModel,
    ch: ChannelModel,
    reps: list[ReplicationStats],
    grid: _Grid,
    intervals: bool = True,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray], dict]:
    """A channel's KPIs per replication over the horizon and per interval (only those its
    kind reports), and its horizon totals and scalars."""
    counted, definition = grid.counted, model.service_level_definition
    arrays = {
        name: np.stack([r.channels[ch.name][name] for r in reps])
        for name in reps[0].channels[ch.name]
    }
    cnt = {name: a[:, counted] for name, a in arrays.items()}
    tot = {name: a.sum(axis=1) for name, a in cnt.items()}
    hists = np.stack([r.wait_hist[ch.name] for r in reps])
    sc = {
        key: np.array([r.channel_scalars[ch.name][key] for r in reps])
        for key in reps[0].channel_scalars[ch.name]
    }
    values = _queue_kpis(tot, definition) | {
        "p_wait": ratio(tot["offered"] - hists[:, 0], tot["offered"]),
        "mean_wait_all_s": ratio(
            tot["wait_sum"] + tot["abandon_wait_sum"], tot["answered"] + tot["abandoned"]
        ),
        "wait_p50_s": np.array([histogram_quantile(h, 0.5) for h in hists]),
        "wait_p90_s": np.array([histogram_quantile(h, 0.9) for h in hists]),
        "wait_p95_s": np.array([histogram_quantile(h, 0.95) for h in hists]),
        "aht_s": ratio(tot["handle_sum"], tot["answered"]),
        "resolved_at_contact": ratio(tot["resolved"], tot["answered"] + tot["callbacks_made"]),
        "fcr": ratio(sc["issue_first_resolved"], sc["issue_first_handled"]),
        "repeat_rate": ratio(tot["repeats"], tot["offered"]),
        "contacts_per_issue": ratio(sc["issue_contacts_handled"], sc["issue_first_handled"]),
        "unresolved_issue_share": 1 - ratio(sc["issue_resolved"], sc["issue_issues"]),
        "redials": tot["redials"],
        "repeats": tot["repeats"],
        "unanswered_at_close": tot["unanswered_at_close"],
        "waiting_at_end": sc["waiting_at_end"],
        "mean_queue_length": tot["queue_area"] / grid.open_s,
    }
    kind = KINDS[ch.kind]
    values |= kind.extra_kpis(channel=ch, model=model, reps=reps, tot=tot, sc=sc, counted=counted)
    values = {k: values[k] for k in CHANNEL_KPIS if k in values and KPIS[k].applies_to(kind)}
    if not intervals:
        return values, {}, tot, {"scalars": sc, "hist": hists.sum(axis=0)}
    per_interval = _queue_kpis(arrays, definition) | {
        "mean_queue_length": arrays["queue_area"] / model.interval_s,
        "backlog": arrays["backlog"],
    }
    per_interval |= kind.interval_kpis(channel=ch, model=model, arrays=arrays)
    per_interval = {
        k: per_interval[k]
        for k in CHANNEL_INTERVAL_KPIS
        if k in per_interval and KPIS[k].applies_to(kind)
    }
    return values, per_interval, tot, {"scalars": sc, "hist": hists.sum(axis=0)}


def _group_kpis(
    model: CompiledModel,
    grp: GroupModel,
    reps: list[ReplicationStats],
    grid: _Grid,
    intervals: bool = True,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], float]:
    """A group's KPIs per replication over the horizon and per interval, and its paid
    hours over the counted intervals."""
    counted = grid.counted
    busy = np.stack([r.groups[grp.name]["busy_area"] for r in reps])
    present = np.stack([r.groups[grp.name]["present_area"] for r in reps])
    handled = np.stack([r.groups[grp.name]["handled"] for r in reps])
    # Paid hours of the whole plan (shift time outside opening hours included), less
    # the hours paid in warm-up intervals, which are not measured.
    paid_h = grp.paid_hours_total - float(grp.paid_hours_per_interval[: grid.first].sum())
    values = {
        "occupancy": ratio(busy[:, counted].sum(axis=1), present[:, counted].sum(axis=1)),
        "agents_available": present[:, counted].sum(axis=1) / grid.open_s,
        "handled": handled[:, counted].sum(axis=1),
        "paid_hours": np.full(len(reps), paid_h),
        "cost": np.full(len(reps), paid_h * grp.cost_per_hour),
    }
    if not intervals:
        return values, {}, paid_h
    per_interval = {
        "occupancy": ratio(busy, present),
        "agents_available": present / model.interval_s,
        "handled": handled,
        "paid_hours": np.tile(grp.paid_hours_per_interval, (len(reps), 1)),
    }
    return values, per_interval, paid_h


@dataclass
class KpiValues:
    """Every KPI of some replications, per replication, before any summary: over the
    horizon (one value per replication) and, when asked for, per interval (replications x
    intervals). :func:`aggregate` summarises them; a batch worker stores them as they are."""

    channels: list[tuple[str, dict[str, np.ndarray], dict[str, np.ndarray]]]
    groups: list[tuple[str, dict[str, np.ndarray], dict[str, np.ndarray]]]
    overall: dict[str, np.ndarray]
    wait_histograms: dict[str, np.ndarray]
    outbound: OutboundValues = field(default_factory=list)

    def horizon_rows(self) -> Iterator[tuple[str, str, str, np.ndarray]]:
        """``(entity_type, entity, kpi, values)``: channels, groups, then overall (entity
        ``"all"``), in the order of the result tables."""
        for entity_type, entities in (("channel", self.channels), ("group", self.groups)):
            for name, values, _ in entities:
                for kpi, v in values.items():
                    yield entity_type, name, kpi, v
        for kpi, v in self.overall.items():
            yield "overall", OVERALL, kpi, v
        for name, values, _ in self.outbound:
            for kpi, v in values.items():
                yield "outbound", name, kpi, v


def kpi_values(
    model: CompiledModel, reps: list[ReplicationStats], *, intervals: bool = True
) -> KpiValues:
    """Every KPI of each replication in ``reps`` (see :class:`KpiValues`)."""
    grid = _Grid.of(model)
    hist_total: dict[str, np.ndarray] = {}
    n = len(reps)
    total_offered, realtime_offered = np.zeros(n), np.zeros(n)
    first_handled, first_resolved = np.zeros(n), np.zeros(n)
    total_answered, total_abandoned = np.zeros(n), np.zeros(n)
    channels = []
    for ch in model.channels:
        values, per_interval, tot, extra = _channel_kpis(model, ch, reps, grid, intervals)
        sc = extra["scalars"]
        hist_total[ch.name] = extra["hist"]
        total_offered += tot["offered"]
        if KINDS[ch.kind].realtime:  # abandonment is a real-time notion
            realtime_offered += tot["offered"]
            total_abandoned += tot["abandoned"]
        first_handled += sc["issue_first_handled"]
        first_resolved += sc["issue_first_resolved"]
        total_answered += tot["answered"]
        channels.append((ch.name, values, per_interval))
    total_cost, total_paid = np.zeros(n), np.zeros(n)
    groups = []
    for grp in model.groups:
        values, per_interval, paid_h = _group_kpis(model, grp, reps, grid, intervals)
        total_cost += paid_h * grp.cost_per_hour
        total_paid += paid_h
        groups.append((grp.name, values, per_interval))
    overall = {
        "offered": total_offered,
        "answered": total_answered,
        "abandoned": total_abandoned,
        "abandon_rate": ratio(total_abandoned, realtime_offered),  # calls and chats only
        "fcr": ratio(first_resolved, first_handled),
        "paid_hours": total_paid,
        "cost": total_cost,
    }
    outbound = outbound_values(model, reps, grid.counted) if model.outbound else []
    return KpiValues(channels, groups, overall, hist_total, outbound)


def aggregate(
    model: CompiledModel,
    reps: list[ReplicationStats],
    *,
    seed: int,
    targets: dict[str, dict[str, Any]],
    interrupted: bool = False,
    target_list: tuple[Target, ...] = (),
) -> SimulationResult:
    """Combine replications into a :class:`SimulationResult`: each KPI computed within
    each replication, then summarised over them (mean, 95% CI half-width, n)."""
    grid = _Grid.of(model)
    t = _Tables(grid)
    n = len(reps)
    kv = kpi_values(model, reps)
    for name, values, per_interval in kv.channels:
        for kpi, v in values.items():
            t.add(t.rows, "channel", name, kpi, v)
        for kpi, arr in per_interval.items():
            t.add_intervals(t.interval_rows, name, kpi, arr)
    for name, values, per_interval in kv.groups:
        for kpi, v in values.items():
            t.add(t.group_rows, "group", name, kpi, v)
        for kpi, arr in per_interval.items():
            t.add_intervals(t.group_interval_rows, name, kpi, arr)
    overall_rows = [(k, *summarise(v)) for k, v in kv.overall.items()]
    outbound_rows, outbound_interval_rows = add_outbound_rows(kv.outbound, t.add, t.add_intervals)
    hist_total = kv.wait_histograms

    def frame(records: list[tuple], key: str) -> pd.DataFrame:
        df = pd.DataFrame(records, columns=["_", key, "kpi", "mean", "ci_half_width", "n"])
        df = df.drop(columns="_")
        df["ci_low"], df["ci_high"] = ci_bounds(df.kpi, df["mean"], df["ci_half_width"])
        return df

    interval_cols = ["day", "interval", "start", "kpi", "mean", "ci_half_width", "n", "warmup"]
    overall = pd.DataFrame(overall_rows, columns=["kpi", "mean", "ci_half_width", "n"])
    overall["ci_low"], overall["ci_high"] = ci_bounds(
        overall.kpi, overall["mean"], overall["ci_half_width"]
    )
    labels = tuple(
        interval_label(int(grid.days[k]), grid.starts[k], model.days, model.start_date)
        for k in range(model.n_intervals)
    )
    return SimulationResult(
        scenario_name=model.scenario_name,
        replications=n,
        seed=seed,
        service_level_definition=model.service_level_definition,
        targets=targets,
        channels=frame(t.rows, "channel"),
        intervals=pd.DataFrame(t.interval_rows, columns=["channel", *interval_cols]),
        groups=frame(t.group_rows, "group"),
        group_intervals=pd.DataFrame(t.group_interval_rows, columns=["group", *interval_cols]),
        overall=overall,
        per_replication=pd.DataFrame(t.per_rep, columns=["replication", "entity", "kpi", "value"]),
        wait_histograms=hist_total,
        interrupted=interrupted,
        kpi_summary=KpiSummary(t.overall, t.intervals, labels),
        target_list=tuple(target_list),
        outbound=frame(outbound_rows, "outbound") if outbound_rows else _empty("outbound"),
        outbound_intervals=pd.DataFrame(
            outbound_interval_rows, columns=["outbound", *interval_cols]
        )
        if outbound_interval_rows
        else _empty("outbound", intervals=True),
    )
