"""Write a synthetic interval export with known truth (see simulator/history/synthetic.py).

    python examples/make_history.py --weeks 12 --seed 2026 --out examples/history_sample.csv

Writes the CSV and, beside it, ``<name>.truth.json``: the weekly pattern, handle times,
patience, day-to-day cv and the holiday that generated it. ``--email`` adds an email channel
(arrivals around the clock; fit it with a ``--base`` whose ``email`` channel is email).

    python examples/make_history.py --centre --weeks 6 --seed 1 --out examples/history_centre.csv

writes instead the export of a centre simulated by staffsim itself
(``simulator.history.replay``), with the ``agents`` column, whose recorded service a fit's
back-check must reproduce; its truth is the scenario written beside it (``<name>.truth.yaml``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from simulator.history.synthetic import synthetic_history


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=12)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--interval-minutes", type=int, default=30, choices=(15, 30, 60))
    parser.add_argument("--out", default="examples/history_sample.csv")
    parser.add_argument("--email", action="store_true", help="add an email channel")
    parser.add_argument(
        "--centre", action="store_true", help="a simulated centre with its agents (replay)"
    )
    args = parser.parse_args()
    out = Path(args.out)
    if args.centre:
        from simulator.history.replay import export_of, truth_scenario

        scenario = truth_scenario(volume_share=0.5)
        frame = export_of(scenario, args.weeks, seed=args.seed)
        frame.to_csv(out, index=False)
        out.with_suffix(".truth.yaml").write_text(scenario.to_yaml(), encoding="utf-8")
        print(f"wrote {out} ({len(frame):,} rows) and {out.with_suffix('.truth.yaml')}")
        return
    frame, truth = synthetic_history(
        args.weeks, args.seed, interval_minutes=args.interval_minutes, email=args.email
    )
    frame.to_csv(out, index=False)
    facts = {
        "interval_minutes": truth.interval_minutes,
        "grid_open": f"{truth.grid_open_s // 3600:02d}:{truth.grid_open_s % 3600 // 60:02d}",
        "expected_per_weekday_and_interval": {
            c: [[round(v, 3) for v in row] for row in a.tolist()] for c, a in truth.expected.items()
        },
        "aht_seconds_per_interval": {
            c: [round(v, 2) for v in a[0].tolist()] for c, a in truth.aht_s.items()
        },
        "handle_cv": truth.handle_cv,
        "patience_seconds": truth.patience_s,
        "day_cv": truth.day_cv,
        "holiday": truth.holiday.isoformat(),
    }
    out.with_suffix(".truth.json").write_text(json.dumps(facts, indent=1), encoding="utf-8")
    print(f"wrote {out} ({len(frame):,} rows) and {out.with_suffix('.truth.json')}")


if __name__ == "__main__":
    main()
