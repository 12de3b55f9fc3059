"""Fold Google's event items into model events: exceptions go into their series.

A full listing holds every item of a series. An incremental one holds only the
items that changed: a changed exception alone, or a changed master without its
exceptions. Those are folded into the series as the caller last saw it (`known`),
so that a change to one occurrence costs no fetch of the whole series.

An item that cannot be read is skipped and reported: an unreadable master takes
its series with it (what the caller held of it stays), an unreadable exception or
detached override is left out of its series, which is reported by its id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import NamedTuple

from ..engine.intake import problem
from ..engine.model import DateOrDateTime, Event, EventStatus, SkippedEvent, SkipReason
from .google_events import (
    Json,
    cancelled_ids,
    detached_id,
    duration_of,
    means,
    occurrence_key,
    original_start,
    read,
    series_of,
    shift,
    skipped_of,
    sort_key,
    updated_of,
    well_formed,
    written_recurrence_id,
)

type _Overrides = dict[DateOrDateTime, Event]


class Folded(NamedTuple):
    """Google's items as the model holds them."""

    changed: list[Event]
    deleted: list[str]
    """Ids of deleted events."""
    skipped: list[SkippedEvent]
    """Items that could not be read."""


def fold(items: Iterable[object], known: Mapping[str, Event] | None = None) -> Folded:
    """Return the live events the items make, ids of deleted ones, what is unreadable.

    With `known` (the events of an incremental listing's calendar as last read), an
    exception or a detached override whose series is not among the items changes the
    series held there, and a changed master keeps the overrides held there. An
    exception whose series is nowhere (an invitation to one occurrence) stands alone,
    and so does a detached override whose series is not.
    """
    folder = Folder()
    folder.add(items)
    return folder.folded(known)


class _Read(NamedTuple):
    """A single event read as soon as it came: what it folds into needs no other item."""

    found: Event | SkippedEvent


class Folder:
    """Folds a listing page by page, as `fold` folds it whole.

    A page's single events (no recurrence, no exception, not cancelled) are read
    as it comes, so that a long listing holds them as events rather than as
    Google's resources (several times larger) until its last page.
    """

    def __init__(self) -> None:
        """Start with nothing sorted."""
        self._masters: dict[str, Json | _Read] = {}
        self._exceptions: dict[str, list[Json]] = {}
        self._detached: dict[str, list[Json]] = {}
        self._skipped: list[SkippedEvent] = []

    def add(self, items: Iterable[object]) -> None:
        """Sort items into series; read the single events among them."""
        for item in items:
            if not well_formed(item):
                self._skipped.append(skipped_of(item, SkipReason.UNREADABLE))
            elif master_id := item.get("recurringEventId"):
                self._exceptions.setdefault(master_id, []).append(item)
            elif series_id := series_of(item):
                self._detached.setdefault(series_id, []).append(item)
            elif "recurrence" in item or item.get("status") == "cancelled":
                self._masters[item["id"]] = item
            else:
                # A later item of the same id replaces it, in its place, as in `fold`.
                self._masters[item["id"]] = _Read(read(item))

    def folded(self, known: Mapping[str, Event] | None = None) -> Folded:
        """Return what the items added make (see `fold`)."""
        known = known or {}
        exceptions, detached, skipped = self._exceptions, self._detached, self._skipped
        changed: dict[str, Event] = {}
        deleted: list[str] = []
        strays: list[Json] = []
        for event_id, master in self._masters.items():
            own = exceptions.pop(event_id, [])
            if isinstance(master, _Read):
                series = master.found
                raw: Json | None = None
            elif master.get("status") == "cancelled":
                deleted.append(event_id)
                continue
            else:
                series = read(master)
                raw = master
            if isinstance(series, SkippedEvent):
                skipped.append(series)
                detached.pop(event_id, None)
                continue
            held = _held(known.get(event_id), series, new_master=True)
            folded, rejected = _with_overrides(
                series, held, own, detached.pop(event_id, []), skipped, master=raw
            )
            if folded is not None:
                changed[event_id] = folded
            strays.extend(rejected)
        for series_id in dict.fromkeys([*exceptions, *detached]):
            base = known.get(series_id)
            if base is None or not base.recurring:
                continue
            folded, rejected = _with_overrides(
                base,
                _held(base, base, new_master=False),
                exceptions.pop(series_id, []),
                detached.pop(series_id, []),
                skipped,
            )
            if folded is not None:
                changed[series_id] = folded
            strays.extend(rejected)
        _drop_deleted_detached(deleted, known, changed)
        events = list(changed.values())
        alone = [item for orphans in exceptions.values() for item in orphans]
        for items_of_series in detached.values():
            strays.extend(items_of_series)
        for item, occurrence in [
            *((i, True) for i in alone),
            *((i, False) for i in strays),
        ]:
            if occurrence and item.get("status") == "cancelled":
                continue
            found = read(item, occurrence=occurrence)
            if isinstance(found, SkippedEvent):
                skipped.append(found)
            else:
                events.append(found)
        return Folded(events, deleted, skipped)


