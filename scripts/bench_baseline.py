"""The naive way, as the benchmark's reference: the original Django sync's strategy.

Each run lists every source calendar in full, compares each event with the row its
database keeps (by the provider's `updated`, or the whole event when a provider has
none), and writes what differs to every other member's combined calendar: a new
event is inserted, a changed one updated, a vanished one deleted. The rows live in
SQLite, one per source event, written when they change (as Django's ORM would).

It uses the integration's providers, so the two strategies talk to the same servers
through the same client code; only the strategy differs. Not part of the integration.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
import pickle
import sqlite3

from custom_components.shared_calendars.engine.ids import copy_id, ical_uid_of
from custom_components.shared_calendars.engine.model import (
    CalendarRef,
    CopyMarker,
    Event,
    Member,
)
from custom_components.shared_calendars.providers.base import CalendarProvider

_SCHEMA = """
create table if not exists event (
    calendar text not null,
    event_id text not null,
    body blob not null,
    primary key (calendar, event_id)
)
"""


class NaiveSync:
    """Lists everything every run and writes whatever differs from its database."""

    def __init__(
        self,
        providers: Mapping[str, CalendarProvider],
        database: Path,
        concurrency: int,
    ) -> None:
        """Keep the rows in `database`; write `concurrency` events at a time."""
        self._providers = providers
        self._database = database
        self._limit = asyncio.Semaphore(concurrency)

    async def run(self, members: Iterable[Member]) -> int:
        """Run once; return the number of copies written or deleted."""
        members = tuple(members)
        rows = await asyncio.to_thread(self._load)
        sources = [(member, ref) for member in members for ref in member.sources]
        listings = await asyncio.gather(
            *(
                self._providers[ref.account].changes(ref.calendar_id, None)
                for _, ref in sources
            )
        )
        writes = []
        changed_rows: dict[tuple[str, str], Event | None] = {}
        for (owner, ref), listing in zip(sources, listings, strict=True):
            targets = [
                other.combined
                for other in members
                if other is not owner and other.combined is not None
            ]
            seen = set()
            for event in listing.changed:
                seen.add(event.id)
                known = rows.get((ref.key, event.id))
                if known is not None and _same(known, event):
                    continue
                changed_rows[(ref.key, event.id)] = event
                writes += [self._put(ref, event, known, target) for target in targets]
            for (calendar, event_id), known in rows.items():
                if calendar == ref.key and event_id not in seen:
                    changed_rows[(calendar, event_id)] = None
                    writes += [self._delete(ref, known, target) for target in targets]
        await asyncio.gather(*writes)
        await asyncio.to_thread(self._store, changed_rows)
        return len(writes)

    async def _put(
        self,
        source: CalendarRef,
        event: Event,
        known: Event | None,
        target: CalendarRef,
    ) -> None:
        """Insert a new copy, or update the one written from the known row by id."""
        copy = _copy(source, event, target)
        previous = None if known is None else _copy(source, known, target)
        async with self._limit:
            await self._providers[target.account].put_event(
                target.calendar_id, copy, previous
            )

    async def _delete(
        self, source: CalendarRef, event: Event, target: CalendarRef
    ) -> None:
        copy = _copy(source, event, target)
        async with self._limit:
            await self._providers[target.account].delete_event(
                target.calendar_id, copy.id
            )

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self._database)
        connection.execute(_SCHEMA)
        return connection

    def _load(self) -> dict[tuple[str, str], Event]:
        with self._connect() as connection:
            return {
                (calendar, event_id): pickle.loads(body)  # noqa: S301 - our own rows
                for calendar, event_id, body in connection.execute(
                    "select calendar, event_id, body from event"
                )
            }

    def _store(self, changed: Mapping[tuple[str, str], Event | None]) -> None:
        with self._connect() as connection:
            for (calendar, event_id), event in changed.items():
                if event is None:
                    connection.execute(
                        "delete from event where calendar = ? and event_id = ?",
                        (calendar, event_id),
                    )
                else:
                    connection.execute(
                        "insert or replace into event values (?, ?, ?)",
                        (calendar, event_id, pickle.dumps(event)),
                    )


def _same(known: Event, listed: Event) -> bool:
    """Compare as the original did: by the `updated` times.

    Those of the series and of its moved occurrences; the whole event when the
    provider gives none.
    """
    stamps = [part.updated for part in (known, listed, *known.overrides)]
    if None in stamps:
        return known == listed
    return _updated(known) == _updated(listed)


def _updated(event: Event) -> tuple[object, ...]:
    return (event.updated, *(override.updated for override in event.overrides))


def _copy(source: CalendarRef, event: Event, target: CalendarRef) -> Event:
    """Return the copy of `event` for `target`, under an id derived from both."""
    event_id = copy_id(f"naive\n{source.key}\n{event.id}", target.key)

    def bare(part: Event) -> Event:
        return replace(
            part, id=event_id, ical_uid=ical_uid_of(event_id), organizer=None
        )

    return replace(
        bare(event),
        updated=None,
        overrides=tuple(bare(override) for override in event.overrides),
        copy_of=CopyMarker(source=f"naive:{source.key}:{event.id}"),
    )
