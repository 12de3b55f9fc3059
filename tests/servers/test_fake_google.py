"""The fake Google Calendar API behaves as Google documents it.

These tests talk raw HTTP (and gcal-sync, where it has the call) to the fake, so that
the provider tests can trust it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
import time
from typing import Any

from aiohttp import ClientSession, web
from gcal_sync.api import GoogleCalendarService, SyncEventsRequest
from gcal_sync.auth import AbstractAuth
from gcal_sync.model import DateOrDatetime, Event as GcalEvent
import jwt
import pytest

from tests.servers.fake_google import (
    CALENDAR_SCOPE,
    JWT_BEARER_GRANT,
    FakeGoogle,
    ManualClock,
    rsa_test_key,
)

ROBOT = "robot@test-project.iam.gserviceaccount.com"
OTHER = "other@test-project.iam.gserviceaccount.com"
TIMED = {
    "start": {"dateTime": "2024-05-01T10:00:00+02:00"},
    "end": {"dateTime": "2024-05-01T11:00:00+02:00"},
}
WEEKLY = {
    "summary": "Weekly",
    "start": {"dateTime": "2024-01-08T10:00:00", "timeZone": "Europe/Berlin"},
    "end": {"dateTime": "2024-01-08T11:00:00", "timeZone": "Europe/Berlin"},
    "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=10"],
}


@dataclass
class Api:
    """A raw HTTP client of the fake, authenticated as a service account."""

    server: FakeGoogle
    session: ClientSession
    token: str

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        params: dict[str, str] | list[tuple[str, str]] | None = None,
    ) -> tuple[int, Any]:
        """Return the status and the JSON body (None when there is none)."""
        async with self.session.request(
            method,
            f"{self.server.api_root}/{path}",
            json=json,
            params=params,
            headers={"Authorization": f"Bearer {self.token}"},
        ) as response:
            body = None if response.status == 204 else await response.json()
            return response.status, body

    async def events(self, calendar_id: str, **params: str) -> tuple[int, Any]:
        """Call events.list."""
        return await self.call("GET", f"calendars/{calendar_id}/events", params=params)


def assertion(server: FakeGoogle, *, key_index: int = 0, **claims: Any) -> str:
    """Sign a service-account assertion as Google's client libraries do."""
    now = int(server.clock())
    payload = {
        "iss": ROBOT,
        "scope": CALENDAR_SCOPE,
        "aud": server.token_uri,
        "iat": now,
        "exp": now + 3600,
    } | claims
    return jwt.encode(
        payload, rsa_test_key(key_index), algorithm="RS256", headers={"kid": "k1"}
    )


async def exchange(
    session: ClientSession, server: FakeGoogle, signed: str
) -> tuple[int, dict[str, Any]]:
    """POST an assertion to the token endpoint."""
    form = {"grant_type": JWT_BEARER_GRANT, "assertion": signed}
    async with session.post(server.token_uri, data=form) as response:
        return response.status, await response.json()


@pytest.fixture
def clock() -> ManualClock:
    """Return the clock the server believes in."""
    return ManualClock()


@pytest.fixture
async def server(socket_enabled: None, clock: ManualClock) -> AsyncIterator[FakeGoogle]:
    """Yield a fake with one registered service account."""
    loop = asyncio.get_running_loop()
    for index in (0, 1):
        await loop.run_in_executor(None, rsa_test_key, index)
    async with FakeGoogle(clock=clock) as fake:
        fake.register_service_account(ROBOT, rsa_test_key(0).public_key())
        fake.register_service_account(OTHER, rsa_test_key(1).public_key())
        yield fake


@pytest.fixture
async def session() -> AsyncIterator[ClientSession]:
    """Yield an HTTP session."""
    async with ClientSession() as client:
        yield client


@pytest.fixture
async def api(server: FakeGoogle, session: ClientSession) -> Api:
    """Return a client holding a valid access token for ROBOT."""
    status, body = await exchange(session, server, assertion(server))
    assert status == 200
    return Api(server, session, body["access_token"])


@pytest.fixture
def calendar(server: FakeGoogle) -> str:
    """Return a calendar shared with ROBOT to make changes to events."""
    calendar_id = server.create_calendar("Family", time_zone="Europe/Berlin")
    server.share(calendar_id, ROBOT, "writer")
    return calendar_id


# ------------------------------------------------------------------ token endpoint


