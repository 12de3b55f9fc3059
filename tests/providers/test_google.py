"""What the Google provider does beyond the shared contract.

Everything runs over real HTTP on loopback: the provider, gcal-sync and the JWT
exchange against the fake Google Calendar API. Speed is asserted by request counts.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
import json
import logging
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from homeassistant import block_async_io
import pytest

from custom_components.shared_calendars.engine.content import content
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
    InvalidEvent,
    NotShared,
    ProviderError,
    RateLimited,
    Unreachable,
)
from custom_components.shared_calendars.providers.google import (
    GoogleProvider,
    InvalidKey,
    ServiceAccountKey,
    async_parse_key,
)
from custom_components.shared_calendars.providers.google_events import MARKER_PROPERTY
from tests.providers.google_harness import SERVICE_ACCOUNT, GoogleHarness
from tests.servers.fake_google import ManualClock, rsa_test_key

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = datetime(2024, 1, 8, 10, tzinfo=BERLIN)
WEEKLY_BODY = {
    "summary": "Choir",
    "start": {"dateTime": "2024-01-08T10:00:00", "timeZone": "Europe/Berlin"},
    "end": {"dateTime": "2024-01-08T11:00:00", "timeZone": "Europe/Berlin"},
    "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=10"],
}


def single(event_id: str = "ev00000001", **fields: Any) -> Event:
    """Return a one-hour event on 1 May 2024 in Berlin."""
    start = datetime(2024, 5, 1, 10, tzinfo=BERLIN)
    values: dict[str, Any] = {
        "id": event_id,
        "ical_uid": f"{event_id}@test",
        "summary": "Dentist",
        "start": start,
        "end": start + timedelta(hours=1),
    } | fields
    return Event(**values)


def comparable(event: Event) -> Event:
    """Drop what Google sets itself (organizer, updated, created, sequence) for comparisons."""
    return replace(
        event,
        organizer=None,
        updated=None,
        created=None,
        sequence=0,
        overrides=tuple(comparable(override) for override in event.overrides),
    )


@pytest.fixture
def harness(google_harness: GoogleHarness) -> GoogleHarness:
    """Return the Google harness (shorter name)."""
    return google_harness


@pytest.fixture
async def clocked(
    socket_enabled: None,
) -> AsyncIterator[tuple[GoogleHarness, ManualClock]]:
    """Yield a harness whose provider and server share a clock the test moves."""
    clock = ManualClock()
    harness = await GoogleHarness.start(clock=clock)
    try:
        yield harness, clock
    finally:
        await harness.stop()


# ------------------------------------------------------------------- the key


def _key(**changes: Any) -> dict[str, Any]:
    from tests.servers.fake_google import service_account_key

    key: dict[str, Any] = service_account_key(
        SERVICE_ACCOUNT, "https://oauth2.googleapis.com/token", rsa_test_key(0)
    )
    for name, value in changes.items():
        if value is None:
            key.pop(name)
        else:
            key[name] = value
    return key


def _pem(private_key: Any, password: bytes | None = None) -> str:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    pem: bytes = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    return pem.decode()


@pytest.mark.parametrize(
    ("make_raw", "message"),
    [
        (lambda: "{not json", "The service-account key is not valid JSON."),
        (lambda: "[]", "The service-account key must be a JSON object."),
        (
            lambda: _key(type="authorized_user"),
            '"type" is "authorized_user", not "service_account"',
        ),
        (lambda: _key(type=None), '"type" is missing'),
        (
            lambda: _key(client_email=None, token_uri=""),
            'lacks "client_email", "token_uri".',
        ),
        (
            lambda: _key(client_email="robot"),
            '"client_email" is not an e-mail address.',
        ),
        (
            lambda: _key(token_uri="ftp://example.com"),
            '"token_uri" is not an http(s) URL.',
        ),
        (
            lambda: _key(
                private_key="-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
            ),
            "is not a PEM-encoded private key",
        ),
        (lambda: _key(private_key=_pem(rsa_test_key(0), b"secret")), "is encrypted"),
        (
            lambda: _key(private_key=_pem(ec.generate_private_key(ec.SECP256R1()))),
            "is not an RSA key.",
        ),
    ],
    ids=[
        "not-json",
        "not-object",
        "wrong-type",
        "no-type",
        "missing-fields",
        "bad-email",
        "bad-token-uri",
        "garbled-key",
        "encrypted-key",
        "ec-key",
    ],
)
def test_key_validation_says_exactly_what_is_wrong_without_quoting_the_key(
    make_raw: Any, message: str
) -> None:
    """Each broken key gets its own message; no key material, no chained cause."""
    raw = make_raw()
    with pytest.raises(InvalidKey) as caught:
        ServiceAccountKey.parse(json.dumps(raw) if isinstance(raw, dict) else raw)
    assert message in str(caught.value)
    assert isinstance(caught.value, AuthFailed)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__ or caught.value.__context__ is None
    pem_lines = _pem(rsa_test_key(0)).splitlines()[1:-1]
    assert not any(line in str(caught.value) for line in pem_lines)


async def test_a_valid_key_is_parsed_off_the_event_loop_and_never_shown() -> None:
    """The parsed key keeps the account and hides the private key from repr."""
    key = await async_parse_key(json.dumps(_key()))
    assert key.client_email == SERVICE_ACCOUNT
    assert key.key_id == "k1"
    assert "PRIVATE" not in repr(key)
    assert "signer" not in repr(key)


# ---------------------------------------------------------------- access tokens


async def test_concurrent_requests_share_one_token_exchange(
    harness: GoogleHarness,
) -> None:
    """Eight requests at once make one token request, not eight."""
    calendar_id = await harness.new_calendar("Family")
    await asyncio.gather(
        *(harness.provider.get_calendar(calendar_id) for _ in range(8))
    )
    assert harness.server.count("token") == 1
    assert harness.request_count() == 8


async def test_the_token_is_refreshed_before_it_expires(
    clocked: tuple[GoogleHarness, ManualClock],
) -> None:
    """A token is used until five minutes before its end, then replaced in time."""
    harness, clock = clocked
    calendar_id = await harness.new_calendar("Family")
    lifetime = harness.server.token_lifetime
    await harness.provider.changes(calendar_id, None)
    clock.advance(lifetime - 301)
    await harness.provider.changes(calendar_id, None)
    assert harness.server.count("token") == 1
    clock.advance(2)
    changes = await harness.provider.changes(calendar_id, None)
    assert harness.server.count("token") == 2
    # The old token was still valid: nothing was refused and retried.
    assert changes.requests == 1
    assert harness.request_count() == 3


async def test_a_token_google_stopped_accepting_is_replaced_once(
    harness: GoogleHarness,
) -> None:
    """A 401 drops the token and retries once with a new one."""
    calendar_id = await harness.new_calendar("Family")
    await harness.provider.changes(calendar_id, None)
    harness.server.expire_access_tokens()
    changes = await harness.provider.changes(calendar_id, None)
    assert harness.server.count("token") == 2
    assert changes.requests == 2


async def test_a_revoked_key_raises_auth_failed_naming_the_account(
    harness: GoogleHarness,
) -> None:
    """The token endpoint's invalid_grant becomes AuthFailed."""
    calendar_id = await harness.new_calendar("Family")
    await harness.provider.changes(calendar_id, None)
    harness.server.revoke_key(SERVICE_ACCOUNT)
    with pytest.raises(AuthFailed, match=SERVICE_ACCOUNT) as caught:
        await harness.provider.changes(calendar_id, None)
    assert "invalid_grant" in str(caught.value)


