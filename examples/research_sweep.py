"""A researcher's sweep in a script: run (or reload) it, work with pandas, plot a trade-off.

The sweep ``scenarios/sweep_volume.yaml`` asks how many card specialists the retail bank
needs as volume grows (20 points x 10 replications). This script runs it on all cores,
storing results in ``--out`` as they finish (rerunning the script reuses them and computes
only what is missing), then draws cost against service level, one curve per volume level,
with 95% confidence intervals, to a PNG. Without matplotlib it prints the same numbers.

    python examples/research_sweep.py                      # ~1-2 min on 2 cores
    python examples/research_sweep.py --replications 20    # adds 10 replications per point
    python examples/research_sweep.py --sweep my_sweep.yaml --channel cards --by PARAM
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulator.batch import BatchResult, run_batch
from simulator.errors import InputError

ROOT = Path(__file__).resolve().parent.parent


def tradeoff(result: BatchResult, channel: str, by: str) -> pd.DataFrame:
    """One row per point: the parameters, the channel's service level (mean and 95% CI)
    and the total cost (mean), sorted by curve (``by``) then cost."""
    level = result.kpi_table("service_level", channel)
    cost = result.kpi_table("cost", "all")[["point", "mean"]].rename(columns={"mean": "cost"})
    table = level.merge(cost, on="point")
    return table.sort_values([by, "cost"]).reset_index(drop=True)


def plot(table: pd.DataFrame, channel: str, by: str, png: Path) -> bool:
    """Cost (x) against service level (y), one line per value of ``by``; False when
    matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only: no display needed
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for value, curve in table.groupby(by, sort=True):
        ax.errorbar(
            curve["cost"],
            curve["mean"] * 100,
            yerr=curve["ci_half_width"] * 100,
            marker="o",
            capsize=3,
            label=f"{'.'.join(by.split('.')[-2:])} = {value}",
        )
    ax.set_xlabel("total cost per day")
    ax.set_ylabel(f"service level, {channel} (%)")
    ax.set_ylim(0, 105)  # a CI may reach past 0 or 100%; the share itself cannot
    ax.set_title("Cost vs service level (95% CI over replications)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=120)
    plt.close(fig)
    return True


def as_text(table: pd.DataFrame, by: str, parameters: list[str]) -> str:
    """The trade-off as a table: a row per point, service level ± CI and cost."""
    view = table[[*parameters, "mean", "ci_half_width", "cost", "n"]].copy()
    view["service_level"] = [
        f"{m:.1%} ± {h * 100:.1f}" for m, h in zip(view["mean"], view["ci_half_width"], strict=True)
    ]
    view["cost"] = view["cost"].map("{:,.0f}".format)
    return view.drop(columns=["mean", "ci_half_width"]).to_string(index=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep", default=str(ROOT / "scenarios" / "sweep_volume.yaml"))
    parser.add_argument("--out", default="sweep_volume.parquet", help=".parquet or .csv")
    parser.add_argument("--replications", "-n", type=int, help="default: the sweep's")
    parser.add_argument("--workers", type=int, help="default: all cores")
    parser.add_argument(
        "--channel", help="channel whose service level is plotted (default: cards, else first)"
    )
    parser.add_argument("--by", help="parameter that separates the curves (default: last)")
    parser.add_argument("--png", default="tradeoff.png")
    args = parser.parse_args(argv)
    try:
        result = run_batch(
            args.sweep,
            replications=args.replications,
            workers=args.workers,
            out=args.out,
            resume=True,  # reuse whatever an earlier run stored; compute only the rest
        )
        summary = result.summary
        channels = list(dict.fromkeys(summary.loc[summary.entity_type == "channel", "entity"]))
        # the bundled sweep varies card specialists: their channel shows the trade-off best
        channel = args.channel or ("cards" if "cards" in channels else channels[0])
        by = args.by or result.parameters[-1]
        if by not in result.parameters:
            raise InputError(f"--by: {by!r} is not a swept parameter ({result.parameters})")
        table = tradeoff(result, channel, by)
    except InputError as exc:
        print("\n".join(f"error: {line}" for line in exc.problems), file=sys.stderr)
        return 2
    print(
        f"{result.name}: {result.tasks_stored}/{result.tasks_total} tasks stored "
        f"({result.tasks_run} run now, {result.tasks_resumed} reused) -> {args.out}"
    )
    if plot(table, channel, by, Path(args.png)):
        print(f"wrote {args.png}")
    else:
        print("matplotlib is not installed: the trade-off as a table")
        print(as_text(table, by, result.parameters))
    return 0 if result.complete else 1


if __name__ == "__main__":
    raise SystemExit(main())
