"""The provider contract: every provider passes the same specification on its server.

Each test runs once against Google (the real gcal-sync client and token exchange,
on the fake Google Calendar API) and against CalDAV on two servers, Radicale and
Xandikos (which has no access control: the read-only cases skip there).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from custom_components.shared_calendars.engine.content import content
from custom_components.shared_calendars.engine.ids import copy_id
from custom_components.shared_calendars.engine.model import (
    CopyMarker,
    Event,
    EventColor,
    EventStatus,
    Transparency,
)
from custom_components.shared_calendars.providers.base import (
    AuthFailed,
    CursorExpired,
    NotShared,
    RateLimited,
    Unreachable,
)

from .harness import ProviderHarness

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
START = datetime(2026, 12, 1, 9, 30, tzinfo=BERLIN)


@pytest.fixture(params=["google_harness", "caldav_harness", "xandikos_harness"])
def harness(request: pytest.FixtureRequest) -> ProviderHarness:
    """Run the test once per provider kind."""
    value: ProviderHarness = request.getfixturevalue(request.param)
    return value


def _id(name: str) -> str:
    """Return an event id every provider accepts (base32hex, as Google wants)."""
    return copy_id("contract", name)


def _timed(name: str, summary: str = "Dentist", **fields: object) -> Event:
    event_id = _id(name)
    values: dict[str, object] = {
        "id": event_id,
        "ical_uid": f"{event_id}@contract.test",
        "summary": summary,
        "start": START,
        "end": START + timedelta(hours=1),
    }
    values.update(fields)
    return Event(**values)  # type: ignore[arg-type]


def _full_series() -> Event:
    """Return a series with every feature both kinds of calendar keep."""
    first = datetime(2026, 12, 7, 18, 0, tzinfo=NEW_YORK)
    return _timed(
        "series",
        "Choir",
        description="Bring the scores.\nSecond line.",
        location="St. Mary's, Room 2",
        start=first,
        end=first + timedelta(minutes=90),
        rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=10",
        exdate=(first + timedelta(weeks=2),),
        transparency=Transparency.TRANSPARENT,
        status=EventStatus.TENTATIVE,
        color=EventColor.BASIL,
        copy_of=CopyMarker(source="uid:choir@example.com"),
        overrides=(
            _timed(
                "series",
                "Choir (concert)",
                start=first + timedelta(weeks=1, hours=1),
                end=first + timedelta(weeks=1, hours=3),
                recurrence_id=first + timedelta(weeks=1),
                color=EventColor.BASIL,
                transparency=Transparency.TRANSPARENT,
            ),
            _timed(
                "series",
                "Choir",
                start=first + timedelta(weeks=3),
                end=first + timedelta(weeks=3, minutes=90),
                recurrence_id=first + timedelta(weeks=3),
                status=EventStatus.CANCELLED,
                color=EventColor.BASIL,
                transparency=Transparency.TRANSPARENT,
            ),
        ),
    )


def _all_day() -> Event:
    return _timed(
        "holiday", "Holiday", start=date(2026, 12, 24), end=date(2026, 12, 27)
    )


async def test_lists_and_gets_calendars(harness: ProviderHarness) -> None:
    """A new calendar is listed and can be fetched, writable or read-only as shared."""
    writable = await harness.new_calendar("Family")
    read_only = await harness.new_read_only_calendar("Holidays")

    listed = {info.id: info for info in await harness.provider.list_calendars()}
    assert listed[writable].name == "Family"
    assert listed[writable].writable
    assert (await harness.provider.get_calendar(writable)).writable
    assert not (await harness.provider.get_calendar(read_only)).writable


async def test_unshared_calendar_raises_not_shared_naming_calendar_and_account(
    harness: ProviderHarness,
) -> None:
    """The error says which calendar, and with whom it has to be shared."""
    calendar_id = harness.unshared_calendar_id()
    with pytest.raises(NotShared) as caught:
        await harness.provider.get_calendar(calendar_id)
    assert caught.value.calendar_id == calendar_id
    assert caught.value.account == harness.provider.account
    assert harness.provider.account in str(caught.value)


async def test_wrong_credentials_raise_auth_failed(harness: ProviderHarness) -> None:
    """Refused credentials are an authentication failure, not a connection problem."""
    with pytest.raises(AuthFailed):
        await harness.provider_with_wrong_credentials().list_calendars()


async def test_unreachable_server_raises_unreachable(harness: ProviderHarness) -> None:
    """Nothing listening is reported as unreachable."""
    with pytest.raises(Unreachable):
        await harness.provider_for_unreachable_server().list_calendars()


@pytest.mark.parametrize(
    "make", [_timed, _all_day, _full_series], ids=["timed", "all-day", "series"]
)
async def test_put_then_get_keeps_every_detail(
    harness: ProviderHarness, make: object
) -> None:
    """What is written comes back the same: times, zones, rules, overrides, marker."""
    calendar = await harness.new_calendar("Round trip")
    event: Event = make("x") if make is _timed else make()  # type: ignore[operator]

    stored = await harness.provider.put_event(calendar, event)
    fetched = await harness.provider.get_event(calendar, event.id)

    assert fetched is not None
    for got in (stored, fetched):
        assert got.id == event.id
        assert content(got) == content(event)
        assert got.copy_of == event.copy_of
        assert got.all_day == event.all_day
        if isinstance(event.start, datetime):
            assert isinstance(got.start, datetime)
            assert got.start == event.start
            assert got.start.utcoffset() == event.start.utcoffset()


async def test_put_is_idempotent_and_replaces(harness: ProviderHarness) -> None:
    """Putting the same id twice leaves one event, with the second content."""
    calendar = await harness.new_calendar("Idempotent")
    await harness.provider.put_event(calendar, _timed("same"))
    await harness.provider.put_event(calendar, _timed("same", "Dentist (moved)"))

    listing = await harness.provider.changes(calendar, None)
    assert listing.complete
    assert [e.summary for e in listing.changed] == ["Dentist (moved)"]


async def test_delete_removes_and_tolerates_a_missing_event(
    harness: ProviderHarness,
) -> None:
    """A deleted event is gone; deleting it again, or an unknown id, is no error."""
    calendar = await harness.new_calendar("Delete")
    await harness.provider.put_event(calendar, _timed("gone"))
    await harness.provider.delete_event(calendar, _id("gone"))
    assert await harness.provider.get_event(calendar, _id("gone")) is None
    await harness.provider.delete_event(calendar, _id("gone"))
    await harness.provider.delete_event(calendar, _id("never-there"))


async def test_changes_since_cursor_report_created_changed_and_deleted(
    harness: ProviderHarness,
) -> None:
    """After a full listing, the cursor yields exactly what happened since."""
    calendar = await harness.new_calendar("Changes")
    await harness.provider.put_event(calendar, _timed("keep"))
    await harness.provider.put_event(calendar, _timed("edit"))
    await harness.provider.put_event(calendar, _timed("drop"))
    first = await harness.provider.changes(calendar, None)
    assert first.complete
    assert {e.id for e in first.changed} == {_id("keep"), _id("edit"), _id("drop")}

    nothing = await harness.provider.changes(calendar, first.cursor)
    assert (nothing.changed, nothing.deleted) == ((), ())

    await harness.provider.put_event(calendar, _timed("edit", "Edited"))
    await harness.provider.put_event(calendar, _timed("new"))
    await harness.provider.delete_event(calendar, _id("drop"))
    later = await harness.provider.changes(calendar, nothing.cursor)
    assert not later.complete
    assert {e.id: e.summary for e in later.changed} == {
        _id("edit"): "Edited",
        _id("new"): "Dentist",
    }
    assert set(later.deleted) == {_id("drop")}


async def test_expired_cursor_raises_and_a_full_listing_recovers(
    harness: ProviderHarness,
) -> None:
    """An expired cursor is reported as such; listing anew gives everything, once."""
    calendar = await harness.new_calendar("Expiry")
    await harness.provider.put_event(calendar, _timed("one"))
    cursor = (await harness.provider.changes(calendar, None)).cursor
    harness.expire_cursors()

    with pytest.raises(CursorExpired):
        await harness.provider.changes(calendar, cursor)
    again = await harness.provider.changes(calendar, None)
    assert again.complete
    assert [e.id for e in again.changed] == [_id("one")]


async def test_rate_limit_is_reported_with_retry_after(
    harness: ProviderHarness,
) -> None:
    """The server's request to slow down reaches the caller with its delay."""
    calendar = await harness.new_calendar("Busy server")
    harness.rate_limit_next(1, retry_after=7)
    with pytest.raises(RateLimited) as caught:
        await harness.provider.put_event(calendar, _timed("x"))
    assert caught.value.retry_after == 7
    # Nothing was written half-way: the retry creates the event once.
    await harness.provider.put_event(calendar, _timed("x"))
    assert len((await harness.provider.changes(calendar, None)).changed) == 1