async def test_a_key_google_does_not_know_raises_auth_failed(
    harness: GoogleHarness,
) -> None:
    """A signature by another key is refused."""
    calendar_id = await harness.new_calendar("Family")
    with pytest.raises(AuthFailed, match="Invalid JWT Signature"):
        await harness.provider_with_wrong_credentials().get_calendar(calendar_id)


async def test_an_unreachable_token_endpoint_raises_unreachable(
    harness: GoogleHarness,
) -> None:
    """Connection refused is Unreachable, not an auth problem."""
    with pytest.raises(Unreachable, match="token endpoint could not be reached"):
        await harness.provider_for_unreachable_server().list_calendars()


# ----------------------------------------------------------------- error mapping


async def test_an_unshared_calendar_raises_not_shared_saying_how_to_share_it(
    harness: GoogleHarness,
) -> None:
    """Every call on it names the calendar, the account and the permission."""
    calendar_id = harness.unshared_calendar_id()
    provider = harness.provider
    calls = [
        provider.get_calendar(calendar_id),
        provider.changes(calendar_id, None),
        provider.get_event(calendar_id, "ev00000001"),
        provider.put_event(calendar_id, single()),
        provider.delete_event(calendar_id, "ev00000001"),
    ]
    for call in calls:
        with pytest.raises(NotShared) as caught:
            await call
        assert caught.value.calendar_id == calendar_id
        assert caught.value.account == SERVICE_ACCOUNT
        assert calendar_id in str(caught.value)
        assert SERVICE_ACCOUNT in str(caught.value)
        assert '"Make changes to events"' in str(caught.value)


