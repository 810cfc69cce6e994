"""The scenario seen as an optimization problem: decision grid, bounds, costs, loads.

A staffing plan is an integer matrix ``x`` of shape ``(G, K)``: paid agents on duty of agent
group ``g`` in global planning interval ``k`` (``k = day * intervals_per_day + index``).
Its cost is ``sum(x * unit_cost[:, None])`` with ``unit_cost = cost_per_hour x interval
hours`` — the same paid hours the simulator reports for a per-interval staffing.

Everything here is derived once from the validated scenario and never changes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simulator.channels import KINDS
from simulator.clock import day_grid
from simulator.errors import InputError
from simulator.horizon import Horizon
from simulator.outbound.model import compile_outbound
from simulator.scenario import Scenario
from simulator.targets import Target, scenario_targets

REAL_TIME = tuple(name for name, kind in KINDS.items() if kind.realtime)
"""Channel kinds whose customers wait on the line (the others are deferred backlog work)."""


SIMULATION_ONLY_TARGETS: tuple[str, ...] = ()
SIMULATION_ONLY_OUTBOUND_TARGETS: tuple[str, ...] = ("max_nuisance_rate",)
"""Outbound targets ``staffsim simulate`` judges but the optimizer refuses: a predictive
dialer keeps ``ratio`` calls per idle agent ringing, so its nuisance rate is set by the
ratio and the answer/ring times far more than by staffing, and not monotonically."""
"""Channel targets the simulation judges but the optimizer cannot search for (none today:
finite lines and callbacks are in its model, :mod:`optimizer.chains`): optimizing a
scenario that sets one is refused with a message naming the field."""


IMPLIED_CALLBACK_WITHIN_PROMISE = 0.9
"""Least share of callbacks made within their promise the optimizer holds a channel to when
the scenario sets none (see :func:`implied_targets`)."""


def implied_targets(scenario: Scenario) -> list[Target]:
    """Targets the optimizer adds to the scenario's own: a call channel that offers
    callbacks and has a live-queue target (service level, abandonment or ASA) but no
    ``callback_within_promise`` gets one of ``max(0.9, its service-level goal)``.

    Why: a caller who accepts a callback leaves the live queue — out of the service level's
    denominator, never abandoning, never waiting on hold — so a plan could meet every
    live-queue target by pushing callers to callbacks it never makes in time. The promise
    told to the caller is kept at least 9 times in 10, and at least as often as the live
    queue answers in time. Its label says it is implied; set the target in the scenario to
    choose another goal."""
    out: list[Target] = []
    for name, ch in scenario.channels.items():
        t = ch.targets
        live = (t.service_level, t.max_abandon_rate, t.max_asa_seconds)
        if ch.callback is None or t.callback_within_promise is not None:
            continue
        if all(v is None for v in live):
            continue
        goal = max(IMPLIED_CALLBACK_WITHIN_PROMISE, t.service_level or 0.0)
        label = (
            f"callbacks within {ch.callback.promise_minutes:g} min >= {goal:.0%} (implied by "
            "optimize: the channel offers callbacks; set targets.callback_within_promise to "
            "change it)"
        )
        field = f"channels.{name}.targets.callback_within_promise"
        out.append(Target(name, "callback_within_promise", ">=", goal, "overall", field, label))
    return out


def optimizer_targets(scenario: Scenario) -> list[Target]:
    """The targets :func:`optimizer.optimize` searches for and judges: the scenario's own
    (:func:`simulator.targets.scenario_targets`), then the implied ones
    (:func:`implied_targets`)."""
    return scenario_targets(scenario) + implied_targets(scenario)


@dataclass(frozen=True)
class Problem:
    """Arrays the optimizer works on (see module docstring). Rates are contacts per
    **hour**, times in **seconds**, costs per agent and interval."""

    scenario: Scenario
    groups: tuple[str, ...]
    channels: tuple[str, ...]
    kinds: tuple[str, ...]
    days: int
    intervals_per_day: int
    interval_hours: float
    unit_cost: np.ndarray  # (G,) cost of one agent for one interval
    shrinkage: np.ndarray  # (G,)
    lower: np.ndarray  # (G, K) int, min_headcount
    upper: np.ndarray  # (G, K) int, max_headcount or a load-based cap
    upper_given: np.ndarray  # (G,) bool: max_headcount set in the scenario
    rate_per_hour: np.ndarray  # (C, K) expected first attempts per hour
    aht_s: np.ndarray  # (C,) mean handle time of a factor-1.0 agent
    patience_s: np.ndarray  # (C,) mean patience, NaN = nobody abandons
    skilled: np.ndarray  # (G, C) bool
    factor: np.ndarray  # (G, C) handle-time factor (1 where not skilled)
    fcr: np.ndarray  # (G, C)
    priority: np.ndarray  # (C,) lower is served first
    interval_starts: np.ndarray  # (K,) seconds from day 0 00:00
    aht_by_interval_s: np.ndarray | None = None  # (C, K) mean handle time per interval
    open_mask: np.ndarray | None = None  # (K,) bool, None: all open (weekday hours)
    min_open: np.ndarray | None = None  # (C, K) int: skilled agents on duty, at least

    @property
    def aht_grid_s(self) -> np.ndarray:
        """(C, K) mean handle time (s) of a factor-1.0 agent per interval: the channel's
        ``handle_time_means_seconds`` when given, else its one mean in every interval."""
        if self.aht_by_interval_s is not None:
            return self.aht_by_interval_s
        return np.broadcast_to(self.aht_s[:, None], (len(self.aht_s), self.n_intervals))

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> Problem:
        """The problem of a validated ``scenario``. Raises :class:`InputError` naming the
        field for targets the optimizer cannot search for (an outbound connects-per-hour
        goal the list's records cannot give)."""
        from optimizer.outbound import check_reachable

        for name, ch in scenario.channels.items():
            for field in SIMULATION_ONLY_TARGETS:
                if getattr(ch.targets, field) is not None:
                    raise InputError(
                        f"channels.{name}.targets.{field}: the optimizer cannot search for "
                        "this target; remove it to optimize, `staffsim simulate` judges it"
                    )
        for name, spec in (scenario.outbound or {}).items():
            for field in SIMULATION_ONLY_OUTBOUND_TARGETS:
                if getattr(spec.targets, field) is not None:
                    raise InputError(
                        f"outbound.{name}.targets.{field}: the optimizer cannot search for "
                        "this target (more agents do not always lower the nuisance rate: "
                        "the dialer dials more when more agents are idle); remove it to "
                        "optimize (`--set outbound.{name}.targets.{field}=null`) and judge "
                        "the plan with `staffsim simulate`, or lower dialer.ratio"
                    )
        check_reachable(scenario)
        h = scenario.horizon
        groups = tuple(scenario.agent_groups)
        channels = tuple(scenario.channels)
        k = h.n_intervals
        interval_h = h.interval_s / 3600
        rates = np.zeros((len(channels), k))
        for c, name in enumerate(channels):
            ch = scenario.channels[name]
            rates[c] = ch.interval_volumes(h).ravel() * ch.arrivals.scale / interval_h
        skilled = np.array(
            [[c in scenario.agent_groups[g].skills for c in channels] for g in groups], dtype=bool
        )
        factor = np.ones(skilled.shape)
        fcr = np.zeros(skilled.shape)
        for gi, g in enumerate(groups):
            for ci, c in enumerate(channels):
                skill = scenario.agent_groups[g].skills.get(c)
                if skill is not None:
                    factor[gi, ci] = skill.handle_time_factor
                    fcr[gi, ci] = skill.fcr
        aht = np.array([scenario.channels[c].handle_time.mean_s for c in channels])
        aht_grid = _aht_grid(scenario, channels, aht)
        mask = None if h.uniform_hours else h.open_mask().ravel()
        patience = np.array(
            [
                ch.patience.mean_s if ch.patience is not None else math.nan
                for ch in scenario.channels.values()
            ]
        )
        shrink = np.array([scenario.agent_groups[g].shrinkage for g in groups])
        lower = np.array([[scenario.agent_groups[g].min_headcount] * k for g in groups], dtype=int)
        # Load a group could have to carry (all its channels, its speed, its shrinkage).
        load = (skilled * factor) @ (
            rates * (aht_grid if aht_grid is not None else aht[:, None]) / 3600
        )  # (G, K) Erlangs
        cap = np.ceil(3 * load.max(axis=1) / (1 - shrink)) + 10
        cap = cap + _dialing_agents(scenario, groups, shrink)
        upper = np.empty_like(lower)
        given = np.zeros(len(groups), dtype=bool)
        for gi, g in enumerate(groups):
            limit = scenario.agent_groups[g].max_headcount
            given[gi] = limit is not None
            upper[gi] = limit if limit is not None else max(int(cap[gi]), lower[gi, 0])
        if mask is not None:  # nobody is staffed while the centre is closed
            lower[:, ~mask] = 0
            upper[:, ~mask] = 0
        min_open = _min_open(scenario, channels, groups, rates, skilled, upper, h)
        return cls(
            scenario=scenario,
            groups=groups,
            channels=channels,
            kinds=tuple(scenario.channels[c].kind for c in channels),
            days=h.days,
            intervals_per_day=h.intervals_per_day,
            interval_hours=interval_h,
            unit_cost=np.array([scenario.agent_groups[g].cost_per_hour for g in groups])
            * interval_h,
            shrinkage=shrink,
            lower=lower,
            upper=upper,
            upper_given=given,
            rate_per_hour=rates,
            aht_s=aht,
            patience_s=patience,
            skilled=skilled,
            factor=factor,
            fcr=fcr,
            priority=np.array([scenario.priority(c) for c in channels]),
            interval_starts=np.array(
                [
                    h.interval_start_s(d, i)
                    for d in range(h.days)
                    for i in range(h.intervals_per_day)
                ],
                dtype=float,
            ),
            aht_by_interval_s=aht_grid,
            open_mask=mask,
            min_open=min_open,
        )

    # ---- shapes and cost ----------------------------------------------------------------
    @property
    def n_groups(self) -> int:
        return len(self.groups)

    @property
    def n_channels(self) -> int:
        return len(self.channels)

    @property
    def n_intervals(self) -> int:
        return self.days * self.intervals_per_day

    def cost(self, x: np.ndarray) -> float:
        """Paid cost of a per-interval staffing ``x`` (G, K) over the horizon."""
        return float((np.asarray(x) * self.unit_cost[:, None]).sum())

    def clip(self, x: np.ndarray) -> np.ndarray:
        """``x`` rounded to whole agents and held within the headcount bounds."""
        return np.clip(np.rint(x).astype(int), self.lower, self.upper)

    def interval_label(self, k: int) -> str:
        """``"d1 08:30"`` for multi-day horizons, ``"08:30"`` for one day."""
        return self.scenario.horizon.label(k)

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self.interval_label(k) for k in range(self.n_intervals))

    def current_staffing(self) -> np.ndarray:
        """The scenario's own staffing as a (G, K) grid: per-interval staffing as given;
        shifts as the time-average agents on duty in each interval (rounded)."""
        from simulator.model import compile_scenario

        model = compile_scenario(self.scenario)
        return np.array(
            [np.rint(g.paid_hours_per_interval / self.interval_hours) for g in model.groups],
            dtype=int,
        )


