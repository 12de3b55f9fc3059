"""Deterministic ids: the same source and target always give the same copy id.

Because a copy's id is derived, never stored first and then used, a cycle that
dies between writing a copy and recording it still finds that copy next time:
writing it again replaces it instead of creating a duplicate.
"""

from hashlib import sha256
from uuid import uuid4

COPY_UID_DOMAIN = "shared-calendars"


def copy_id(group_key: str, target_calendar_key: str) -> str:
    """Return the id of the copy of `group_key`'s event in a target calendar.

    160 bits as 40 lower-case hex digits: hex is a subset of base32hex (a-v, 0-9),
    so it is inside what Google accepts for client-chosen event ids (base32hex, 5 to
    1024 characters), and a safe CalDAV resource name and UID.
    """
    return sha256(f"{group_key}\n{target_calendar_key}".encode()).hexdigest()[:40]


def ical_uid_of(event_id: str) -> str:
    """Return the iCalendar UID of an event the integration writes (a copy or a new event).

    Calendars that keep a UID of their own (CalDAV) get one that cannot clash.
    """
    return f"{event_id}@{COPY_UID_DOMAIN}"


def new_event_id() -> str:
    """Return a fresh id for an event a person creates through the integration.

    Random, in the same alphabet as copy ids, so that Google accepts it as a
    client-chosen id and CalDAV as a resource name.
    """
    return copy_id("created", uuid4().hex)


def upsert_event_id(caller_id: str, calendar_key: str) -> str:
    """Return the id of the event a caller upserts under its own id in a calendar.

    Derived, like copy ids, so the same caller id in the same calendar always
    names the same event: upserting twice writes it once and then replaces it.
    """
    return copy_id(f"upsert\n{caller_id}", calendar_key)