def _with_overrides(
    series: Event,
    overrides: _Overrides,
    exceptions: list[Json],
    detached: list[Json],
    skipped: list[SkippedEvent],
    *,
    master: Json | None = None,
) -> tuple[Event | None, list[Json]]:
    """Return a series with its overrides, and the detached items that are not its.

    A cancelled occurrence keeps the series' content at its original time (Google
    guarantees nothing else of it); an exception that matches its plain occurrence
    exactly is no override at all, unless it was written as one. `master`, when
    given, says which occurrences it cancels that the series does not make. An
    override that cannot be read is left out; a series that cannot be read with
    its overrides is None.
    """
    if not series.recurring:
        return series, detached
    for item in exceptions:
        try:
            original = original_start(item)
        except Exception:  # noqa: BLE001  # a malformed originalStartTime
            skipped.append(skipped_of(item, SkipReason.INVALID_TIME, series.id))
            continue
        if original is None:
            continue
        key = occurrence_key(original)
        plain = _plain(series, item["id"], original, updated_of(item))
        if item.get("status") == "cancelled":
            overrides[key] = replace(plain, status=EventStatus.CANCELLED)
            continue
        override = read(item, ical_uid=series.ical_uid, recurrence_id=original)
        if isinstance(override, SkippedEvent):
            skipped.append(skipped_of(item, override.reason, series.id))
            continue
        written = written_recurrence_id(item)
        if written is not None and means(series.start, written, original):
            overrides[key] = replace(override, recurrence_id=written)
        elif replace(override, sequence=plain.sequence) != plain:
            overrides[key] = override
        else:
            overrides.pop(key, None)
    rejected: list[Json] = []
    for item in detached:
        rid = written_recurrence_id(item)
        if rid is None or item["id"] != detached_id(series.id, rid):
            rejected.append(item)  # not ours (a copy of one made by hand, say)
            continue
        found = read(item, ical_uid=series.ical_uid, recurrence_id=rid)
        if isinstance(found, SkippedEvent):
            skipped.append(skipped_of(item, found.reason, series.id))
            continue
        overrides[occurrence_key(rid)] = found
    for rid in cancelled_ids(master) if master is not None else ():
        overrides.setdefault(
            occurrence_key(rid),
            replace(
                _plain(series, detached_id(series.id, rid), rid, None),
                status=EventStatus.CANCELLED,
            ),
        )
    ordered = sorted(
        overrides.values(), key=lambda event: sort_key(event.recurrence_id)
    )
    whole = replace(series, overrides=tuple(ordered))
    if (reason := problem(whole)) is not None:
        skipped.append(skipped_of(master or {"id": series.id}, reason, series.id))
        return None, rejected
    return whole, rejected


def _held(held: Event | None, series: Event, *, new_master: bool) -> _Overrides:
    """Return the overrides a series held, as they read under its master `series`.

    Cancelled ones are derived from the master again (their content is its); with
    `new_master`, those its master property cancels come from the new master.
    """
    overrides: _Overrides = {}
    if held is None or not held.recurring:
        return overrides
    for override in held.overrides:
        rid = override.recurrence_id
        if rid is None:
            continue
        if override.id == detached_id(series.id, rid):
            if override.status is EventStatus.CANCELLED and new_master:
                continue  # the master's property says it, if it still is
            overrides[occurrence_key(rid)] = override
            continue
        # Keyed by the instance its id names, as a listing of it would be.
        key = occurrence_key(_original_of(series.id, override.id) or rid)
        if override.status is EventStatus.CANCELLED:
            plain = _plain(series, override.id, rid, override.updated)
            overrides[key] = replace(plain, status=EventStatus.CANCELLED)
        else:
            overrides[key] = override
    return overrides


def _plain(
    series: Event,
    event_id: str,
    original: DateOrDateTime,
    updated: datetime | None,
) -> Event:
    """Return the occurrence of `series` at `original` as Google shows it unchanged."""
    return replace(
        series,
        id=event_id,
        start=original,
        end=shift(original, duration_of(series.start, series.end)),
        rrule=None,
        extra_rrules=(),
        rdate=(),
        exdate=(),
        overrides=(),
        recurrence_id=original,
        updated=updated or series.updated,
    )


def _original_of(series_id: str, instance: str) -> DateOrDateTime | None:
    """Return the original start an instance id `{series}_{stamp}` names."""
    prefix, _, stamp = instance.rpartition("_")
    if prefix != series_id:
        return None
    try:
        if "T" in stamp:
            return datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        return datetime.strptime(stamp, "%Y%m%d").date()
    except ValueError:
        return None


def _drop_deleted_detached(
    deleted: list[str], known: Mapping[str, Event], changed: dict[str, Event]
) -> None:
    """Take deleted detached overrides (ids of no event) out of their series."""
    gone = {event_id for event_id in deleted if event_id not in known}
    if not gone:
        return
    for series_id, series in [*known.items(), *changed.items()]:
        if not series.overrides or not any(o.id in gone for o in series.overrides):
            continue
        current = changed.get(series_id, series)
        changed[series_id] = replace(
            current, overrides=tuple(o for o in current.overrides if o.id not in gone)
        )
