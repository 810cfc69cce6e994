"""Import page: a planner's interval export in, a fitted or forecast scenario out.

Upload a CSV (or take a bundled sample), fix the column mapping, see history against the
fit per weekday and interval, and — when the export has an ``agents`` column — the back-check:
the last history week simulated with its recorded agents beside its recorded service level,
ASA and abandonment; forecast next weeks, then take the scenario into the other pages or
download it. All the work is ``simulator.history``; results are cached on the
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
CENTRE = SAMPLE.with_name("history_centre.csv")  # with agents: the back-check runs


@st.cache_data(show_spinner="Fitting the history…", max_entries=8)
def _fit(data: bytes, columns: str, timezone: str, weeks: int, forecast: bool) -> dict:
    """Plain data (YAML text and tables) so Streamlit can cache it."""
    from simulator.history.backcheck import readable, readable_days
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
    check = fitted.back_check
    if check is not None:
        out["back_check"] = {
            "title": f"{check.first:%a %-d %b} to {check.last:%a %-d %b %Y}, "
            f"{check.replications} replications",
            "table": readable(check.table),
            "days": readable_days(check.days),
            "chart": _back_check_chart_data(check.days),
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


def _back_check_chart_data(days: pd.DataFrame) -> pd.DataFrame:
    """Long table for the chart: channel, day (``Mon 5 Oct``), source, service level."""
    if "service_level_recorded" not in days:
        return pd.DataFrame()
    rows = []
    for _, r in days.iterrows():
        label = f"{r.date:%a %-d %b}"
        for source in ("recorded", "simulated"):
            value = r[f"service_level_{source}"]
            if value == value:
                rows.append({"channel": r.channel, "day": label, "source": source, "sl": value})
    return pd.DataFrame(rows)


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


def _show_back_check(check: dict) -> None:
    """The planner's proof: the fitted model against the centre's own recorded week."""
    import altair as alt

    st.markdown(
        f"**Back-check: the last history week simulated with its recorded agents** "
        f"({check['title']})"
    )
    st.caption(
        "Recorded = the export's own figures; simulated = mean ± 95% confidence interval of "
        "the fitted model run with that week's agents and daily volumes. Close figures mean "
        "the fitted handle times, patience and profile reproduce your centre."
    )
    st.dataframe(check["table"], hide_index=True)
    chart = check["chart"]
    if len(chart):
        st.altair_chart(
            alt.Chart(chart)
            .mark_bar()
            .encode(
                x=alt.X("day:N", sort=None, title=None),
                xOffset="source:N",
                y=alt.Y("sl:Q", title="service level", axis=alt.Axis(format="%")),
                color=alt.Color("source:N", title=None),
                column=alt.Column("channel:N", title=None),
                tooltip=["channel", "day", "source", alt.Tooltip("sl:Q", format=".1%")],
            )
            .properties(width=260, height=200)
        )
    with st.expander("Per day"):
        st.dataframe(check["days"], hide_index=True)


def render() -> None:
    st.title("Import history")
    st.caption(
        "Your ACD or WFM interval export: one row per interval and channel with "
        "interval_start, channel, offered, answered, abandoned, aht_seconds (and if you have "
        "them asa_seconds, avg_abandon_seconds, answered_within_target, agents). The fit becomes "
        "a one-week scenario from the Monday after the history; with agents, the last history "
        "week is simulated with them and set beside its recorded service (the back-check); the "
        "forecast covers the weeks you ask for."
    )
    left, right = st.columns(2)
    with left:
        uploaded = st.file_uploader("Interval export (CSV)", type=["csv"], key="history_upload")
        if st.button("Use the bundled sample history", icon=":material/dataset:"):
            st.session_state["history_bytes"] = SAMPLE.read_bytes()
            st.session_state["history_name"] = SAMPLE.name
        if st.button("Use the sample with agents (back-check)", icon=":material/fact_check:"):
            st.session_state["history_bytes"] = CENTRE.read_bytes()
            st.session_state["history_name"] = CENTRE.name
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
    if "back_check" in out:
        _show_back_check(out["back_check"])
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
