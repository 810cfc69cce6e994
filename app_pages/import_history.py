"""Import page: a planner's interval export in, a fitted or forecast scenario out.

Upload a CSV (or take the bundled sample), fix the column mapping, see history against the
fit per weekday and interval, forecast next weeks, then take the scenario into the other
pages or download it. All the work is ``simulator.history``; results are cached on the
file's bytes and the options.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import streamlit as st

from app_pages import _shared
from simulator import InputError
from simulator.history.columns import parse_columns
from simulator.scenario import WEEKDAYS

SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "history_sample.csv"


@st.cache_data(show_spinner="Fitting the history…", max_entries=8)
def _fit(data: bytes, columns: str, timezone: str, weeks: int, forecast: bool) -> dict:
    """Plain data (YAML text and tables) so Streamlit can cache it."""
    from simulator.history.columns import read_history
    from simulator.history.fit import fit_history
    from simulator.history.forecast import forecast_history

    frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    history = read_history(frame, columns=parse_columns(columns), timezone=timezone or None)
    fitted = fit_history(history)
    out = {
        "yaml": fitted.scenario.to_yaml(),
        "name": fitted.scenario.name,
        "method": fitted.method,
        "notes": list(fitted.notes),
        "report": fitted.report,
        "weekdays": fitted.weekday_report,
        "profiles": _profiles(history, fitted),
    }
    if forecast:
        result = forecast_history(history, weeks=weeks)
        out.update(
            yaml=result.scenario.to_yaml(),
            name=result.scenario.name,
            backtest=result.backtest,
            notes=list(result.notes),
        )
    return out


def _profiles(history, fitted) -> pd.DataFrame:
    """Long table: channel, weekday, interval start, history mean (all days) and fit."""
    rows = []
    weekdays = history.weekday_of()
    for channel, fit in fitted.channels.items():
        offered = history.data[channel]["offered"]
        for w in range(7):
            mine = offered[weekdays == w]
            if not len(mine) or fit.volumes[w].sum() <= 0:
                continue
            mean = pd.DataFrame(mine).mean(axis=0, skipna=True).to_numpy()  # every day kept
            for k in range(history.per_day):
                rows.append(
                    {
                        "channel": channel,
                        "weekday": WEEKDAYS[w],
                        "start": history.clock(k),
                        "history": float(mean[k]),
                        "fit": float(fit.volumes[w, k]),
                    }
                )
    return pd.DataFrame(rows)


def render() -> None:
    st.title("Import history")
    st.caption(
        "Your ACD or WFM interval export: one row per interval and channel with "
        "interval_start, channel, offered, answered, abandoned, aht_seconds (and if you have "
        "them asa_seconds, avg_abandon_seconds). The fit becomes a one-week scenario from the "
        "Monday after the history; the forecast covers the weeks you ask for."
    )
    left, right = st.columns(2)
    with left:
        uploaded = st.file_uploader("Interval export (CSV)", type=["csv"], key="history_upload")
        if st.button("Use the bundled sample history", icon=":material/dataset:"):
            st.session_state["history_bytes"] = SAMPLE.read_bytes()
            st.session_state["history_name"] = SAMPLE.name
        if uploaded is not None:
            st.session_state["history_bytes"] = uploaded.getvalue()
            st.session_state["history_name"] = uploaded.name
    with right:
        columns = st.text_input(
            "Column mapping",
            key="history_columns",
            placeholder="interval_start=Start,offered=Calls Offered",
            help="Only for columns whose names differ from the ones above.",
        )
        timezone = st.text_input(
            "Time zone", key="history_tz", placeholder="Europe/Berlin (optional)"
        )
        forecast = st.toggle("Forecast instead of the recent weeks", key="history_forecast")
        weeks = st.number_input("Weeks to forecast", 1, 12, 1, key="history_weeks")
    data = st.session_state.get("history_bytes")
    if data is None:
        st.info("Upload an export or take the bundled sample to start.")
        return
    try:
        out = _fit(data, columns, timezone, int(weeks), bool(forecast))
    except InputError as exc:
        _shared.show_problems(exc, f"{st.session_state['history_name']} could not be fitted")
        return
    st.subheader(out["name"])
    st.caption(f"Volumes: {out['method']}")
    for note in out["notes"]:
        st.caption(f"• {note}")
    st.dataframe(out["report"], hide_index=True)
    if "backtest" in out:
        st.markdown("**Back-test** (last weeks held out, interval level)")
        st.dataframe(
            out["backtest"].style.format({"wape": "{:.1%}", "bias": "{:+.1%}"}), hide_index=True
        )
    st.markdown("**History against the fit, per weekday**")
    st.dataframe(out["weekdays"], hide_index=True)
    profiles = out["profiles"]
    if len(profiles):
        c1, c2 = st.columns(2)
        channel = c1.selectbox("Channel", sorted(profiles.channel.unique()), key="history_ch")
        days = [w for w in WEEKDAYS if w in set(profiles.weekday)]
        weekday = c2.selectbox("Weekday", days, key="history_day")
        shown = profiles[(profiles.channel == channel) & (profiles.weekday == weekday)]
        st.line_chart(shown.set_index("start")[["history", "fit"]], y_label="contacts per interval")
    a, b = st.columns(2)
    if a.button("Use this scenario in the other pages", icon=":material/input:", type="primary"):
        _shared.set_scenario(out["yaml"], source=st.session_state["history_name"], edited=False)
        st.session_state["flash"] = (
            f"Loaded the scenario fitted to {st.session_state['history_name']}."
        )
        st.success("The other pages now work on this scenario.", icon=":material/check_circle:")
    b.download_button(
        "Download scenario YAML",
        out["yaml"],
        file_name="fitted_scenario.yaml",
        mime="application/x-yaml",
        icon=":material/download:",
    )


render()
