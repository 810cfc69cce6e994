"""``email`` (and letters, web forms): deferred work. Nobody abandons; it waits in a
backlog that carries across intervals and days; arrives around the clock; started only
when ``email_reserve_agents`` real-time agents stay idle; judged by a response promise
(``promise_hours``, ``targets.within_promise``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from simulator.channels.base import DEFERRED, ChannelKind
from simulator.stats import histogram_quantile, ratio, response_bin_edges


def rules(channel: Any) -> str | None:
    t = channel.targets
    if channel.patience is not None or channel.redial is not None:
        return "email contacts do not abandon: remove patience/redial"
    if channel.hours is not None:
        return (
            "hours applies to real-time channels (call, chat, walk_in): email arrives around "
            "the clock; an email team's working hours are its agent group's staffing or shifts"
        )
    if channel.min_agents_while_open is not None:
        return (
            "min_agents_while_open applies to real-time channels (call, chat, walk_in): an "
            "email backlog waits; set the email team's agent_groups.<g>.min_headcount instead"
        )
    if t.within_promise is not None and channel.promise_hours is None:
        return "targets.within_promise needs promise_hours"
    if (
        t.service_level is not None
        or t.max_abandon_rate is not None
        or t.max_asa_seconds is not None
    ):
        return (
            "email is deferred work: use promise_hours with targets.within_promise, not "
            "service_level / max_abandon_rate / max_asa_seconds"
        )
    return None


def foreign(channel: Any) -> str | None:
    if channel.promise_hours is not None or channel.targets.within_promise is not None:
        return f"promise_hours and targets.within_promise apply to email only, not {channel.kind}"
    if channel.arrivals.closed_hours_volume:
        return "arrivals.closed_hours_volume applies to email only"
    return None


def extra_kpis(*, channel: Any, reps: list, tot: dict, sc: dict, **_: Any) -> dict:
    """The promise KPIs: share answered by the promise, response time, backlog at the end."""
    responses = np.stack([r.response_hist[channel.name] for r in reps])
    edges = response_bin_edges()
    return {
        "within_promise": ratio(tot["within_promise"], tot["due"]),
        "response_mean_s": ratio(tot["response_sum"], tot["answered"]),
        "response_p90_s": np.array([histogram_quantile(h, 0.9, edges) for h in responses]),
        "backlog_at_end": sc["waiting_at_end"],
    }


KIND = ChannelKind(
    name="email",
    service=DEFERRED,
    default_priority=3,
    summary="deferred work: a backlog across intervals and days, a response promise",
    own_fields=("promise_hours", "targets.within_promise", "arrivals.closed_hours_volume"),
    rules=rules,
    foreign=foreign,
    extra_kpis=extra_kpis,
)

__all__ = ["KIND"]
