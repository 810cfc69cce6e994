"""Staffing optimizer (cheapest plan meeting the scenario's targets). Not built yet."""