async def test_token_endpoint_issues_expiring_bearer_tokens_for_a_signed_assertion(
    server: FakeGoogle, session: ClientSession
) -> None:
    """A correctly signed assertion yields a Bearer token with its lifetime."""
    server.token_lifetime = 1234
    status, body = await exchange(session, server, assertion(server))
    assert status == 200
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 1234
    assert body["access_token"] in server.access_tokens


NOW = int(time.time())


@pytest.mark.parametrize(
    ("claims", "key_index", "expected"),
    [
        ({}, 1, ("invalid_grant", "Invalid JWT Signature.")),
        ({"aud": "https://example.com/token"}, 0, ("invalid_grant", "audience")),
        ({"iss": "nobody@example.com"}, 0, ("invalid_grant", "account not found")),
        ({"exp": NOW + 7200}, 0, ("invalid_grant", "short-lived")),
        ({"iat": NOW - 9000, "exp": NOW - 5400}, 0, ("invalid_grant", "short-lived")),
        ({"scope": ""}, 0, ("invalid_scope", "Empty or missing scope")),
        ({"scope": "calendar"}, 0, ("invalid_scope", "Invalid OAuth scope")),
    ],
    ids=[
        "wrong-key",
        "wrong-aud",
        "unknown-iss",
        "too-long",
        "expired",
        "no-scope",
        "unknown-scope",
    ],
)
async def test_token_endpoint_refuses_bad_assertions_with_oauth_errors(
    server: FakeGoogle,
    session: ClientSession,
    claims: dict[str, Any],
    key_index: int,
    expected: tuple[str, str],
) -> None:
    """Signature, audience, issuer, lifetime and scope are all checked."""
    status, body = await exchange(
        session, server, assertion(server, key_index=key_index, **claims)
    )
    error, description = expected
    assert status == 400
    assert body["error"] == error
    assert description in body["error_description"]


async def test_a_token_without_a_calendar_scope_is_refused_by_the_api(
    server: FakeGoogle, session: ClientSession, calendar: str
) -> None:
    """Google issues it, the Calendar API answers 403 insufficientPermissions."""
    signed = assertion(server, scope="https://www.googleapis.com/auth/drive")
    status, body = await exchange(session, server, signed)
    assert status == 200
    api = Api(server, session, body["access_token"])
    status, reply = await api.events(calendar)
    assert (status, reply["error"]["errors"][0]["reason"]) == (
        403,
        "insufficientPermissions",
    )


async def test_token_endpoint_refuses_other_grant_types(
    server: FakeGoogle, session: ClientSession
) -> None:
    """Only the JWT-bearer grant exists for service accounts."""
    async with session.post(
        server.token_uri, data={"grant_type": "client_credentials"}
    ) as response:
        assert response.status == 400
        assert (await response.json())["error"] == "unsupported_grant_type"


async def test_expired_access_token_answers_401_with_googles_error_json(
    api: Api, clock: ManualClock, calendar: str
) -> None:
    """A token past its lifetime is refused like Google refuses it."""
    assert (await api.events(calendar))[0] == 200
    clock.advance(api.server.token_lifetime + 1)
    status, body = await api.events(calendar)
    assert status == 401
    assert body["error"]["errors"][0]["reason"] == "authError"


async def test_revoked_key_gets_no_new_tokens_and_old_tokens_stop_working(
    api: Api, session: ClientSession, calendar: str
) -> None:
    """Deleting the key in the cloud console is immediate."""
    api.server.revoke_key(ROBOT)
    assert (await api.events(calendar))[0] == 401
    status, body = await exchange(session, api.server, assertion(api.server))
    assert status == 400
    assert body["error"] == "invalid_grant"


# ----------------------------------------------------------------------- sharing


async def test_calendar_not_shared_with_the_account_answers_404_not_found(
    api: Api,
) -> None:
    """Google does not reveal whether a calendar exists."""
    calendar_id = api.server.create_calendar("Private")
    status, body = await api.events(calendar_id)
    assert status == 404
    assert body == {
        "error": {
            "code": 404,
            "message": "Not Found",
            "errors": [
                {"domain": "global", "reason": "notFound", "message": "Not Found"}
            ],
        }
    }


