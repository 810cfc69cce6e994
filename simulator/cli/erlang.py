"""``staffsim erlang``: agents needed for one interval's traffic, or the KPIs of a staffing.

Examples::

    staffsim erlang --calls 100 --period-minutes 30 --aht-seconds 180 \\
        --service-level 0.8 --within-seconds 20 --shrinkage 0.3 --max-occupancy 0.85
    staffsim erlang --calls 100 --period-minutes 30 --aht-seconds 180 --agents 13 \\
        --patience-seconds 120 --format json

Erlang C without ``--patience-seconds``; Erlang A (exponential patience) with it. All the
maths lives in :mod:`simulator.queueing.staffing` and :mod:`simulator.queueing.erlang`; this
module parses, checks options (messages name the option) and formats.
"""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

import numpy as np

from simulator.errors import InputError
from simulator.queueing.erlang import QueueKpis
from simulator.queueing.staffing import kpis_for_agents, required_agents, scheduled_agents


def _percent(v: float) -> str:
    return f"{100 * v:.2f}%"


def _seconds(v: float) -> str:
    return "inf" if math.isinf(v) else f"{v:.2f} s"


def _plain(v: float) -> str:
    return "inf" if math.isinf(v) else f"{v:.2f}"


_TARGET_NAMES = {
    "service_level": "service level",
    "max_asa_s": "ASA",
    "max_abandon_rate": "abandonment",
    "max_occupancy": "occupancy",
}