async def test_a_read_only_calendar_is_readable_but_writes_raise_not_shared(
    harness: GoogleHarness,
) -> None:
    """403 requiredAccessLevel on a write is a sharing problem, not a rate limit."""
    calendar_id = await harness.new_read_only_calendar("Read only")
    info = await harness.provider.get_calendar(calendar_id)
    assert not info.writable
    assert (await harness.provider.changes(calendar_id, None)).changed == ()
    with pytest.raises(NotShared, match="Make changes to events"):
        await harness.provider.put_event(calendar_id, single())


@pytest.mark.parametrize(
    ("status", "reason", "retry_after", "expected"),
    [
        (429, "rateLimitExceeded", 7, 7.0),
        (429, "rateLimitExceeded", None, None),
        (403, "rateLimitExceeded", None, None),
        (403, "userRateLimitExceeded", None, None),
        (403, "quotaExceeded", 30, 30.0),
    ],
)
async def test_rate_limits_raise_rate_limited_with_retry_after(
    harness: GoogleHarness,
    status: int,
    reason: str,
    retry_after: int | None,
    expected: float | None,
) -> None:
    """429 and Google's 403 usage-limit reasons all mean: slow down."""
    calendar_id = await harness.new_calendar("Family")
    harness.server.rate_limit_next(
        1, retry_after=retry_after, status=status, reason=reason
    )
    with pytest.raises(RateLimited) as caught:
        await harness.provider.changes(calendar_id, None)
    assert caught.value.retry_after == expected


async def test_retry_after_as_an_http_date_becomes_seconds(
    harness: GoogleHarness,
) -> None:
    """Retry-After may also be a date; the delay is counted from now."""
    calendar_id = await harness.new_calendar("Family")
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    harness.server.rate_limit_next(1, retry_after=when)
    with pytest.raises(RateLimited) as caught:
        await harness.provider.changes(calendar_id, None)
    assert caught.value.retry_after is not None
    assert 60 < caught.value.retry_after <= 120


async def test_a_timeout_raises_unreachable(harness: GoogleHarness) -> None:
    """A server that does not answer in time is unreachable."""
    calendar_id = await harness.new_calendar("Family")
    provider = harness.make_provider(harness.key, timeout=0.05)
    await provider.get_calendar(calendar_id)
    harness.server.latency = 0.2
    with pytest.raises(Unreachable, match="TimeoutError"):
        await provider.changes(calendar_id, None)


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_raise_unreachable(
    harness: GoogleHarness, status: int
) -> None:
    """5xx answers are Google being down, not our fault."""
    calendar_id = await harness.new_calendar("Family")
    harness.fail_next(1, status)
    with pytest.raises(Unreachable, match=str(status)):
        await harness.provider.changes(calendar_id, None)


async def test_an_expired_sync_token_raises_cursor_expired_and_a_full_listing_recovers(
    harness: GoogleHarness,
) -> None:
    """410 fullSyncRequired: list again without a cursor, nothing lost."""
    calendar_id = await harness.new_calendar("Family")
    await harness.provider.put_event(calendar_id, single())
    first = await harness.provider.changes(calendar_id, None)
    harness.expire_cursors()
    with pytest.raises(CursorExpired):
        await harness.provider.changes(calendar_id, first.cursor)
    again = await harness.provider.changes(calendar_id, None)
    assert again.complete
    assert [event.id for event in again.changed] == ["ev00000001"]


@pytest.mark.parametrize("event_id", ["abcd", "ABCDEF", "with_underscore", "wxyz0"])
async def test_an_id_google_would_refuse_raises_invalid_event_before_any_request(
    harness: GoogleHarness, event_id: str
) -> None:
    """Copy ids must be base32hex, 5 to 1024 characters: checked locally."""
    calendar_id = await harness.new_calendar("Family")
    with pytest.raises(InvalidEvent, match="base32hex"):
        await harness.provider.put_event(calendar_id, single(event_id))
    assert harness.request_count() == 0


