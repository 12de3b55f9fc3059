"""Hypothesis strategies for data calendars hold but no client should trust.

`google_items` draws event resources as Google's events.list might hand them out
after a bug, an import or a third-party client: fields missing or of the wrong
type, values no documentation names, broken recurrence lines, control characters,
lone surrogates, megabyte descriptions, items that are no object at all.
`ics_objects` draws calendar object resources a CalDAV server may keep: the same
faults in iCalendar, plus broken structure. Both start from a valid event and
break it, so that most draws are nearly right, where readers are weakest.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

HUGE = "A very long description. " * 40_000
"""A megabyte (a million characters): what fits in one request to Google."""

ODD_TEXT = st.text(
    st.characters(codec="utf-8", categories=["Cc", "Zs", "Ll", "So"])
    | st.sampled_from(["\ud800", "\udfff", "\ufffe", "\uffff", "\x00", "\r"]),
    max_size=20,
)
"""Text with control characters, lone surrogates and non-characters."""
ICS_TEXT = st.text(
    st.characters(
        codec="utf-8",
        categories=["Ll", "Lu", "Nd", "Zs", "So", "Cc"],
        exclude_characters="\r\n",
    ),
    max_size=20,
)
"""Text for an iCalendar line, control characters included: a server that writes
them into its XML answer unescaped breaks that answer (tests/servers/dav_proxy.py
does), and the provider reads the object alone."""
ANY_JSON: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False),
    ODD_TEXT,
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.sampled_from(["date", "dateTime", "x"]), ODD_TEXT, max_size=2),
)
_RULE_LINES = st.sampled_from(
    [
        "RRULE:FREQ=SOMETIMES",
        "RRULE:FREQ=DAILY;INTERVAL=0",
        "RRULE:FREQ=DAILY;BYMONTH=13",
        "RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
        "RRULE:FREQ=SECONDLY",
        "RRULE:FREQ=WEEKLY;BYDAY=XX",
        "RRULE:FREQ=WEEKLY;UNTIL=never",
        "RRULE:",
        "EXDATE:yesterday",
        "EXDATE;TZID=Mars/Olympus:20260504T100000",
        "RDATE;VALUE=PERIOD:garbage",
    ]
)
BAD_RULES = _RULE_LINES | ODD_TEXT.map(lambda text: f"RRULE:{text}")
"""Recurrence lines for Google's `recurrence`."""
ICS_RULES = _RULE_LINES | ICS_TEXT.map(lambda text: f"RRULE:{text}")
"""Recurrence lines for iCalendar."""
TIMES = st.sampled_from(
    [
        {"dateTime": "2026-05-30T10:00:00Z"},
        {"dateTime": "2026-05-30T10:00:00", "timeZone": "Mars/Olympus"},
        {"dateTime": "2026-05-30T10:00:00+02:00", "timeZone": ""},
        {"dateTime": "2026-02-30T10:00:00Z"},
        {"dateTime": "not a time"},
        {"date": "2026-05-30"},
        {"date": "0000-01-01"},
        {"date": "9999-12-31"},
        {"date": "30 May"},
        {},
    ]
)


_GOOGLE_FAULTS = st.sampled_from(
    ["drop", "type", "time", "choice", "rule", "text", "series"] * 4
    + ["huge"]  # rare: a megabyte makes an example slow
)


