"""Which originals the sync window lets through, and which a moved window touches.

An original is in the window when it starts before the window's end and ends after
its start; a series counts whole from its start. Every original's span is kept, so
that a window that moves finds the originals entering or leaving it without
looking at a single event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from .content import instant
from .model import Event, SyncWindow

type Span = tuple[int, int | float]
"""Start and end in microseconds since the epoch; a series ends never (infinity)."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_NEVER = float("inf")


def span(event: Event) -> Span:
    """Return the stretch of time an original counts for, as the window sees it."""
    start = _micros(instant(event.start, UTC))
    return start, _NEVER if event.recurring else _micros(instant(event.end, UTC))


type Bounds = tuple[int | float, int | float]
"""A window's start and end in microseconds since the epoch."""


def bounds(window: SyncWindow | None) -> Bounds:
    """Return a window's bounds (no window: all of time), to test many spans against."""
    if window is None:
        return -_NEVER, _NEVER
    return _micros(window.start), _micros(window.end)


def within(stretch: Span, limits: Bounds) -> bool:
    """Return whether a span falls between a window's bounds."""
    return stretch[0] < limits[1] and stretch[1] > limits[0]


def _micros(moment: datetime) -> int:
    """Return an aware time as whole microseconds: exact, unlike a float timestamp."""
    return (moment - _EPOCH) // _MICROSECOND


type Key = tuple[str, str]
"""(calendar key, event id)."""


class WindowIndex:
    """The span of every original, built when a window first moves, then kept."""

    def __init__(self) -> None:
        """Start unbuilt: a state loaded at start-up pays nothing for it."""
        self._spans: dict[Key, Span] | None = None

    def add(self, key: Key, event: Event) -> None:
        """Remember an original's span (once the index is built)."""
        if self._spans is not None:
            self._spans[key] = span(event)

    def discard(self, key: Key) -> None:
        """Forget an original."""
        if self._spans is not None:
            self._spans.pop(key, None)

    def crossing(
        self,
        old: SyncWindow | None,
        new: SyncWindow | None,
        originals: Callable[[], Iterable[tuple[Key, Event]]],
    ) -> list[Key]:
        """Return the originals one of the windows lets through and the other not.

        `originals` gives every original, to build the index the first time.
        """
        if old == new:
            return []
        if self._spans is None:
            self._spans = {key: span(event) for key, event in originals()}
        (old_low, old_high), (new_low, new_high) = bounds(old), bounds(new)
        return [
            key
            for key, (start, end) in self._spans.items()
            if (start < old_high and end > old_low)
            != (start < new_high and end > new_low)
        ]