async def test_an_event_google_refuses_raises_invalid_event(
    harness: GoogleHarness,
) -> None:
    """400 from Google is InvalidEvent, with Google's message."""
    calendar_id = await harness.new_calendar("Family")
    backwards = single(end=datetime(2024, 5, 1, 9, tzinfo=BERLIN))
    with pytest.raises(InvalidEvent, match="time range is empty"):
        await harness.provider.put_event(calendar_id, backwards)


# ---------------------------------------------------------------------- changes


async def test_the_first_listing_is_complete_and_later_ones_hold_only_changes(
    harness: GoogleHarness,
) -> None:
    """Sync tokens: created, changed and deleted events since the cursor."""
    calendar_id = await harness.new_calendar("Family")
    provider = harness.provider
    await provider.put_event(calendar_id, single("ev00000001"))
    await provider.put_event(calendar_id, single("ev00000002"))
    first = await provider.changes(calendar_id, None)
    assert first.complete
    assert sorted(event.id for event in first.changed) == ["ev00000001", "ev00000002"]

    await provider.put_event(calendar_id, single("ev00000001", summary="Moved"))
    await provider.delete_event(calendar_id, "ev00000002")
    await provider.put_event(calendar_id, single("ev00000003"))
    second = await provider.changes(calendar_id, first.cursor)
    assert not second.complete
    assert {event.id: event.summary for event in second.changed} == {
        "ev00000001": "Moved",
        "ev00000003": "Dentist",
    }
    assert second.deleted == ("ev00000002",)


async def test_an_unchanged_calendar_costs_one_request(harness: GoogleHarness) -> None:
    """Nothing changed: one events.list with the sync token, nothing else."""
    calendar_id = await harness.new_calendar("Family")
    await harness.provider.put_event(calendar_id, single())
    first = await harness.provider.changes(calendar_id, None)
    before = harness.request_count()
    second = await harness.provider.changes(calendar_id, first.cursor)
    assert (second.changed, second.deleted) == ((), ())
    assert second.requests == 1
    assert harness.request_count() - before == 1


async def test_every_page_is_read(harness: GoogleHarness) -> None:
    """With two events a page, five events take three requests."""
    calendar_id = await harness.new_calendar("Family")
    for number in range(5):
        harness.server.insert_event(
            calendar_id, {"id": f"ev0000000{number}", **_timed_body()}
        )
    provider = harness.make_provider(harness.key, page_size=2)
    changes = await provider.changes(calendar_id, None)
    assert len(changes.changed) == 5
    assert changes.requests == 3


async def test_overlapping_calls_count_their_own_requests(
    harness: GoogleHarness,
) -> None:
    """ChangeSet.requests is per call, also when calls run concurrently."""
    first, second = await harness.new_calendar("A"), await harness.new_calendar("B")
    changes = await asyncio.gather(
        harness.provider.changes(first, None), harness.provider.changes(second, None)
    )
    assert [change.requests for change in changes] == [1, 1]


def _timed_body() -> dict[str, Any]:
    return {
        "start": {"dateTime": "2024-05-01T10:00:00+02:00"},
        "end": {"dateTime": "2024-05-01T11:00:00+02:00"},
    }


def _moved_exception() -> dict[str, Any]:
    return {
        "summary": "Choir (moved)",
        "start": {"dateTime": "2024-01-15T12:00:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2024-01-15T13:00:00", "timeZone": "Europe/Berlin"},
    }


async def test_a_series_and_its_exceptions_fold_into_one_event_with_overrides(
    harness: GoogleHarness,
) -> None:
    """A moved and a cancelled occurrence made in Google become overrides."""
    calendar_id = await harness.new_calendar("Family")
    server = harness.server
    server.insert_event(calendar_id, {"id": "series0001", **WEEKLY_BODY})
    server.update_event(calendar_id, "series0001_20240115T090000Z", _moved_exception())
    server.delete_event(calendar_id, "series0001_20240122T090000Z")

    changes = await harness.provider.changes(calendar_id, None)
    (series,) = changes.changed
    assert series.rrule == "FREQ=WEEKLY;COUNT=10"
    assert series.start == MONDAY
    moved, cancelled = series.overrides
    assert moved.recurrence_id == MONDAY + timedelta(days=7)
    assert moved.start == MONDAY + timedelta(days=7, hours=2)
    assert moved.summary == "Choir (moved)"
    assert moved.status is EventStatus.CONFIRMED
    assert cancelled.recurrence_id == MONDAY + timedelta(days=14)
    assert cancelled.status is EventStatus.CANCELLED
    assert cancelled.summary == "Choir"


