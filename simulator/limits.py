"""Documented limits on everything that sizes staffsim's work or memory.

Why limits at all: a scenario is a few lines of YAML, but some of those lines size the work
(``staffing: 1000000000`` means a billion agent objects; ``rate_per_hour: 1e12`` a trillion
contacts) or the arithmetic (``cost_per_hour: 1e308`` overflows to an infinite cost). Every
input is checked against these limits *before* any work starts, so an input either runs in
bounded time and memory or is refused with one message naming the field and the limit.

The limits are chosen generously for real contact centres (the largest sites have a few
thousand agents and a few hundred thousand contacts a day) and are stated, with the
reasoning, in ``docs/scenario-format.md`` ("Limits"). They live here, in one place, so the
docs, the validators and the tests quote the same numbers.
"""

from __future__ import annotations

from typing import Any

from simulator.clock import DAY_S

# ---- files ------------------------------------------------------------------------------
MAX_YAML_BYTES = 4_000_000
"""Largest YAML file read (bytes). A year of 15-minute volumes for one channel is ~200 kB;
the pure-Python YAML reader parses ~0.3 MB/s, so 4 MB is read in ~15 s at worst."""

MAX_YAML_DEPTH = 64
"""Deepest nesting of YAML collections. A scenario needs 7 levels; the reader's recursion
would fail near 300-1000 levels."""

MAX_YAML_NODES = 2_000_000
"""Most YAML nodes (values, lists, mappings) *after* alias expansion: a 1 kB file can name
one list through aliases 10⁹ times (an "alias bomb"); each use is counted."""

# ---- the centre -------------------------------------------------------------------------
MAX_CHANNELS = 100
"""Channels (queues) in one scenario."""

MAX_GROUPS = 200
"""Agent groups in one scenario."""

MAX_AGENTS_PER_GROUP = 100_000
"""Paid agents of one group on duty at once: a headcount (``staffing``), a shift's
``count``, the sum of the counts of a group's shifts, and the optimizer's headcount bounds.
The engine keeps one object per agent present."""

MAX_SHIFT_DAYS = 50_000
"""Shift-days in a scenario: the days each shift is worked, summed over every shift of every
group (100 shift patterns over a whole year is 36,600). Each one is a few staffing events."""

MAX_BREAKS_PER_SHIFT = 12
"""Breaks in one shift."""

MAX_INTERVAL_CELLS = 200_000
"""(channels + agent groups) × intervals of the horizon. Every per-interval statistic and
result row is one of these; a year of 30-minute intervals over 12 hours (8,784 intervals)
allows 22 channels and groups together."""

MAX_EXPECTED_CONTACTS = 2_000_000
"""Expected first contacts in one replication (all channels, volumes × scale, closed-hours
email included). At ~25,000 contacts per second per core that is ~80 s per replication, and
a queue holding all of them fits in ~1 GB."""

MAX_DURATION_S = 366 * DAY_S
"""Longest duration in any distribution (handle time, patience, delays), seconds: a year."""

MAX_PROMISE_HOURS = 366 * 24
"""Longest email response promise, hours: a year."""

MAX_ATTEMPTS = 50
"""Largest ``redial.max_attempts`` (attempts per customer, the first included)."""

MAX_CONTACTS_PER_ISSUE = 50
"""Largest ``resolution.max_contacts``. With the redial cap, one issue causes at most
50 × 50 attempts, however short its delays: a zero-delay retry cycle is bounded."""

MAX_COST_PER_HOUR = 1e9
"""Largest ``cost_per_hour`` (any currency): paid hours × cost stays far from overflow."""

MIN_CV = 1e-3
"""Smallest coefficient of variation (lognormal, gamma, day multiplier): below it the
gamma shape 1/cv² overflows or the draws underflow; use ``deterministic`` (or no day
multiplier) for no variation."""

MAX_SEED = 2**63 - 1
"""Largest seed: seeds are stored in 64-bit integer columns (batch outputs)."""

MAX_NAME_CHARS = 200
"""Longest scenario ``name`` (characters)."""

MAX_DESCRIPTION_CHARS = 10_000
"""Longest scenario ``description`` (characters)."""