@st.composite
def google_items(draw: st.DrawFn, event_id: str) -> Any:
    """Return one broken event resource with id `event_id` (if it has an id at all)."""
    if draw(st.integers(0, 19)) == 0:
        return draw(st.one_of(st.none(), st.integers(), ODD_TEXT, st.lists(ODD_TEXT)))
    item: dict[str, Any] = {
        "id": event_id,
        "summary": f"Bad {event_id}",
        "start": {"dateTime": "2026-05-30T10:00:00Z"},
        "end": {"dateTime": "2026-05-30T11:00:00Z"},
        "status": "confirmed",
    }
    for _ in range(draw(st.integers(1, 3))):
        fault = draw(_GOOGLE_FAULTS)
        if fault == "drop":
            item.pop(draw(st.sampled_from(["id", "start", "end", "summary"])), None)
        elif fault == "type":
            name = draw(
                st.sampled_from(
                    [
                        "start",
                        "end",
                        "summary",
                        "description",
                        "location",
                        "status",
                        "transparency",
                        "recurrence",
                        "organizer",
                        "extendedProperties",
                        "colorId",
                        "sequence",
                        "iCalUID",
                        "updated",
                        "recurringEventId",
                        "originalStartTime",
                    ]
                )
            )
            item[name] = draw(ANY_JSON)
        elif fault == "time":
            item[draw(st.sampled_from(["start", "end"]))] = draw(TIMES)
        elif fault == "choice":
            item[draw(st.sampled_from(["status", "transparency"]))] = draw(ODD_TEXT)
        elif fault == "rule":
            item["start"] = {"dateTime": "2026-05-30T10:00:00Z", "timeZone": "UTC"}
            item["end"] = {"dateTime": "2026-05-30T11:00:00Z", "timeZone": "UTC"}
            item["recurrence"] = ["RRULE:FREQ=WEEKLY", draw(BAD_RULES)]
        elif fault == "text":
            item[draw(st.sampled_from(["summary", "description", "location"]))] = draw(
                ODD_TEXT
            )
        elif fault == "huge":
            item["description"] = HUGE
        else:  # an exception of a series that is not there, or not one
            item["recurringEventId"] = draw(st.sampled_from(["gone00001", event_id]))
            item["originalStartTime"] = draw(TIMES)
    return item


_ICS_TIMES = st.sampled_from(
    [
        "20260530T100000Z",
        "20260530",
        "20260230T100000Z",
        "tomorrow",
        "",
        "99999999T999999",
    ]
)
_ICS_FAULTS = st.sampled_from(
    [
        "drop start",
        "drop end",
        "drop uid",
        "drop end of event",
        "drop calendar",
        "bad start",
        "bad end",
        "zone",
        "rule",
        "text",
        "garbage line",
        "not ics",
    ]
    * 3
    + ["huge"]  # rare: a megabyte makes an example slow
)


@st.composite
def ics_objects(draw: st.DrawFn, uid: str) -> str:
    """Return one broken calendar object resource whose UID is `uid`, if any."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//shared_calendars tests//bad data//EN",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20260501T000000Z",
        f"SUMMARY:Bad {uid}",
        "DTSTART:20260530T100000Z",
        "DTEND:20260530T110000Z",
        "END:VEVENT",
        "END:VCALENDAR",
    ]

    def drop(prefix: str) -> None:
        lines[:] = [line for line in lines if not line.startswith(prefix)]

    for _ in range(draw(st.integers(1, 3))):
        fault = draw(_ICS_FAULTS)
        if fault == "not ics":
            return draw(ICS_TEXT)
        if fault.startswith("drop"):
            drop(
                {
                    "drop start": "DTSTART",
                    "drop end": "DTEND",
                    "drop uid": "UID",
                    "drop end of event": "END:VEVENT",
                    "drop calendar": "BEGIN:VCALENDAR",
                }[fault]
            )
        elif fault in ("bad start", "bad end"):
            name = "DTSTART" if fault == "bad start" else "DTEND"
            drop(name)
            lines.insert(4, f"{name}:{draw(_ICS_TIMES)}")
        elif fault == "zone":
            drop("DTSTART")
            lines.insert(4, "DTSTART;TZID=Mars/Olympus:20260530T100000")
        elif fault == "rule":
            lines.insert(4, draw(ICS_RULES))
        elif fault == "text":
            name = draw(st.sampled_from(["SUMMARY", "DESCRIPTION", "LOCATION"]))
            drop(name)
            lines.insert(4, f"{name}:{draw(ICS_TEXT)}")
        elif fault == "huge":
            lines.insert(4, f"DESCRIPTION:{HUGE}")
        else:
            lines.insert(draw(st.integers(0, len(lines))), draw(ICS_TEXT))
    return "\r\n".join([*lines, ""])