async def test_writing_to_a_read_only_calendar_answers_403_required_access_level(
    api: Api,
) -> None:
    """The permission "See all event details" lets the account read, not write."""
    calendar_id = api.server.create_calendar("Read only")
    api.server.share(calendar_id, ROBOT, "reader")
    assert (await api.events(calendar_id))[0] == 200
    status, body = await api.call("POST", f"calendars/{calendar_id}/events", json=TIMED)
    assert status == 403
    assert body["error"]["errors"][0]["reason"] == "requiredAccessLevel"


async def test_calendar_list_shows_only_listed_calendars_and_insert_adds_shared_ones(
    api: Api, calendar: str
) -> None:
    """A calendar shared with a service account is listed once it is inserted."""
    unlisted = api.server.create_calendar("Shared, unlisted")
    api.server.share(unlisted, ROBOT, "reader", in_calendar_list=False)
    api.server.create_calendar("Not shared")

    status, body = await api.call("GET", "users/me/calendarList")
    assert status == 200
    assert [(entry["id"], entry["accessRole"]) for entry in body["items"]] == [
        (calendar, "writer")
    ]
    assert (await api.call("GET", f"users/me/calendarList/{unlisted}"))[0] == 404

    status, entry = await api.call(
        "POST", "users/me/calendarList", json={"id": unlisted}
    )
    assert (status, entry["accessRole"]) == (200, "reader")
    status, body = await api.call("GET", "users/me/calendarList")
    assert [entry["id"] for entry in body["items"]] == [calendar, unlisted]


async def test_calendar_list_insert_of_an_unshared_calendar_answers_404(
    api: Api,
) -> None:
    """Nobody can list a calendar they cannot see."""
    hidden = api.server.create_calendar("Hidden")
    status, _ = await api.call("POST", "users/me/calendarList", json={"id": hidden})
    assert status == 404


async def test_calendars_insert_creates_a_calendar_the_account_owns(api: Api) -> None:
    """calendars.insert is how a test (or an account) makes its own calendar."""
    status, created = await api.call(
        "POST", "calendars", json={"summary": "Mine", "timeZone": "Europe/Paris"}
    )
    assert status == 200
    status, fetched = await api.call("GET", f"calendars/{created['id']}")
    assert (status, fetched["summary"], fetched["timeZone"]) == (
        200,
        "Mine",
        "Europe/Paris",
    )


# ------------------------------------------------------------------- event writes


@pytest.mark.parametrize(
    "event_id", ["abcd", "ABCDEF", "abcdw1", "abc_def", "abc-def", "a" * 1025]
)
async def test_insert_refuses_ids_outside_base32hex_5_to_1024(
    api: Api, calendar: str, event_id: str
) -> None:
    """Client-chosen ids use the characters a-v and 0-9, 5 to 1024 of them."""
    status, body = await api.call(
        "POST", f"calendars/{calendar}/events", json={"id": event_id, **TIMED}
    )
    assert status == 400
    assert body["error"]["errors"][0]["reason"] == "invalid"


@pytest.mark.parametrize("event_id", ["abcde", "v0" * 512])
async def test_insert_accepts_ids_of_5_and_1024_characters(
    api: Api, calendar: str, event_id: str
) -> None:
    """The bounds are inclusive."""
    status, body = await api.call(
        "POST", f"calendars/{calendar}/events", json={"id": event_id, **TIMED}
    )
    assert (status, body["id"]) == (200, event_id)


