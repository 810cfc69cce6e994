"""staffsim's Streamlit app for what-if work: a thin router over the pages in ``app_pages/``.

Run it with ``staffsim app`` or ``streamlit run app.py``. Every page only reads widgets, calls
the public ``simulator`` API (cached on the scenario's YAML text and the seed) and draws.
"""

from __future__ import annotations

import streamlit as st

from app_pages import _background, _shared

st.set_page_config(
    page_title="staffsim",
    page_icon=":material/support_agent:",
    layout="wide",
)
_shared.init_state()

pages = [
    st.Page("app_pages/scenario.py", title="Scenario", icon=":material/tune:", default=True),
    st.Page("app_pages/simulate.py", title="Simulate", icon=":material/play_circle:"),
    st.Page("app_pages/compare.py", title="Compare", icon=":material/compare_arrows:"),
    st.Page("app_pages/import_history.py", title="Import history", icon=":material/upload:"),
]
if _shared.optimizer_available():
    pages[2:2] = [st.Page("app_pages/optimize.py", title="Optimize", icon=":material/auto_mode:")]
    pages.append(st.Page("app_pages/frontier.py", title="Frontier", icon=":material/show_chart:"))
navigation = st.navigation(pages)

with st.sidebar:
    scenario = _shared.current_scenario()
    st.markdown(f"**Current scenario**  \n{scenario.name}")
    st.caption(
        f"{st.session_state.get('scenario_source')}"
        + (" · edited" if st.session_state.get("scenario_edited") else "")
    )
    _background.sidebar_status()  # runs started on Simulate or Optimize, on every page

navigation.run()
