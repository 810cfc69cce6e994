"""Named random streams: one ``numpy.random.Generator`` per replication, purpose and channel.

Why named streams: common random numbers. The arrivals of channel ``voice`` in replication 3
come from their own stream, keyed by (seed, replication, purpose, channel name), so they are
the same whatever the staffing, the routing or the other channels — two plans are compared
on the same customers, and adding a channel to a scenario does not reshuffle the others.
Keys use a stable hash of the channel name (CRC-32), not its position in the file.

Every stream hands values out from blocks drawn by numpy (:class:`Draws`): one numpy call per
few thousand contacts instead of one per contact.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from enum import IntEnum

import numpy as np


class Purpose(IntEnum):
    """What a stream is used for; the value is part of its seed key, so never renumber."""

    ARRIVALS = 1
    HANDLE = 2
    PATIENCE = 3
    REDIAL = 4
    RESOLUTION = 5
    RETRIAL_ATTRIBUTES = 6
    DAY_MULTIPLIER = 7
    SHRINKAGE = 8
    ROUTING = 9
    LOOP = 10  # first-contact-resolution loop: repeat/escalate decisions and delays
    BUSY = 11  # finite lines: redial decisions and delays of blocked callers
    CALLBACK = 12  # callbacks: whether an offered caller accepts
    BALK = 13  # walk-in balking: whether a customer leaves the line seen, and their redials
    # Outbound lists (keyed by the list's name; created only for a scenario with lists).
    # Numbered apart from the inbound purposes, which may grow.
    OUTBOUND_CONNECT = 21  # whether an attempt reaches the right party
    OUTBOUND_HANDLE = 22  # handle time of a connect
    OUTBOUND_FAILED = 23  # agent time of an attempt without a connect (predictive: ring time)
    OUTBOUND_ANSWER = 24  # predictive dialer: ring time before a right party answers


def name_key(name: str) -> int:
    """Stable 32-bit key of a channel or group name (same in every Python process)."""
    return zlib.crc32(name.encode("utf-8"))


def stream(seed: int, replication: int, purpose: Purpose, name: str = "") -> np.random.Generator:
    """The generator for one (seed, replication, purpose, name): independent of every other
    key, and identical in any process, whatever the number of workers."""
    sequence = np.random.SeedSequence(
        entropy=seed, spawn_key=(replication, int(purpose), name_key(name))
    )
    return np.random.Generator(np.random.PCG64(sequence))


class Draws:
    """Values from ``sampler(rng, n)`` handed out one at a time from blocks of ``block``.

    ``next()`` costs a list pop; refills call numpy once per block. Deterministic: the k-th
    value is the same however the calls are interleaved with other streams.
    """

    __slots__ = ("_block", "_buffer", "_rng", "_sampler")

    def __init__(
        self,
        rng: np.random.Generator,
        sampler: Callable[[np.random.Generator, int], np.ndarray],
        block: int = 1024,
    ):
        self._rng = rng
        self._sampler = sampler
        self._block = block
        self._buffer: list[float] = []

    def next(self) -> float:
        buffer = self._buffer
        if not buffer:
            values = self._sampler(self._rng, self._block)
            buffer.extend(values[::-1].tolist())
        return buffer.pop()


def uniforms(rng: np.random.Generator, size: int) -> np.ndarray:
    """Sampler of U(0, 1) values, for Bernoulli decisions (redial, resolution)."""
    return rng.random(size)