def _min_open(
    scenario: Scenario,
    channels: tuple[str, ...],
    groups: tuple[str, ...],
    rates: np.ndarray,
    skilled: np.ndarray,
    upper: np.ndarray,
    horizon: Horizon,
) -> np.ndarray:
    """(C, K) skilled agents each real-time channel keeps on duty: its
    ``min_agents_while_open`` in every interval it is open with contacts expected (a rate
    above 0: the channel's own ``hours`` and the centre's already zero the rest), 0
    elsewhere. Without this a quiet interval can be left with nobody to serve it when the
    horizon target absorbs it (nine customers at a counter's opening). Raises
    :class:`InputError` naming the field when the skilled groups' ``max_headcount`` cannot
    reach it."""
    need = np.zeros(rates.shape, dtype=int)
    for c, name in enumerate(channels):
        m = scenario.channels[name].min_agents_open
        if m == 0:
            continue
        need[c] = np.where(rates[c] > 0, m, 0)
        reach = upper[skilled[:, c]].sum(axis=0)
        short = np.flatnonzero(need[c] > reach)
        if short.size:
            k = int(short[0])
            raise InputError(
                f"channels.{name}.min_agents_while_open: {m} skilled agents on duty while the "
                f"channel is open, but its groups' max_headcount allows {int(reach[k])} in "
                f"{horizon.label(k)}; lower it (0 allows unstaffed intervals) or "
                "raise max_headcount"
            )
    return need