async def test_a_changed_exception_alone_brings_its_whole_series(
    harness: GoogleHarness,
) -> None:
    """Only the exception changed: list it, then fetch the series by iCalUID."""
    calendar_id = await harness.new_calendar("Family")
    server = harness.server
    server.insert_event(calendar_id, {"id": "series0001", **WEEKLY_BODY})
    server.delete_event(calendar_id, "series0001_20240122T090000Z")
    first = await harness.provider.changes(calendar_id, None)

    server.update_event(calendar_id, "series0001_20240115T090000Z", _moved_exception())
    second = await harness.provider.changes(calendar_id, first.cursor)
    (series,) = second.changed
    assert series.id == "series0001"
    assert [override.status for override in series.overrides] == [
        EventStatus.CONFIRMED,
        EventStatus.CANCELLED,
    ]
    assert second.requests == 2


async def test_a_cancelled_occurrence_alone_brings_its_whole_series(
    harness: GoogleHarness,
) -> None:
    """A cancelled instance carries no iCalUID: get the master, then the series."""
    calendar_id = await harness.new_calendar("Family")
    server = harness.server
    server.insert_event(calendar_id, {"id": "series0001", **WEEKLY_BODY})
    first = await harness.provider.changes(calendar_id, None)

    server.delete_event(calendar_id, "series0001_20240122T090000Z")
    second = await harness.provider.changes(calendar_id, first.cursor)
    (series,) = second.changed
    assert [override.recurrence_id for override in series.overrides] == [
        MONDAY + timedelta(days=14)
    ]
    assert second.requests == 3


async def test_a_deleted_series_is_one_deletion(harness: GoogleHarness) -> None:
    """Deleting a series reports its id once; its exceptions do not stand alone."""
    calendar_id = await harness.new_calendar("Family")
    server = harness.server
    server.insert_event(calendar_id, {"id": "series0001", **WEEKLY_BODY})
    server.update_event(calendar_id, "series0001_20240115T090000Z", _moved_exception())
    first = await harness.provider.changes(calendar_id, None)
    server.delete_event(calendar_id, "series0001")
    second = await harness.provider.changes(calendar_id, first.cursor)
    assert (second.changed, second.deleted) == ((), ("series0001",))


# ----------------------------------------------------------------------- writes


def _series() -> Event:
    """Return a weekly series with a moved and a cancelled occurrence, marked a copy."""
    uid = "series0001@test"
    marker = CopyMarker(source="google:alice/abc")
    base = Event(
        id="series0001",
        ical_uid=uid,
        summary="Choir",
        description="Bring the scores",
        location="Church hall",
        start=MONDAY,
        end=MONDAY + timedelta(hours=1),
        rrule="FREQ=WEEKLY;UNTIL=20240401T000000Z",
        rdate=(datetime(2024, 1, 10, 18, tzinfo=BERLIN),),
        exdate=(MONDAY + timedelta(days=28), datetime(2024, 2, 12, 9, tzinfo=UTC)),
        status=EventStatus.TENTATIVE,
        transparency=Transparency.TRANSPARENT,
        color=EventColor.BASIL,
        copy_of=marker,
    )
    moved = replace(
        base,
        id="series0001_20240115T090000Z",
        summary="Choir (moved)",
        start=MONDAY + timedelta(days=7, hours=2),
        end=MONDAY + timedelta(days=7, hours=3),
        rrule=None,
        rdate=(),
        exdate=(),
        recurrence_id=MONDAY + timedelta(days=7),
        status=EventStatus.CONFIRMED,
    )
    cancelled = replace(
        base,
        id="series0001_20240122T090000Z",
        start=MONDAY + timedelta(days=14),
        end=MONDAY + timedelta(days=14, hours=1),
        rrule=None,
        rdate=(),
        exdate=(),
        recurrence_id=MONDAY + timedelta(days=14),
        status=EventStatus.CANCELLED,
    )
    return replace(base, overrides=(moved, cancelled))


