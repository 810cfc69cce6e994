"""A planner's own data in: interval exports read, fitted and forecast into scenarios.

* :func:`read_history` — an ACD/WFM interval export on a calendar grid, problems reported;
* :func:`fit_history` — a one-week scenario from recent weeks (volumes, handle times by
  interval, day-to-day variation, patience, opening hours by weekday) with a fit report;
* :func:`forecast_history` — next weeks' volumes from a seasonal model chosen by back-test
  against seasonal-naive;
* :func:`synthetic_history` — a history with known truth, for tests and benchmarks.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "IntervalHistory": "simulator.history.columns",
    "read_history": "simulator.history.columns",
    "FitResult": "simulator.history.fit",
    "fit_history": "simulator.history.fit",
    "ForecastResult": "simulator.history.forecast",
    "forecast_history": "simulator.history.forecast",
    "HistoryTruth": "simulator.history.synthetic",
    "synthetic_history": "simulator.history.synthetic",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'simulator.history' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = sorted(_EXPORTS)
