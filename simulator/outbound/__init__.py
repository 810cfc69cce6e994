"""Outbound call lists and blending: agents of inbound groups dial a list in idle time.

* :mod:`simulator.outbound.spec` — the scenario's ``outbound`` section (pydantic);
* :mod:`simulator.outbound.model` — the list compiled into seconds and indices;
* :mod:`simulator.outbound.replication` — the engine's blended replication (a subclass of
  :class:`simulator.engine.Replication`, used only when a scenario has outbound lists, so
  the inbound-only event loop is untouched);
* :mod:`simulator.outbound.results` — the outbound KPIs with their confidence intervals.

Why a section of its own rather than a channel kind: an outbound list has no arrivals,
patience, service level or inbound targets, and its load is set by the dialer, not by
customers. As a channel it would need an exemption in every consumer of channels (inbound
KPIs, the analytic warm start, the optimizer's targets, the app's channel forms); as a
section, nothing that reads channels changes, and a scenario without it is the same
scenario as before, bit for bit.
"""