async def test_insert_stores_what_google_stores(api: Api, calendar: str) -> None:
    """Server fields are added; dateTime is shown in the event's time zone."""
    body = {
        "id": "ev00000001",
        "summary": "Dentist",
        "colorId": "11",
        "transparency": "transparent",
        "start": {"dateTime": "2024-05-01T08:00:00Z", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2024-05-01T09:00:00Z", "timeZone": "Europe/Berlin"},
        "extendedProperties": {"private": {"source": "a/b"}},
    }
    status, stored = await api.call("POST", f"calendars/{calendar}/events", json=body)
    assert status == 200
    assert stored["iCalUID"] == "ev00000001@google.com"
    assert stored["start"] == {
        "dateTime": "2024-05-01T10:00:00+02:00",
        "timeZone": "Europe/Berlin",
    }
    assert stored["status"] == "confirmed"
    assert stored["extendedProperties"] == {"private": {"source": "a/b"}}
    assert stored["organizer"]["email"] == calendar
    assert {"etag", "updated", "created", "sequence"} <= stored.keys()
    status, fetched = await api.call("GET", f"calendars/{calendar}/events/ev00000001")
    assert (status, fetched) == (200, stored)


async def test_insert_of_an_existing_or_deleted_id_answers_409_duplicate(
    api: Api, calendar: str
) -> None:
    """Google never hands out an event id twice, not even after a delete."""
    path = f"calendars/{calendar}/events"
    assert (await api.call("POST", path, json={"id": "ev00000001", **TIMED}))[0] == 200
    status, body = await api.call("POST", path, json={"id": "ev00000001", **TIMED})
    assert (status, body["error"]["errors"][0]["reason"]) == (409, "duplicate")
    assert (await api.call("DELETE", f"{path}/ev00000001"))[0] == 204
    status, _ = await api.call("POST", path, json={"id": "ev00000001", **TIMED})
    assert status == 409


async def test_update_restores_a_deleted_event(api: Api, calendar: str) -> None:
    """PUT on a deleted event brings it back (status defaults to confirmed)."""
    path = f"calendars/{calendar}/events"
    await api.call("POST", path, json={"id": "ev00000001", "summary": "Old", **TIMED})
    await api.call("DELETE", f"{path}/ev00000001")
    status, body = await api.call(
        "PUT", f"{path}/ev00000001", json={"summary": "Back", **TIMED}
    )
    assert (status, body["status"], body["summary"]) == (200, "confirmed", "Back")


async def test_update_replaces_the_resource_and_patch_merges_into_it(
    api: Api, calendar: str
) -> None:
    """PUT drops what the body omits; PATCH keeps it and merges objects."""
    path = f"calendars/{calendar}/events/ev00000001"
    created = api.server.insert_event(
        calendar,
        {
            "id": "ev00000001",
            "summary": "S",
            "location": "L",
            "extendedProperties": {"private": {"a": "1"}},
            **TIMED,
        },
    )
    status, patched = await api.call(
        "PATCH", path, json={"extendedProperties": {"private": {"b": "2"}}}
    )
    assert status == 200
    assert patched["location"] == "L"
    assert patched["extendedProperties"] == {"private": {"a": "1", "b": "2"}}
    assert patched["etag"] != created["etag"]
    status, replaced = await api.call("PUT", path, json={"summary": "T", **TIMED})
    assert status == 200
    assert "location" not in replaced
    assert "extendedProperties" not in replaced


async def test_update_and_delete_of_unknown_ids_answer_404(
    api: Api, calendar: str
) -> None:
    """Only events that exist can be changed."""
    path = f"calendars/{calendar}/events/ev00000404"
    assert (await api.call("PUT", path, json=TIMED))[0] == 404
    assert (await api.call("DELETE", path))[0] == 404
    assert (await api.call("GET", path))[0] == 404


async def test_delete_twice_answers_410_deleted(api: Api, calendar: str) -> None:
    """A deleted event stays deleted; deleting it again is Gone."""
    path = f"calendars/{calendar}/events"
    await api.call("POST", path, json={"id": "ev00000001", **TIMED})
    assert (await api.call("DELETE", f"{path}/ev00000001"))[0] == 204
    status, body = await api.call("DELETE", f"{path}/ev00000001")
    assert (status, body["error"]["errors"][0]["reason"]) == (410, "deleted")
    status, fetched = await api.call("GET", f"{path}/ev00000001")
    assert (status, fetched["status"]) == (200, "cancelled")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"start": TIMED["start"]}, "Missing end time."),
        (
            {"start": TIMED["end"], "end": TIMED["start"]},
            "The specified time range is empty.",
        ),
        ({"start": {"date": "2024-05-01"}, "end": TIMED["end"]}, "Start and end times"),
        (
            {**WEEKLY, "start": {"dateTime": "2024-01-08T10:00:00+01:00"}},
            "Missing time zone",
        ),
        ({**TIMED, "recurrence": ["FREQ=DAILY"]}, "Invalid recurrence rule."),
        ({**TIMED, "colorId": "12"}, "Invalid color id."),
    ],
    ids=[
        "no-end",
        "end-before-start",
        "date-and-datetime",
        "series-without-zone",
        "rrule-without-prefix",
        "colour",
    ],
)
async def test_malformed_events_answer_400(
    api: Api, calendar: str, body: dict[str, Any], message: str
) -> None:
    """Google validates times, recurrence and colours."""
    status, reply = await api.call("POST", f"calendars/{calendar}/events", json=body)
    assert status == 400
    assert reply["error"]["message"].startswith(message)


