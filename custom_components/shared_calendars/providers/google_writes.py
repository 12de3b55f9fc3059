"""Writing one event to Google: its master, its instances, its detached overrides.

An event the caller saw in the calendar (`previous`: a copy the ledger knows) is
replaced part by part: only the resources that differ from what it held are
written, each with one events.update, with If-Match when this provider wrote the
resource last. A 412 (someone changed it meanwhile) or a 404 (it is gone) means
the caller's view is stale: the event is then written whole, as one nobody saw:
its master is inserted, and updated when its id is taken (409: a copy the ledger
lost), and every part is written.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
import logging

from ..engine.model import Event, EventStatus, SkippedEvent
from .base import InvalidEvent, Unreachable
from .google_events import (
    Json,
    Layout,
    detached_body,
    detached_id,
    instance_body,
    instance_id,
    layout,
    original_start,
    plain_body,
    read,
    stray_properties,
)
from .google_fold import fold

_LOGGER = logging.getLogger(__name__)


class GoogleApiError(Exception):
    """An HTTP error answer from the Calendar API, before it is given a meaning."""

    def __init__(
        self, status: int, reason: str, message: str, retry_after: float | None
    ) -> None:
        """Keep what the answer said."""
        super().__init__(f"{status} {reason}: {message}")
        self.status = status
        self.reason = reason
        self.message = message
        self.retry_after = retry_after


class _Stale(Exception):
    """The event is not what the caller saw."""


type Send = Callable[[str, str | None, Json, str | None], Awaitable[Json]]
"""(HTTP method, event id or None to insert, body, If-Match) -> the stored resource."""


@dataclass(kw_only=True)
class SeriesWriter:
    """Writes one event of one calendar; keeps the etag of every resource it wrote."""

    send: Send
    delete: Callable[[str], Awaitable[bool]]
    """Delete an event by id; False when Google does not know it."""
    series: Callable[[Json], Awaitable[list[Json]]]
    """A series' master and exceptions, listed."""
    detached: Callable[[str], Awaitable[list[Json]]]
    """A series' detached overrides, listed."""
    etags: Mapping[str, str]
    """Etags of the resources this provider wrote last, by event id."""
    written: dict[str, str] = field(default_factory=dict)
    """Etags of what this writer wrote, by event id."""
    removed: set[str] = field(default_factory=set)
    """Ids of what this writer deleted."""

    async def put(self, plan: Layout, previous: Event | None) -> Event:
        """Write the event `plan` lays out; return it as Google now holds it."""
        if previous is not None:
            try:
                old = layout(previous)
            except InvalidEvent:
                old = None
            if old is not None:
                try:
                    return await self._replace(plan, old, previous)
                except _Stale:
                    _LOGGER.debug("%s is not as last read: written whole", previous.id)
        return await self._put_whole(plan)

    async def _replace(self, plan: Layout, old: Layout, previous: Event) -> Event:
        """Write what differs from `old`, the layout of what the calendar held."""
        series = plan.series
        live = series.recurring and series.status is not EventStatus.CANCELLED
        wanted = {instance_id(series.id, original) for original, _ in plan.instances}
        master: Json | None = None
        if _differs(old.master, plan.master):
            try:
                master = await self._write(series.id, plan.master, conditional=True)
            except GoogleApiError as err:
                if err.status in (404, 410):
                    raise _Stale from None
                raise
        reset: list[Json] = []
        if master is not None and live:
            reset = await self._reset_stale_exceptions(series, master, wanted)
        before = {
            instance_id(series.id, original): instance_body(old.series, o, original)
            for original, o in old.instances
        }
        written, refused = await self._instances(plan, before)
        written.extend(reset)
        if master is None and live:
            # The master lists no exception: those it no longer overrides are known.
            for original, _ in old.instances:
                if (event_id := instance_id(series.id, original)) not in wanted:
                    body = plain_body(series, original)
                    written.append(await self._write(event_id, body, conditional=True))
        if refused:
            master = await self._detach_refused(plan, refused)
        present = {o.id: detached_body(old.series, o) for o in old.detached}
        written.extend(await self._put_detached(plan, refused, present))
        gone = [{"id": event_id, "status": "cancelled"} for event_id in self.removed]
        items = [*([master] if master is not None else []), *written, *gone]
        changed = fold(items, {series.id: previous}).changed
        found = next((e for e in changed if e.id == series.id), None)
        if found is not None:
            return found
        # Read only when the fold has not: each read of a resource costs as much.
        return _stored(master) if master is not None else previous

    async def _put_whole(self, plan: Layout) -> Event:
        """Write every part of the event, whatever the calendar holds."""
        series = plan.series
        master, updated = await self._upsert(plan.master)
        existing: list[Json] = []
        written: list[Json] = []
        if updated:
            existing = await self.detached(series.id)
            if series.recurring and series.status is not EventStatus.CANCELLED:
                wanted = {instance_id(series.id, o) for o, _ in plan.instances}
                written = await self._reset_stale_exceptions(series, master, wanted)
        instances, refused = await self._instances(plan, {})
        written.extend(instances)
        if refused:
            master = await self._detach_refused(plan, refused)
        present: dict[str, Json | None] = {item["id"]: None for item in existing}
        written.extend(await self._put_detached(plan, refused, present))
        changed = fold([master, *written]).changed
        found = next((e for e in changed if e.id == series.id), None)
        # Read only when the fold has not: each read of a resource costs as much.
        return found if found is not None else _stored(master)

    async def _instances(
        self, plan: Layout, before: Mapping[str, Json]
    ) -> tuple[list[Json], list[Event]]:
        """Write the overrides that are instances, unless `before` holds them already.

        Returns what was written, and the overrides Google says are no occurrence.
        """
        series = plan.series
        written: list[Json] = []
        refused: list[Event] = []
        for original, override in plan.instances:
            event_id = instance_id(series.id, original)
            body = instance_body(series, override, original)
            if (held := before.get(event_id)) is not None and not _differs(held, body):
                continue
            try:
                written.append(
                    await self._write(event_id, body, conditional=event_id in before)
                )
            except GoogleApiError as err:
                if err.status != 404:
                    raise
                refused.append(override)
        return written, refused

    async def _detach_refused(self, plan: Layout, refused: list[Event]) -> Json:
        """Mark the master for the overrides Google says are no occurrence after all.

        The engine's expansion and Google's may disagree on a rare rule; such an
        override is written detached, as one the series does not make.
        """
        series = plan.series
        detached = [*plan.detached, *(o for o in refused if not _cancelled(o))]
        cancelled = [
            *plan.cancelled,
            *(o.recurrence_id for o in refused if _cancelled(o) and o.recurrence_id),
        ]
        _LOGGER.debug(
            "Google says %d overrides of %s are no occurrences: written detached",
            len(refused),
            series.id,
        )
        patch = {
            "extendedProperties": {
                "private": stray_properties(series.id, detached, cancelled)
            }
        }
        return await self._send("patch", series.id, patch, None)

    async def _put_detached(
        self, plan: Layout, refused: list[Event], present: Mapping[str, Json | None]
    ) -> list[Json]:
        """Write the detached overrides; delete those the series no longer has.

        `present` holds the detached overrides the calendar holds, with their
        resources when known: one that would be written unchanged is not.
        """
        series = plan.series
        wanted = [
            *plan.detached,
            *(
                replace(o, id=detached_id(series.id, o.recurrence_id))
                for o in refused
                if not _cancelled(o) and o.recurrence_id is not None
            ),
        ]
        ids = {override.id for override in wanted}
        for event_id in present:
            if event_id not in ids:
                await self.delete(event_id)
                self.removed.add(event_id)
                self.written.pop(event_id, None)
        written: list[Json] = []
        for override in wanted:
            resource = detached_body(series, override)
            if override.id not in present:
                written.append((await self._upsert(resource))[0])
            elif (held := present[override.id]) is None or _differs(held, resource):
                conditional = held is not None
                written.append(
                    await self._write(override.id, resource, conditional=conditional)
                )
        return written

    async def _reset_stale_exceptions(
        self, series: Event, master: Json, wanted: set[str]
    ) -> list[Json]:
        """Reset exceptions Google holds but `series` no longer has to plain occurrences.

        Google keeps an exception until the series is deleted; one that matches its
        plain occurrence exactly reads back as no override at all. Returns the
        exceptions written.
        """
        written: list[Json] = []
        for item in await self.series(master):
            if item["id"] in wanted or "recurringEventId" not in item:
                continue
            folded = fold([master, item]).changed
            try:
                original = original_start(item)
            except ValueError, TypeError:
                continue  # not one this integration wrote: leave it
            if folded and folded[0].overrides and original is not None:
                body = plain_body(series, original)
                written.append(await self._write(item["id"], body))
        return written

    async def _upsert(self, body: Json) -> tuple[Json, bool]:
        """Insert an event under its id, or update it when the id is taken (409).

        Returns the stored resource and whether it was an update.
        """
        try:
            return await self._send("post", None, body, None), False
        except GoogleApiError as err:
            if err.status != 409:
                raise
        return await self._write(body["id"], body), True

    async def _write(
        self, event_id: str, body: Json, *, conditional: bool = False
    ) -> Json:
        """Update an event; when Google holds a higher SEQUENCE, keep Google's.

        Google refuses an update whose `sequence` is below the stored one (400
        "Invalid sequence value"), and raises its own when times change: the copy
        carries the source's SEQUENCE while that is ahead, and never goes back.
        `conditional`: only if it is as this provider last wrote it (else `_Stale`).
        """
        etag = self.etags.get(event_id) if conditional else None
        try:
            try:
                return await self._send("put", event_id, body, etag)
            except GoogleApiError as err:
                if not (
                    err.status == 400
                    and "sequence" in body
                    and "sequence" in err.message.lower()
                ):
                    raise
            lower = {key: value for key, value in body.items() if key != "sequence"}
            return await self._send("put", event_id, lower, etag)
        except GoogleApiError as err:
            if err.status == 412:
                raise _Stale from None
            raise

    async def _send(
        self, method: str, event_id: str | None, body: Json, if_match: str | None
    ) -> Json:
        result = await self.send(method, event_id, body, if_match)
        if isinstance(etag := result.get("etag"), str) and "id" in result:
            self.written[result["id"]] = etag
        return result


def _differs(held: Json, body: Json) -> bool:
    """Return whether writing `body` would change what `held` says.

    SEQUENCE aside: Google raises it on its own. Of a cancelled event Google keeps
    nothing else that reads back.
    """
    if held.get("status") == body.get("status") == "cancelled":
        return False
    return {k: v for k, v in held.items() if k != "sequence"} != {
        k: v for k, v in body.items() if k != "sequence"
    }


def _cancelled(event: Event) -> bool:
    return event.status is EventStatus.CANCELLED


def _stored(master: Json) -> Event:
    """Return a master as Google stored it (a cancelled one `fold` counts as deleted)."""
    found = read(master)
    if isinstance(found, SkippedEvent):
        raise Unreachable(
            f"Google stored event {master.get('id')} as something this integration "
            f"cannot read ({found.reason})."
        )
    return found