def _dialing_agents(scenario: Scenario, groups: tuple[str, ...], shrink: np.ndarray) -> np.ndarray:
    """(G,) agents each group could need on top of its inbound load to reach its outbound
    lists' targets: twice the work they need (agent-hours,
    :func:`optimizer.outbound.work_hours`; twice, as the dialer cannot use all idle time)
    spread over the dialing hours, shrinkage and the dialer's idle agents added; a list
    the dialer serves after others on its groups (:func:`optimizer.outbound.ahead_of`)
    needs their whole work first, so theirs is added to its own. Raises the search's
    headcount cap of groups without ``max_headcount`` (never a requirement)."""
    from optimizer.outbound import ahead_of, dialing_hours, work_hours

    extra = np.zeros(len(groups))
    specs = compile_outbound(scenario)
    for spec in specs:
        targets = scenario.outbound[spec.name].targets
        hours = dialing_hours(spec)
        if hours <= 0:
            continue
        work = 0.0
        if targets.min_list_completion is not None:
            work = max(work, work_hours(spec, "list_completion", targets.min_list_completion))
        if targets.min_connects_per_hour is not None:
            work = max(work, work_hours(spec, "connects_per_hour", targets.min_connects_per_hour))
        if work > 0:
            work += sum(work_hours(e, "list_completion", 1.0) for e in ahead_of(specs, spec))
            for g in spec.groups:
                extra[g] += np.ceil(2 * work / hours / (1 - shrink[g])) + spec.threshold
    return extra


def _aht_grid(scenario: Scenario, channels: tuple[str, ...], aht: np.ndarray) -> np.ndarray | None:
    """(C, K) mean handle times (s) when any channel gives them per interval, else None."""
    if all(scenario.channels[c].handle_time_means_seconds is None for c in channels):
        return None
    h = scenario.horizon
    out = np.empty((len(channels), h.n_intervals))
    for c, name in enumerate(channels):
        means = scenario.channels[name].handle_time_means_seconds
        if means is None:
            out[c] = aht[c]
            continue
        out[c] = day_grid(means, h.days, h.intervals_per_day).ravel()
    return out


__all__ = [
    "IMPLIED_CALLBACK_WITHIN_PROMISE",
    "REAL_TIME",
    "SIMULATION_ONLY_OUTBOUND_TARGETS",
    "SIMULATION_ONLY_TARGETS",
    "Problem",
    "implied_targets",
    "optimizer_targets",
]
