"""The write pace of one account: as fast as its server lets it write, no faster.

A rate-limit answer pauses every write of the account, for the server's
Retry-After or a back-off that doubles while refusals go on, and slows the pace
down: to what the server accepted in the last minute (quotas are counted per
minute) and at least by half. Each accepted write speeds the pace up a little,
so that a quota is met by a refusal now and then, not by a storm of them while
the other writes go on as if nothing happened.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
import math

WINDOW = 60.0
"""Seconds over which servers count their quotas, and we count accepted writes."""
SLOW_DOWN = 0.5
"""A refusal at least halves the pace."""
SPEED_UP = 1.01
"""Each accepted write makes the pace 1% faster."""
FIRST_PACE = 1.0
"""Writes a second after a refusal when nothing was accepted yet to measure by."""
SLOWEST_PACE = 1 / WINDOW
"""One write a minute: the pace never gets slower than that."""
UNPACED_ABOVE = 20.0
"""Writes a second past which the account writes as fast as its concurrency allows."""
FIRST_BACKOFF = 2.0
"""Seconds of the first pause after a refusal without Retry-After; doubles after."""
LONGEST_BACKOFF = 600.0


class Deferred(Exception):
    """The write cannot start before the deadline: it waits for a later cycle."""


class Pacer:
    """Hands out the start times of one account's writes and learns from the answers."""

    def __init__(
        self, *, clock: Callable[[], float], sleep: Callable[[float], Awaitable[None]]
    ) -> None:
        """Start unpaced; `clock` and `sleep` are the caller's, in seconds."""
        self._clock = clock
        self._sleep = sleep
        self._gate = asyncio.Lock()
        self.pace: float | None = None
        """Writes a second, or None while unpaced."""
        self.paused_until = 0.0
        """No write starts before this time (the clock's) after a refusal."""
        self._next_start = 0.0
        self._backoff = FIRST_BACKOFF
        self._accepted: deque[float] = deque()
        self._last_refused = -math.inf
        self._accepted_since_slowed = True

    async def turn(self, deadline: float) -> float:
        """Wait for this write's turn and return when it starts.

        Raises `Deferred` when the turn would come after `deadline`. One writer at
        a time waits here; the others queue behind it, so a pause holds them all.
        """
        async with self._gate:
            now = self._clock()
            start = max(now, self.paused_until, self._next_start)
            while start > now:
                if start > deadline:
                    raise Deferred
                await self._sleep(start - now)
                # Sleep once per new reason to wait: a clock that did not move (in
                # tests) must not keep us here.
                later = max(self.paused_until, self._next_start)
                now = self._clock()
                if later <= start:
                    break
                start = later
            start = max(now, start)
            self._next_start = start + (1 / self.pace if self.pace else 0.0)
            return start

    def accepted(self) -> None:
        """Count a write the server took, and speed the pace up a little."""
        now = self._clock()
        self._accepted.append(now)
        self._forget_before(now - WINDOW)
        self._backoff = FIRST_BACKOFF
        self._accepted_since_slowed = True
        if self.pace is not None:
            self.pace *= SPEED_UP
            if self.pace > UNPACED_ABOVE:
                self.pace = None

    def refused(self, started: float, retry_after: float | None) -> None:
        """Pause every write, and slow the pace once per run of refusals.

        Writes already on their way when a refusal came were sent at the old pace:
        their refusals change nothing but a longer Retry-After. Refusals before any
        write is accepted again say that the pause was too short, not the pace too
        fast: those only lengthen the pause.
        """
        now = self._clock()
        self._forget_before(now - WINDOW)
        fresh = started > self._last_refused
        self._last_refused = now
        if retry_after is not None and retry_after > 0:
            self.paused_until = max(self.paused_until, now + retry_after)
        elif fresh:
            # Without Retry-After, a per-minute quota frees a write when the oldest
            # of the last minute is a minute old; the back-off covers other quotas.
            frees = self._accepted[0] + WINDOW - now if self._accepted else 0.0
            self.paused_until = max(self.paused_until, now + max(self._backoff, frees))
            self._backoff = min(LONGEST_BACKOFF, self._backoff * 2)
        if not fresh or not self._accepted_since_slowed:
            return
        candidates = [len(self._accepted) / WINDOW] if self._accepted else []
        if self.pace is not None:
            candidates.append(self.pace * SLOW_DOWN)
        self.pace = max(SLOWEST_PACE, min(candidates, default=FIRST_PACE))
        self._accepted_since_slowed = False

    def per_minute(self) -> float | None:
        """Return the pace in writes a minute, or None while unpaced."""
        return None if self.pace is None else round(self.pace * 60, 1)

    def _forget_before(self, moment: float) -> None:
        while self._accepted and self._accepted[0] < moment:
            self._accepted.popleft()
