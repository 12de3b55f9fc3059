"""What the integration needs from icalendar, in names that 6.3 and 7.x both have.

Home Assistant's own CalDAV integration pins icalendar 6.3.1; where a user runs it,
that is the version installed, so nothing here may use a name only 7.x has (such as
`icalendar.is_utc`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Component
from icalendar.timezone import tzid_from_dt


def is_utc(value: date) -> bool:
    """Return whether a time is in UTC, under any of its names, as icalendar counts it.

    icalendar counts a zone as UTC when its offset is zero all year and it has no
    daylight saving time: Etc/GMT, Zulu, Atlantic/Reykjavik, Africa/Abidjan...
    Dates and naive times are not in UTC.
    """
    if not isinstance(value, datetime) or value.tzinfo is None:
        return False
    zone = value.tzinfo
    if isinstance(zone, timezone) or (isinstance(zone, ZoneInfo) and zone.key):
        return _zone_is_utc(zone)
    return tzid_from_dt(value) == "UTC"


@lru_cache(maxsize=256)
def _zone_is_utc(zone: tzinfo) -> bool:
    """Return whether icalendar counts a zone as UTC, asked once per zone.

    For a fixed offset or a named IANA zone, icalendar's answer depends on the
    zone alone (its name), not on the time: every time read would otherwise look
    it up again in icalendar's table of equivalent zones.
    """
    return tzid_from_dt(datetime(2000, 1, 1, tzinfo=zone)) == "UTC"


def add_date_list(
    component: Component, name: str, values: Sequence[date | datetime]
) -> None:
    """Add an RDATE or EXDATE list, with `VALUE=DATE` when it holds dates.

    A list without VALUE is read as DATE-TIME (RFC 5545 3.8.5.1); icalendar 7 adds
    `VALUE=DATE` to a list of dates itself, 6.3 does not.
    """
    dates = all(not isinstance(value, datetime) for value in values)
    component.add(name, list(values), parameters={"VALUE": "DATE"} if dates else {})
