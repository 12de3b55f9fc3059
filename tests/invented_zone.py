"""The zone of `fixtures/ical/handmade_invented_zone.ics`, which no IANA zone matches.

"Lakeside Time": UTC+1, and UTC+2 from the second Sunday of April to the first
Sunday of October (in 2027: 11 April to 3 October). Read from the fixture by the
CalDAV reader, so that tests use the very zone the reader makes of it.
"""

from __future__ import annotations

from pathlib import Path

from icalendar import Calendar

from custom_components.shared_calendars.providers.ical import defined_zones

INVENTED_FIXTURE = (
    Path(__file__).parent / "fixtures" / "ical" / "handmade_invented_zone.ics"
)
LAKESIDE = defined_zones(Calendar.from_ical(INVENTED_FIXTURE.read_bytes()))[
    "Lakeside Time"
]