async def test_a_series_round_trips_with_every_field(harness: GoogleHarness) -> None:
    """Time zone, RRULE/RDATE/EXDATE, overrides, status, busy, colour, marker."""
    calendar_id = await harness.new_calendar("Family")
    event = _series()
    stored = await harness.provider.put_event(calendar_id, event)
    fetched = await harness.provider.get_event(calendar_id, event.id)
    (listed,) = (await harness.provider.changes(calendar_id, None)).changed
    assert fetched is not None
    assert comparable(stored) == comparable(fetched) == comparable(listed) == event
    assert isinstance(fetched.start, datetime)
    assert fetched.start.tzinfo == BERLIN
    assert fetched.organizer == calendar_id
    assert fetched.updated is not None


async def test_an_all_day_event_round_trips_with_its_exclusive_end(
    harness: GoogleHarness,
) -> None:
    """All-day events are dates; an event on 1 May ends on 2 May."""
    calendar_id = await harness.new_calendar("Family")
    event = single(start=date(2024, 5, 1), end=date(2024, 5, 2), location="Beach")
    await harness.provider.put_event(calendar_id, event)
    assert harness.server.event(calendar_id, event.id)["end"] == {"date": "2024-05-02"}  # type: ignore[index]
    fetched = await harness.provider.get_event(calendar_id, event.id)
    assert fetched is not None
    assert comparable(fetched) == event
    assert fetched.all_day


async def test_an_all_day_series_with_overrides_round_trips(
    harness: GoogleHarness,
) -> None:
    """Occurrences of an all-day series are dates: ids `{id}_20240501`."""
    calendar_id = await harness.new_calendar("Family")
    first = date(2024, 5, 1)
    series = single(
        "a11da0series",
        start=first,
        end=first + timedelta(days=1),
        rrule="FREQ=DAILY;COUNT=5",
        exdate=(date(2024, 5, 4),),
    )
    moved = replace(
        series,
        id="a11da0series_20240502",
        summary="Moved",
        start=date(2024, 5, 10),
        end=date(2024, 5, 11),
        rrule=None,
        exdate=(),
        recurrence_id=date(2024, 5, 2),
    )
    cancelled = replace(
        series,
        id="a11da0series_20240503",
        start=date(2024, 5, 3),
        end=date(2024, 5, 4),
        rrule=None,
        exdate=(),
        recurrence_id=date(2024, 5, 3),
        status=EventStatus.CANCELLED,
    )
    event = replace(series, overrides=(moved, cancelled))
    await harness.provider.put_event(calendar_id, event)
    fetched = await harness.provider.get_event(calendar_id, event.id)
    assert fetched is not None
    assert comparable(fetched) == event


async def test_utc_and_fixed_offset_times_keep_their_instant(
    harness: GoogleHarness,
) -> None:
    """Times without an IANA zone come back as the same instant."""
    calendar_id = await harness.new_calendar("Family")
    offset = datetime(2024, 5, 1, 10, tzinfo=UTC).astimezone(
        datetime(2024, 5, 1, tzinfo=UTC).astimezone().tzinfo
    )
    event = single(start=datetime(2024, 5, 1, 8, tzinfo=UTC), end=offset)
    stored = await harness.provider.put_event(calendar_id, event)
    assert (stored.start, stored.end) == (event.start, event.end)


@pytest.mark.parametrize("zone", ["Etc/GMT", "Etc/UTC", "Atlantic/Reykjavik"])
async def test_a_series_in_a_zone_that_is_utc_reads_back_as_it_was_written(
    harness: GoogleHarness, zone: str
) -> None:
    """A zone that is UTC under another name is read as UTC, as it is written.

    Google's "Etc/GMT" is written back as "UTC", and CalDAV writes any such zone as
    `Z`: read under its own name, a copy of the series came back in "UTC", differed
    from what was written, and was rewritten on every cycle.
    """
    calendar_id = await harness.new_calendar("Family")
    raw = harness.server.insert_event(
        calendar_id,
        WEEKLY_BODY
        | {
            "start": {"dateTime": "2024-01-08T10:00:00", "timeZone": zone},
            "end": {"dateTime": "2024-01-08T11:00:00", "timeZone": zone},
        },
    )

    source = await harness.provider.get_event(calendar_id, raw["id"])
    assert source is not None
    copy = replace(source, id="c0ffee0001", ical_uid="c0ffee0001@test")
    await harness.provider.put_event(calendar_id, copy)
    written = await harness.provider.get_event(calendar_id, copy.id)

    assert written is not None
    assert content(written) == content(copy)
    assert source.start == datetime(2024, 1, 8, 10, tzinfo=UTC)
    assert isinstance(source.start, datetime)
    assert getattr(source.start.tzinfo, "key", None) == "UTC"