async def test_server_errors_are_reported_as_unreachable(
    harness: ProviderHarness,
) -> None:
    """A 5xx is a passing failure of the server."""
    calendar = await harness.new_calendar("Failing server")
    harness.fail_next(1, status=503)
    with pytest.raises(Unreachable):
        await harness.provider.changes(calendar, None)


async def test_writing_to_a_read_only_calendar_is_refused_as_not_shared(
    harness: ProviderHarness,
) -> None:
    """A calendar shared without write access asks for "make changes" sharing."""
    calendar = await harness.new_read_only_calendar("Read only")
    with pytest.raises(NotShared):
        await harness.provider.put_event(calendar, _timed("x"))


async def test_copy_marker_survives_an_update(harness: ProviderHarness) -> None:
    """A replaced copy keeps its marker; an original never gains one."""
    calendar = await harness.new_calendar("Markers")
    marked = _timed("copy", copy_of=CopyMarker(source="uid:abc"))
    await harness.provider.put_event(calendar, marked)
    await harness.provider.put_event(calendar, replace(marked, summary="Changed"))
    await harness.provider.put_event(calendar, _timed("original"))

    listing = {
        e.id: e for e in (await harness.provider.changes(calendar, None)).changed
    }
    assert listing[_id("copy")].copy_of == CopyMarker(source="uid:abc")
    assert listing[_id("original")].copy_of is None


async def test_utc_and_all_day_boundaries_do_not_shift(
    harness: ProviderHarness,
) -> None:
    """A UTC event and a one-day all-day event come back on the same instants and dates."""
    calendar = await harness.new_calendar("Boundaries")
    utc = _timed(
        "utc",
        start=datetime(2026, 12, 31, 23, 30, tzinfo=UTC),
        end=datetime(2027, 1, 1, 0, 30, tzinfo=UTC),
    )
    one_day = _timed("day", start=date(2026, 12, 31), end=date(2027, 1, 1))
    await harness.provider.put_event(calendar, utc)
    await harness.provider.put_event(calendar, one_day)

    got = {e.id: e for e in (await harness.provider.changes(calendar, None)).changed}
    assert got[utc.id].start == utc.start
    assert got[utc.id].end == utc.end
    assert (got[one_day.id].start, got[one_day.id].end) == (one_day.start, one_day.end)