# ------------------------------------------------------------------ events.list


async def test_list_pages_with_max_results_and_gives_the_sync_token_on_the_last_page(
    api: Api, calendar: str
) -> None:
    """Each page but the last has nextPageToken, only the last has nextSyncToken."""
    for number in range(5):
        api.server.insert_event(calendar, {"id": f"ev0000000{number}", **TIMED})
    ids: list[str] = []
    pages: list[dict[str, Any]] = []
    params = {"maxResults": "2"}
    while True:
        status, body = await api.events(calendar, **params)
        assert status == 200
        pages.append(body)
        ids.extend(item["id"] for item in body["items"])
        if "nextPageToken" not in body:
            break
        params = {"pageToken": body["nextPageToken"]}
    assert sorted(ids) == [f"ev0000000{number}" for number in range(5)]
    assert [len(page["items"]) for page in pages] == [2, 2, 1]
    assert ["nextSyncToken" in page for page in pages] == [False, False, True]


async def test_sync_token_returns_only_changes_with_deleted_events_cancelled(
    api: Api, calendar: str
) -> None:
    """An incremental listing has what changed; deleted events carry only their id."""
    for number in range(3):
        api.server.insert_event(
            calendar, {"id": f"ev0000000{number}", "summary": "x", **TIMED}
        )
    _, first = await api.events(calendar)
    api.server.update_event(calendar, "ev00000001", {"summary": "changed", **TIMED})
    api.server.delete_event(calendar, "ev00000002")

    _, second = await api.events(calendar, syncToken=first["nextSyncToken"])
    assert [item["id"] for item in second["items"]] == ["ev00000001", "ev00000002"]
    assert second["items"][0]["summary"] == "changed"
    assert second["items"][1]["status"] == "cancelled"
    assert "summary" not in second["items"][1]

    _, third = await api.events(calendar, syncToken=second["nextSyncToken"])
    assert third["items"] == []


async def test_full_listing_hides_deleted_events_unless_show_deleted(
    api: Api, calendar: str
) -> None:
    """showDeleted=true brings deleted events into a full listing."""
    api.server.insert_event(calendar, {"id": "ev00000001", **TIMED})
    api.server.delete_event(calendar, "ev00000001")
    assert (await api.events(calendar))[1]["items"] == []
    _, shown = await api.events(calendar, showDeleted="true")
    assert [item["status"] for item in shown["items"]] == ["cancelled"]


async def test_invalidated_sync_token_answers_410_full_sync_required(
    api: Api, calendar: str
) -> None:
    """After expire_sync_tokens every issued token is Gone."""
    _, first = await api.events(calendar)
    api.server.expire_sync_tokens()
    status, body = await api.events(calendar, syncToken=first["nextSyncToken"])
    assert status == 410
    assert body["error"]["errors"][0]["reason"] == "fullSyncRequired"
    _, fresh = await api.events(calendar)
    assert (await api.events(calendar, syncToken=fresh["nextSyncToken"]))[0] == 200


async def test_sync_token_with_time_bounds_answers_400(api: Api, calendar: str) -> None:
    """timeMin/timeMax cannot be combined with a sync token."""
    _, first = await api.events(calendar)
    status, _ = await api.events(
        calendar, syncToken=first["nextSyncToken"], timeMin="2024-01-01T00:00:00Z"
    )
    assert status == 400


async def test_time_bounds_filter_a_full_listing(api: Api, calendar: str) -> None:
    """The timeMin bound compares with the end, timeMax with the start."""
    api.server.insert_event(calendar, {"id": "ev00000001", **TIMED})
    _, inside = await api.events(
        calendar, timeMin="2024-05-01T08:30:00Z", timeMax="2024-05-01T08:45:00Z"
    )
    _, after = await api.events(calendar, timeMin="2024-05-01T09:00:00Z")
    assert [item["id"] for item in inside["items"]] == ["ev00000001"]
    assert after["items"] == []


async def test_private_extended_property_and_ical_uid_filter_a_listing(
    api: Api, calendar: str
) -> None:
    """Only events with every asked-for private property (and that iCalUID) list."""
    api.server.insert_event(
        calendar,
        {"id": "ev00000001", "extendedProperties": {"private": {"k": "1"}}, **TIMED},
    )
    api.server.insert_event(
        calendar,
        {"id": "ev00000002", "extendedProperties": {"private": {"k": "2"}}, **TIMED},
    )
    _, by_property = await api.events(calendar, privateExtendedProperty="k=2")
    _, by_uid = await api.events(calendar, iCalUID="ev00000001@google.com")
    assert [item["id"] for item in by_property["items"]] == ["ev00000002"]
    assert [item["id"] for item in by_uid["items"]] == ["ev00000001"]