async def test_put_event_twice_updates_the_one_event(harness: GoogleHarness) -> None:
    """The second put gets 409 on insert and updates instead: still one event."""
    calendar_id = await harness.new_calendar("Family")
    await harness.provider.put_event(calendar_id, single())
    before = dict(harness.server.requests)
    stored = await harness.provider.put_event(calendar_id, single(summary="Changed"))
    assert stored.summary == "Changed"
    new = {
        key: harness.server.requests[key] - before.get(key, 0)
        for key in harness.server.requests
    }
    assert new[("POST", "events.insert")] == 1
    assert new[("PUT", "events.update")] == 1
    changes = await harness.provider.changes(calendar_id, None)
    assert [event.summary for event in changes.changed] == ["Changed"]


async def test_put_event_brings_back_a_deleted_copy(harness: GoogleHarness) -> None:
    """A deleted id answers 409 on insert; the update restores the event."""
    calendar_id = await harness.new_calendar("Family")
    await harness.provider.put_event(calendar_id, single())
    await harness.provider.delete_event(calendar_id, "ev00000001")
    assert await harness.provider.get_event(calendar_id, "ev00000001") is None
    await harness.provider.put_event(calendar_id, single())
    fetched = await harness.provider.get_event(calendar_id, "ev00000001")
    assert fetched is not None
    assert fetched.status is EventStatus.CONFIRMED


async def test_replacing_a_series_drops_the_overrides_it_no_longer_has(
    harness: GoogleHarness,
) -> None:
    """Exceptions Google still holds are reset to the plain occurrence."""
    calendar_id = await harness.new_calendar("Family")
    await harness.provider.put_event(calendar_id, _series())
    plain = replace(_series(), overrides=())
    stored = await harness.provider.put_event(calendar_id, plain)
    fetched = await harness.provider.get_event(calendar_id, plain.id)
    assert stored.overrides == ()
    assert fetched is not None
    assert comparable(fetched) == plain


async def test_the_copy_marker_lives_in_private_extended_properties(
    harness: GoogleHarness,
) -> None:
    """copy_of <-> extendedProperties.private.shared_calendars_source."""
    calendar_id = await harness.new_calendar("Family")
    marker = CopyMarker(source="caldav:bob/xyz")
    await harness.provider.put_event(calendar_id, single(copy_of=marker))
    stored = harness.server.event(calendar_id, "ev00000001")
    assert stored is not None
    assert stored["extendedProperties"] == {
        "private": {MARKER_PROPERTY: "caldav:bob/xyz"}
    }
    fetched = await harness.provider.get_event(calendar_id, "ev00000001")
    assert fetched is not None
    assert fetched.copy_of == marker
    unmarked = await harness.provider.put_event(calendar_id, single())
    assert unmarked.copy_of is None


async def test_deleting_a_missing_or_deleted_event_is_fine(
    harness: GoogleHarness,
) -> None:
    """404 and 410 on delete mean the event is gone already."""
    calendar_id = await harness.new_calendar("Family")
    await harness.provider.put_event(calendar_id, single())
    await harness.provider.delete_event(calendar_id, "ev00000001")
    await harness.provider.delete_event(calendar_id, "ev00000001")
    await harness.provider.delete_event(calendar_id, "ev00000404")
    assert await harness.provider.get_event(calendar_id, "ev00000404") is None


# -------------------------------------------------------------------- calendars


async def test_calendars_are_listed_and_a_shared_unlisted_one_is_added_on_get(
    harness: GoogleHarness,
) -> None:
    """Shared calendars may be missing from the list until the account adds them."""
    listed = await harness.new_calendar("Family")
    unlisted = harness.server.create_calendar("Bob", time_zone="Europe/Berlin")
    harness.server.share(unlisted, SERVICE_ACCOUNT, "writer", in_calendar_list=False)
    assert [info.id for info in await harness.provider.list_calendars()] == [listed]

    info = await harness.provider.get_calendar(unlisted)
    assert (info.name, info.writable, info.timezone) == ("Bob", True, "Europe/Berlin")
    assert harness.server.count("calendarList.insert") == 1
    assert [info.id for info in await harness.provider.list_calendars()] == [
        listed,
        unlisted,
    ]


