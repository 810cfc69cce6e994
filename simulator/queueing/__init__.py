"""The analytic side: exact Erlang B / C / A formulas (:mod:`.erlang`), staffing
requirements from them (:mod:`.staffing`), finite lines (M/M/c/K and Erlang B with
retrials, :mod:`.finite`) and the fluid backlog model of deferred work such as email
(:mod:`.deferred`). Vectorised, fast, and independent of the simulation: used for
warm starts, quick estimates and ``staffsim erlang``, and validated against the simulation.
"""