# ---- runs -------------------------------------------------------------------------------
MAX_REPLICATIONS = 100_000
"""Most replications of one run (file, ``--replications``, ``simulate(replications=)``)."""

MAX_RESULT_BYTES = 2**30
"""Memory the per-replication statistics of one ``simulate`` run may take (estimated,
bytes): replications × (histograms + per-interval counters) of every channel and group."""

MAX_BATCH_ROWS = 10_000_000
"""Most per-replication KPI rows one batch run keeps (tasks × KPI rows per task)."""

# Bytes one replication keeps until aggregation, per channel and per group (see
# simulator.stats: 12 counters + 5 sums per interval; wait and response histograms), x2
# for the copies ``aggregate`` stacks, plus ~250 B per per-replication KPI row.
_CHANNEL_SERIES, _GROUP_SERIES = 17, 5


def replication_bytes(channels: int, groups: int, intervals: int) -> int:
    """Estimated memory one replication's statistics take until aggregated (bytes)."""
    from simulator.kpis import CHANNEL_KPIS, GROUP_KPIS
    from simulator.stats import N_RESPONSE_BINS, N_WAIT_BINS

    values = channels * (N_WAIT_BINS + N_RESPONSE_BINS + _CHANNEL_SERIES * intervals)
    values += groups * _GROUP_SERIES * intervals
    return 2 * 8 * values + 250 * (channels * len(CHANNEL_KPIS) + groups * len(GROUP_KPIS))


def replications_problems(
    replications: Any, channels: int, groups: int, intervals: int, *, field: str
) -> list[str]:
    """Why ``replications`` replications cannot run (too many, or too much memory)."""
    if isinstance(replications, bool) or not isinstance(replications, int):
        return [f"{field}: must be a whole number, got {replications!r}"]
    if replications < 1:
        return [f"{field}: must be >= 1, got {replications}"]
    if replications > MAX_REPLICATIONS:
        return [f"{field}: must be <= {MAX_REPLICATIONS:,}, got {replications:,}"]
    need = replications * replication_bytes(channels, groups, intervals)
    if need > MAX_RESULT_BYTES:
        most = max(1, MAX_RESULT_BYTES // replication_bytes(channels, groups, intervals))
        return [
            f"{field}: {replications:,} replications of this scenario would keep about "
            f"{need / 2**30:,.1f} GiB of statistics in memory (limit "
            f"{MAX_RESULT_BYTES / 2**30:g} GiB): use at most {most:,}, or run them as a "
            "batch (`staffsim batch`), which keeps only the KPIs of each replication"
        ]
    return []


def check_seed(seed: Any, *, field: str) -> list[str]:
    """Why ``seed`` cannot be used (not a whole number in 0 .. 2⁶³−1)."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        return [f"{field}: must be a whole number, got {seed!r}"]
    if seed < 0:
        return [f"{field}: must be >= 0, got {seed}"]
    if seed > MAX_SEED:
        return [f"{field}: must be <= 2**63 - 1 ({MAX_SEED}), got {seed}"]
    return []


__all__ = [
    "MAX_AGENTS_PER_GROUP",
    "MAX_ATTEMPTS",
    "MAX_BATCH_ROWS",
    "MAX_BREAKS_PER_SHIFT",
    "MAX_CHANNELS",
    "MAX_CONTACTS_PER_ISSUE",
    "MAX_COST_PER_HOUR",
    "MAX_DESCRIPTION_CHARS",
    "MAX_DURATION_S",
    "MAX_EXPECTED_CONTACTS",
    "MAX_GROUPS",
    "MAX_INTERVAL_CELLS",
    "MAX_NAME_CHARS",
    "MAX_PROMISE_HOURS",
    "MAX_REPLICATIONS",
    "MAX_RESULT_BYTES",
    "MAX_SEED",
    "MAX_SHIFT_DAYS",
    "MAX_YAML_BYTES",
    "MAX_YAML_DEPTH",
    "MAX_YAML_NODES",
    "MIN_CV",
    "check_seed",
    "replication_bytes",
    "replications_problems",
]
