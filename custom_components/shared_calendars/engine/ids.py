"""Deterministic ids: the same source and target always give the same copy id.

Because a copy's id is derived, never stored first and then used, a cycle that
dies between writing a copy and recording it still finds that copy next time:
writing it again replaces it instead of creating a duplicate.
"""

from base64 import b32hexencode
from hashlib import sha256

COPY_UID_DOMAIN = "shared-calendars"


def copy_id(group_key: str, target_calendar_key: str) -> str:
    """Return the id of the copy of `group_key`'s event in a target calendar.

    Lower-case base32hex (a-v, 0-9) of 160 bits: 32 characters, inside what Google
    accepts for client-chosen event ids (base32hex, 5 to 1024 characters) and a safe
    CalDAV resource name and UID.
    """
    digest = sha256(f"{group_key}\n{target_calendar_key}".encode()).digest()[:20]
    return b32hexencode(digest).decode().lower()


def copy_ical_uid(copy_event_id: str) -> str:
    """Return the iCalendar UID a copy carries where the calendar keeps one."""
    return f"{copy_event_id}@{COPY_UID_DOMAIN}"