# ------------------------------------------------------------- recurring events


async def test_series_and_exceptions_are_listed_unexpanded(
    api: Api, calendar: str
) -> None:
    """singleEvents=false: one master, plus an item per changed or cancelled instance."""
    api.server.insert_event(calendar, {"id": "series0001", **WEEKLY})
    path = f"calendars/{calendar}/events"
    moved = {
        "summary": "Moved",
        "start": {"dateTime": "2024-01-15T12:00:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2024-01-15T13:00:00", "timeZone": "Europe/Berlin"},
    }
    status, exception = await api.call(
        "PUT", f"{path}/series0001_20240115T090000Z", json=moved
    )
    assert status == 200
    assert exception["recurringEventId"] == "series0001"
    assert exception["originalStartTime"]["dateTime"] == "2024-01-15T10:00:00+01:00"
    assert exception["iCalUID"] == "series0001@google.com"
    assert (await api.call("DELETE", f"{path}/series0001_20240122T090000Z"))[0] == 204

    _, listed = await api.events(calendar)
    items = {item["id"]: item for item in listed["items"]}
    assert set(items) == {
        "series0001",
        "series0001_20240115T090000Z",
        "series0001_20240122T090000Z",
    }
    # A cancelled exception of a live series is listed even without showDeleted,
    # with only the fields Google guarantees.
    assert items["series0001_20240122T090000Z"] == {
        "kind": "calendar#event",
        "etag": items["series0001_20240122T090000Z"]["etag"],
        "id": "series0001_20240122T090000Z",
        "status": "cancelled",
        "updated": items["series0001_20240122T090000Z"]["updated"],
        "recurringEventId": "series0001",
        "originalStartTime": {
            "dateTime": "2024-01-22T10:00:00+01:00",
            "timeZone": "Europe/Berlin",
        },
    }
    _, by_uid = await api.events(calendar, iCalUID="series0001@google.com")
    assert len(by_uid["items"]) == 3


async def test_instance_ids_that_are_no_occurrence_answer_404(
    api: Api, calendar: str
) -> None:
    """Only real occurrences of a series have instance ids."""
    api.server.insert_event(calendar, {"id": "series0001", **WEEKLY})
    path = f"calendars/{calendar}/events"
    assert (await api.call("GET", f"{path}/series0001_20240115T090000Z"))[0] == 200
    for wrong in ("series0001_20240116T090000Z", "series0001_20240115", "series0001_x"):
        assert (await api.call("GET", f"{path}/{wrong}"))[0] == 404


async def test_deleting_a_series_cancels_its_exceptions(
    api: Api, calendar: str
) -> None:
    """Nothing of a deleted series stays visible."""
    api.server.insert_event(calendar, {"id": "series0001", **WEEKLY})
    api.server.delete_event(calendar, "series0001_20240115T090000Z")
    api.server.delete_event(calendar, "series0001")
    assert (await api.events(calendar))[1]["items"] == []


# ------------------------------------------------------------------------ knobs


async def test_fail_next_answers_with_the_status_then_recovers(
    api: Api, calendar: str
) -> None:
    """fail_next(n, status) answers n requests with Google's backendError."""
    api.server.fail_next(2, 503)
    for _ in range(2):
        status, body = await api.events(calendar)
        assert (status, body["error"]["errors"][0]["reason"]) == (503, "backendError")
    assert (await api.events(calendar))[0] == 200


async def test_rate_limit_next_answers_429_with_retry_after(
    api: Api, session: ClientSession, calendar: str
) -> None:
    """429 bursts carry Retry-After when asked to."""
    api.server.rate_limit_next(1, retry_after=7)
    async with session.get(
        f"{api.server.api_root}/calendars/{calendar}/events",
        headers={"Authorization": f"Bearer {api.token}"},
    ) as response:
        assert response.status == 429
        assert response.headers["Retry-After"] == "7"
        body = await response.json()
    assert body["error"]["errors"][0] == {
        "domain": "usageLimits",
        "reason": "rateLimitExceeded",
        "message": "Rate Limit Exceeded",
    }