# ------------------------------------------------------------------------- push


async def test_watch_makes_google_post_notifications_until_stopped(
    harness: GoogleHarness, socket_enabled: None
) -> None:
    """The channel token comes back in every notification."""
    received: list[tuple[str, str]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(
            (
                request.headers["X-Goog-Resource-State"],
                request.headers["X-Goog-Channel-Token"],
            )
        )
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        calendar_id = await harness.new_calendar("Family")
        channel = await harness.google.watch(
            calendar_id,
            channel_id="chan-1",
            address=f"http://127.0.0.1:{runner.addresses[0][1]}/hook",
            token="secret-token",
        )
        await harness.provider.put_event(calendar_id, single())
        await harness.server.drain_notifications()
        await harness.google.stop_watch(channel)
        await harness.google.stop_watch(channel)
        await harness.provider.delete_event(calendar_id, "ev00000001")
        await harness.server.drain_notifications()
    finally:
        await runner.cleanup()
    assert received == [("sync", "secret-token"), ("exists", "secret-token")]
    assert channel.expiration is not None


# ---------------------------------------------------------- secrets and the loop


async def _workout(harness: GoogleHarness) -> list[ProviderError]:
    """Use every call and every failure once; return the errors raised."""
    provider = harness.provider
    calendar_id = await harness.new_calendar("Family")
    await provider.list_calendars()
    await provider.get_calendar(calendar_id)
    await provider.put_event(calendar_id, _series())
    await provider.put_event(calendar_id, _series())
    first = await provider.changes(calendar_id, None)
    await provider.get_event(calendar_id, "series0001")
    await provider.delete_event(calendar_id, "series0001")
    await provider.changes(calendar_id, first.cursor)
    errors: list[ProviderError] = []
    harness.fail_next(1, 503)
    harness.rate_limit_next(1, 5)
    for _ in range(2):
        with pytest.raises(ProviderError) as caught:
            await provider.changes(calendar_id, None)
        errors.append(caught.value)
    for failing in (
        provider.changes(harness.unshared_calendar_id(), None),
        harness.provider_with_wrong_credentials().list_calendars(),
        harness.provider_for_unreachable_server().list_calendars(),
    ):
        with pytest.raises(ProviderError) as caught:
            await failing
        errors.append(caught.value)
    harness.server.expire_access_tokens()
    await provider.list_calendars()
    harness.server.revoke_key(SERVICE_ACCOUNT)
    with pytest.raises(AuthFailed) as auth_failed:
        await provider.list_calendars()
    errors.append(auth_failed.value)
    return errors


async def test_no_secret_reaches_a_log_line_or_an_exception_even_at_debug(
    harness: GoogleHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """Neither the key, the signed assertion nor an access token is ever shown."""
    caplog.set_level(logging.DEBUG)
    errors = await _workout(harness)

    formatter = logging.Formatter()
    shown = [record.getMessage() for record in caplog.records]
    shown += [
        formatter.formatException(r.exc_info) for r in caplog.records if r.exc_info
    ]
    for error in errors:
        shown += [
            str(error),
            repr(error),
            repr(error.__cause__),
            repr(error.__context__),
        ]
    text = "\n".join(shown)
    secrets = [
        *harness.server.issued_tokens,
        *harness.server.assertions,
        *(
            line
            for line in harness.key["private_key"].splitlines()
            if "-----" not in line
        ),
    ]
    assert len(harness.server.issued_tokens) >= 2
    assert any("request[" in message for message in shown)  # DEBUG was on
    assert not [secret for secret in secrets if secret in text]


async def test_the_provider_never_blocks_the_event_loop(
    harness: GoogleHarness,
    caplog: pytest.LogCaptureFixture,
    disable_block_async_io: None,
) -> None:
    """Home Assistant's blocking-call detector stays quiet through every call."""
    block_async_io.enable()
    await _workout(harness)
    assert "Detected blocking call" not in caplog.text


async def test_the_provider_owns_its_session_only_when_it_made_it(
    harness: GoogleHarness,
) -> None:
    """Without a session it makes one and closes it; a given session stays open."""
    own = GoogleProvider(
        ServiceAccountKey.parse(harness.key), api_root=harness.server.api_root
    )
    await own.close()
    assert own._session.closed
    await harness.google.close()
    assert not harness.session.closed
