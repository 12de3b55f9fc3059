"""Time zones known only by the VTIMEZONE block that came with an event.

Outlook's "Customized Time Zone" and hand-made calendars define zones of their own.
Most keep an IANA zone's times and are read as that zone (`providers/zones.py`);
one that keeps no IANA zone's times is kept as it was defined, its TZID and its
VTIMEZONE text, so that CalDAV copies carry the definition along and every
occurrence falls where the source puts it, on both sides of each change of
daylight saving time. Its offsets are those dateutil reads from the definition, as
icalendar (6.3 and 7.x) reads them.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from functools import lru_cache
from io import StringIO

from dateutil.tz import tzical


class DefinedZone(tzinfo):
    """A zone made of its own definition: a TZID and its VTIMEZONE text.

    Made through `defined_zone`, so that one definition is one object.
    """

    __slots__ = ("_rules", "definition", "tzid")

    def __init__(self, tzid: str, definition: str) -> None:
        """Read the definition; raise `ValueError` when dateutil cannot."""
        self.tzid = tzid
        """The zone's name in the calendar (TZID)."""
        self.definition = definition
        """The VTIMEZONE block, as iCalendar text."""
        rules = tzical(StringIO(definition)).get()
        if rules is None:
            raise ValueError(f"no zone in the definition of {tzid}")
        self._rules: tzinfo = rules

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        """Return the offset at a wall-clock time of this zone."""
        return self._rules.utcoffset(dt)

    def dst(self, dt: datetime | None) -> timedelta | None:
        """Return the daylight saving part of the offset."""
        return self._rules.dst(dt)

    def tzname(self, dt: datetime | None) -> str:
        """Return the TZID: icalendar names a zone it does not know by `tzname`."""
        return self.tzid

    def fromutc(self, dt: datetime) -> datetime:
        """Return a UTC time (tagged with this zone) as this zone's wall-clock time."""
        # dateutil checks that the time is tagged with its own zone object.
        local = self._rules.fromutc(dt.replace(tzinfo=self._rules))
        return local.replace(tzinfo=self)

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        """Copy and pickle as the one object of its definition."""
        return defined_zone, (self.tzid, self.definition)

    def __repr__(self) -> str:
        """Name the zone (its definition is long)."""
        return f"DefinedZone({self.tzid!r})"


@lru_cache(maxsize=128)
def defined_zone(tzid: str, definition: str) -> DefinedZone:
    """Return the zone a VTIMEZONE block defines; raise `ValueError` when unreadable."""
    return DefinedZone(tzid, definition)