async def test_rate_limit_next_can_answer_googles_403_rate_limit_exceeded(
    api: Api, calendar: str
) -> None:
    """Google also signals rate limits as 403 with a usageLimits reason."""
    api.server.rate_limit_next(1, status=403, reason="userRateLimitExceeded")
    status, body = await api.events(calendar)
    assert (status, body["error"]["errors"][0]["reason"]) == (
        403,
        "userRateLimitExceeded",
    )


async def test_requests_are_counted_by_method_and_route(
    api: Api, calendar: str
) -> None:
    """The counter knows each API method by Google's name."""
    await api.events(calendar)
    await api.call("POST", f"calendars/{calendar}/events", json=TIMED)
    assert api.server.requests[("GET", "events.list")] == 1
    assert api.server.requests[("POST", "events.insert")] == 1
    assert api.server.count("token") == 1
    assert api.server.api_request_count() == 2


# --------------------------------------------------------------- push channels


@pytest.fixture
async def receiver(
    socket_enabled: None,
) -> AsyncIterator[tuple[str, list[dict[str, str]]]]:
    """Yield a loopback webhook address and the headers of what it received."""
    received: list[dict[str, str]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(dict(request.headers))
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/hook", received
    finally:
        await runner.cleanup()


async def test_watch_posts_a_sync_then_exists_notifications_until_stopped(
    api: Api, calendar: str, receiver: tuple[str, list[dict[str, str]]]
) -> None:
    """Google-style push: X-Goog-* headers, message numbers, the channel's token."""
    address, received = receiver
    status, channel = await api.call(
        "POST",
        f"calendars/{calendar}/events/watch",
        json={"id": "chan-1", "type": "web_hook", "address": address, "token": "t0k"},
    )
    assert status == 200
    api.server.insert_event(calendar, {"id": "ev00000001", **TIMED})
    await api.server.drain_notifications()

    assert [
        (
            headers["X-Goog-Resource-State"],
            headers["X-Goog-Message-Number"],
            headers["X-Goog-Channel-ID"],
            headers["X-Goog-Channel-Token"],
            headers["X-Goog-Resource-ID"],
        )
        for headers in received
    ] == [
        ("sync", "1", "chan-1", "t0k", channel["resourceId"]),
        ("exists", "2", "chan-1", "t0k", channel["resourceId"]),
    ]
    stop = {"id": "chan-1", "resourceId": channel["resourceId"]}
    assert (await api.call("POST", "channels/stop", json=stop))[0] == 204
    api.server.delete_event(calendar, "ev00000001")
    await api.server.drain_notifications()
    assert len(received) == 2
    assert (await api.call("POST", "channels/stop", json=stop))[0] == 404


async def test_watch_refuses_plain_http_addresses_other_than_loopback(
    api: Api, calendar: str
) -> None:
    """Google only calls HTTPS webhooks."""
    status, body = await api.call(
        "POST",
        f"calendars/{calendar}/events/watch",
        json={"id": "chan-1", "type": "web_hook", "address": "http://example.com/x"},
    )
    assert (status, body["error"]["errors"][0]["reason"]) == (
        400,
        "push.webhookUrlNotHttps",
    )


# ------------------------------------------------------------------ gcal-sync


class _StaticAuth(AbstractAuth):
    """gcal-sync auth with a token obtained beforehand."""

    def __init__(self, session: ClientSession, host: str, token: str) -> None:
        super().__init__(session, host)
        self._token = token

    async def async_get_access_token(self) -> str:
        return self._token


async def test_gcal_sync_lists_calendars_creates_and_syncs_events_against_the_fake(
    api: Api, session: ClientSession, calendar: str
) -> None:
    """The real gcal-sync client understands the fake's answers."""
    service = GoogleCalendarService(
        _StaticAuth(session, api.server.api_root, api.token)
    )
    calendars = await service.async_list_calendars()
    assert [entry.id for entry in calendars.items] == [calendar]
    await service.async_create_event(
        calendar,
        GcalEvent(
            summary="From gcal-sync",
            start=DateOrDatetime(date="2024-05-01"),
            end=DateOrDatetime(date="2024-05-02"),
        ),
    )
    pages = [
        page
        async for page in await service.async_list_events(
            SyncEventsRequest(calendar_id=calendar)
        )
    ]
    assert [event.summary for event in pages[-1].items] == ["From gcal-sync"]
    assert pages[-1].sync_token is not None