ORDER = 60
"""Where ``staffsim --help`` lists this command."""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``erlang`` sub-command to the ``staffsim`` parser."""
    parser = subparsers.add_parser(
        "erlang",
        help="agents needed for a traffic (Erlang C / A), or the KPIs of a staffing",
        description=(
            "Exact Erlang C (no abandonment) or Erlang A (with --patience-seconds) for one "
            "interval: the fewest agents meeting every target given, with shrinkage, or with "
            "--agents the KPIs that staffing achieves. Service level = answered within T / "
            "offered (abandoned calls count as failures)."
        ),
    )
    traffic = parser.add_argument_group("traffic")
    traffic.add_argument("--calls", type=str, required=True, help="contacts offered per period")
    traffic.add_argument(
        "--period-minutes", type=str, default="60", help="length of the period (default 60)"
    )
    traffic.add_argument(
        "--aht-seconds", type=str, required=True, help="average handle time, seconds"
    )
    traffic.add_argument(
        "--patience-seconds",
        type=str,
        help="mean patience before abandoning, seconds (switches to Erlang A)",
    )
    targets = parser.add_argument_group("targets (any combination)")
    targets.add_argument(
        "--service-level", type=str, help="share answered within T, e.g. 0.8 for 80%%"
    )
    targets.add_argument(
        "--within-seconds",
        type=str,
        default="20",
        help="T of the service level, seconds (default 20; also used for reporting)",
    )
    targets.add_argument("--max-asa-seconds", type=str, help="max average speed of answer")
    targets.add_argument(
        "--max-abandon-rate", type=str, help="max share abandoning (needs --patience-seconds)"
    )
    targets.add_argument("--max-occupancy", type=str, help="max agent occupancy, e.g. 0.85")
    parser.add_argument(
        "--shrinkage",
        type=str,
        default="0",
        help="share of paid time not answering (breaks, absence), in [0, 1); default 0",
    )
    parser.add_argument(
        "--agents",
        type=str,
        help="report the KPIs of this many agents answering (after shrinkage) instead",
    )
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.set_defaults(func=run)


_NUMERIC = (
    "calls",
    "period_minutes",
    "aht_seconds",
    "patience_seconds",
    "service_level",
    "within_seconds",
    "max_asa_seconds",
    "max_abandon_rate",
    "max_occupancy",
    "shrinkage",
    "agents",
)


def _option(dest: str) -> str:
    return "--" + dest.replace("_", "-")


def _parse_numbers(args: argparse.Namespace, problems: list[str]) -> None:
    """Numbers are parsed here rather than by argparse so that a bad one gives one line
    naming the option (argparse would print its usage block first)."""
    for dest in _NUMERIC:
        text = getattr(args, dest)
        if text is None or isinstance(text, float):
            continue
        try:
            value = float(text)
        except ValueError:
            problems.append(f"{_option(dest)}: must be a number, got {text!r}")
            value = math.nan
        else:
            if not math.isfinite(value):
                problems.append(f"{_option(dest)}: must be a finite number, got {text!r}")
        setattr(args, dest, value)


def _check(args: argparse.Namespace) -> None:
    """Every bad option, one line each, named as typed on the command line."""
    problems: list[str] = []
    _parse_numbers(args, problems)
    if problems:
        raise InputError(problems)

    def need(ok: bool, option: str, rule: str, value: float | None) -> None:
        if not ok:
            problems.append(f"{option}: {rule}, got {value:g}")

    need(args.calls >= 0, "--calls", "must be >= 0", args.calls)
    need(args.period_minutes > 0, "--period-minutes", "must be > 0", args.period_minutes)
    need(args.aht_seconds > 0, "--aht-seconds", "must be > 0", args.aht_seconds)
    need(args.within_seconds >= 0, "--within-seconds", "must be >= 0", args.within_seconds)
    need(0 <= args.shrinkage < 1, "--shrinkage", "must be in [0, 1)", args.shrinkage)
    if args.patience_seconds is not None:
        need(args.patience_seconds > 0, "--patience-seconds", "must be > 0", args.patience_seconds)
    if args.service_level is not None:
        sl = args.service_level
        if sl == 1:
            problems.append(
                "--service-level: 1 (100%) cannot be met: with random arrivals some contacts "
                "always wait; use e.g. 0.99"
            )
        else:
            need(0 < sl < 1, "--service-level", "must be a fraction in (0, 1), e.g. 0.8", sl)
    if args.max_asa_seconds is not None:
        need(
            args.max_asa_seconds > 0,
            "--max-asa-seconds",
            "must be > 0 (some contacts always wait)",
            args.max_asa_seconds,
        )
    if args.max_abandon_rate is not None:
        need(
            0 < args.max_abandon_rate <= 1,
            "--max-abandon-rate",
            "must be in (0, 1] (with finite patience some callers always abandon)",
            args.max_abandon_rate,
        )
        if args.patience_seconds is None:
            problems.append("--max-abandon-rate: needs --patience-seconds (Erlang A)")
    if args.max_occupancy is not None:
        need(
            0 < args.max_occupancy <= 1, "--max-occupancy", "must be in (0, 1]", args.max_occupancy
        )
    if args.agents is not None:
        need(
            args.agents >= 0 and args.agents == int(args.agents),
            "--agents",
            "must be a whole number >= 0",
            args.agents,
        )
    elif not _targets(args):
        problems.append(
            "no target: give --service-level, --max-asa-seconds, --max-abandon-rate or "
            "--max-occupancy, or --agents for the KPIs of a staffing"
        )
    if problems:
        raise InputError(problems)


def _targets(args: argparse.Namespace) -> dict[str, float]:
    given = {
        "service_level": args.service_level,
        "max_asa_s": args.max_asa_seconds,
        "max_abandon_rate": args.max_abandon_rate,
        "max_occupancy": args.max_occupancy,
    }
    return {name: value for name, value in given.items() if value is not None}


def run(args: argparse.Namespace) -> int:
    """Compute and print; InputError (exit 2) for bad options."""
    _check(args)
    rate_per_hour = args.calls * 60.0 / args.period_minutes
    targets = _targets(args)
    if args.agents is not None:
        agents = int(args.agents)
        kpis = kpis_for_agents(
            rate_per_hour,
            args.aht_seconds,
            agents,
            within_s=args.within_seconds,
            patience_s=args.patience_seconds,
        )
        scheduled, unrounded = scheduled_agents(agents, args.shrinkage)
        result = _result(args, rate_per_hour, agents, int(scheduled), float(unrounded), kpis)
        result["targets_met"] = {name: _met(name, value, kpis) for name, value in targets.items()}
    else:
        req = required_agents(
            rate_per_hour,
            args.aht_seconds,
            service_level=targets.get("service_level"),
            within_s=args.within_seconds,
            max_asa_s=targets.get("max_asa_s"),
            max_abandon_rate=targets.get("max_abandon_rate"),
            patience_s=args.patience_seconds,
            max_occupancy=targets.get("max_occupancy"),
            shrinkage=args.shrinkage,
        )
        result = _result(
            args,
            rate_per_hour,
            int(req.raw_agents),
            int(req.scheduled_agents),
            float(req.scheduled_unrounded),
            req.kpis,
        )
        result["binding"] = [b for b in str(req.binding).split("+") if b]
    print(json.dumps(result, indent=2) if args.format == "json" else _table(args, result))
    return 0


def _met(name: str, target: float, kpis: QueueKpis) -> bool:
    checks = {
        "service_level": lambda: float(kpis.service_level) >= target,
        "max_asa_s": lambda: float(kpis.asa_s) <= target,
        "max_abandon_rate": lambda: float(kpis.p_abandon) <= target,
        "max_occupancy": lambda: float(kpis.occupancy) <= target,
    }
    return bool(checks[name]())


def _finite(value: Any) -> float | None:
    """JSON has no infinity: unstable queues report null."""
    v = float(value)
    return v if math.isfinite(v) else None


def _result(
    args: argparse.Namespace,
    rate_per_hour: float,
    raw: int,
    scheduled: int,
    unrounded: float,
    kpis: QueueKpis,
) -> dict[str, Any]:
    erlang_a = args.patience_seconds is not None
    fields = ["p_wait", "service_level", "asa_s", "occupancy", "mean_queue_length"]
    if erlang_a:
        fields += ["p_abandon", "service_level_answered", "mean_wait_s"]
    return {
        "model": "erlang_a" if erlang_a else "erlang_c",
        "inputs": {
            "calls": args.calls,
            "period_minutes": args.period_minutes,
            "arrival_rate_per_hour": rate_per_hour,
            "aht_seconds": args.aht_seconds,
            "patience_seconds": args.patience_seconds,
            "within_seconds": args.within_seconds,
            "shrinkage": args.shrinkage,
            "targets": _targets(args),
        },
        "offered_load_erlangs": float(kpis.offered_load),
        "raw_agents": raw,
        "scheduled_agents": scheduled,
        "scheduled_unrounded": unrounded,
        "kpis": {name: _finite(getattr(kpis, name)) for name in fields},
        "service_level_definition": "answered within T / offered",
    }


def _table(args: argparse.Namespace, r: dict[str, Any]) -> str:
    k = {name: (np.inf if v is None else v) for name, v in r["kpis"].items()}
    t = f"{args.within_seconds:g} s"
    model = f"Erlang A (patience {args.patience_seconds:g} s)" if "p_abandon" in k else "Erlang C"
    rows: list[tuple[str, str]] = [
        ("model", model),
        ("traffic", f"{args.calls:g} per {args.period_minutes:g} min, AHT {args.aht_seconds:g} s"),
        ("offered load", f"{r['offered_load_erlangs']:.2f} Erlangs"),
    ]
    if r["inputs"]["targets"]:
        rows.append(("targets", _describe_targets(r["inputs"]["targets"], t)))
    given = "targets_met" in r
    rows += [
        ("agents answering" if given else "agents answering (raw)", str(r["raw_agents"])),
        (
            f"agents scheduled ({100 * args.shrinkage:g}% shrinkage)",
            f"{r['scheduled_agents']}  ({r['scheduled_unrounded']:.2f} unrounded)",
        ),
    ]
    if r.get("binding"):
        rows.append(("set by", ", ".join(_TARGET_NAMES[b] for b in r["binding"])))
    if given and r["targets_met"]:
        met = [
            f"{_TARGET_NAMES[n]} {'met' if ok else 'MISSED'}" for n, ok in r["targets_met"].items()
        ]
        rows.append(("targets", ", ".join(met)))
    rows += [
        ("P(wait)", _percent(k["p_wait"])),
        (f"service level ({t})", _percent(k["service_level"])),
    ]
    if "p_abandon" in k:
        rows += [
            (f"  of answered ({t})", _percent(k["service_level_answered"])),
            ("P(abandon)", _percent(k["p_abandon"])),
            ("ASA (answered)", _seconds(k["asa_s"])),
            ("mean wait (all)", _seconds(k["mean_wait_s"])),
        ]
    else:
        rows.append(("ASA", _seconds(k["asa_s"])))
    rows += [
        ("occupancy", _percent(k["occupancy"])),
        ("mean queue length", _plain(k["mean_queue_length"])),
    ]
    if "p_abandon" not in k and r["offered_load_erlangs"] >= r["raw_agents"] > 0:
        rows.append(("note", "load >= agents: without abandonment the queue grows forever"))
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"{label:<{width}}  {value}" for label, value in rows)


def _describe_targets(targets: dict[str, float], t: str) -> str:
    parts = []
    for name, value in targets.items():
        if name == "service_level":
            parts.append(f"{100 * value:g}% within {t}")
        elif name == "max_asa_s":
            parts.append(f"ASA <= {value:g} s")
        elif name == "max_abandon_rate":
            parts.append(f"abandonment <= {100 * value:g}%")
        else:
            parts.append(f"occupancy <= {100 * value:g}%")
    return ", ".join(parts)
