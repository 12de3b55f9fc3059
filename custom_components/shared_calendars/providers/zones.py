"""The IANA zone a calendar's own VTIMEZONE block stands for.

Outlook writes zones under names such as "Customized Time Zone" or "(UTC+01:00)
Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna", other clients under names of
their own, each with a VTIMEZONE that spells out the rules. Google needs an IANA
name: without one, a series can go there only as the list of its occurrences. So
the zone is matched by what it does: the IANA zone with the same offsets and the
same changes, to the minute, over the years around the event, is the zone meant.
A zone that matches none is kept as defined (`engine.defined_zones`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, tzinfo
from functools import cache
from itertools import pairwise
import re
from zoneinfo import ZoneInfo, available_timezones

from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from ..engine.defined_zones import DefinedZone

_YEARS_AROUND = 1
"""Years before and after the event whose offsets must agree."""
_MINUTE = timedelta(minutes=1)
_SEEN: dict[object, ZoneInfo | None] = {}
_SEEN_MAX = 64
_PRIMARY = frozenset(WINDOWS_TO_OLSON.values())
"""The zone each Windows zone name stands for: the usual pick of its region."""


def iana_zone_like(zone: tzinfo, name: str | None, around: datetime) -> ZoneInfo | None:
    """Return the IANA zone that keeps the same time as `zone` around a moment.

    Among several (Berlin, Paris and Rome agree), one whose city the zone's name
    mentions wins, then one Windows names stand for, then the first by name. None
    when no IANA zone agrees. A zone seen before (same definition, or same name and
    same offsets on a few days) is not matched again: reading its rules is slow.
    """
    year = around.year
    glimpse = tuple(
        _offset(zone, datetime(y, month, 1, tzinfo=UTC))
        for y in (year - 1, year, year + 1)
        for month in (1, 7)
    )
    # Outlook names every custom zone alike: a definition tells them apart.
    label = zone.definition if isinstance(zone, DefinedZone) else name
    key = (label, year, glimpse)
    if key not in _SEEN:
        if len(_SEEN) > _SEEN_MAX:
            _SEEN.clear()
        _SEEN[key] = _match(zone, name, year)
    return _SEEN[key]


def _match(zone: tzinfo, name: str | None, year: int) -> ZoneInfo | None:
    candidates = _agreeing(
        tuple(_offsets(zone, year)), tuple(_changes(zone, year)), year
    )
    if not candidates:
        return None
    words = set(re.findall(r"[a-z]+", (name or "").lower()))
    for key in candidates:
        city = key.rsplit("/", 1)[-1].lower().replace("_", " ")
        if set(city.split()) <= words:
            return ZoneInfo(key)
    primary = [key for key in candidates if key in _PRIMARY]
    return ZoneInfo((primary or candidates)[0])


def _monthly(year: int) -> Iterable[datetime]:
    for offset_year in range(year - _YEARS_AROUND, year + _YEARS_AROUND + 1):
        for month in range(1, 13):
            for day in (1, 15):
                yield datetime(offset_year, month, day, 12, tzinfo=UTC)


def _offset(zone: tzinfo, moment: datetime) -> timedelta | None:
    return moment.astimezone(zone).utcoffset()


def _offsets(zone: tzinfo, year: int) -> Iterable[timedelta | None]:
    return (_offset(zone, moment) for moment in _monthly(year))


def _changes(zone: tzinfo, year: int) -> Iterable[datetime]:
    """Yield the instants (to the minute) at which the zone's offset changes."""
    moments = list(_monthly(year))
    for before, after in pairwise(moments):
        if _offset(zone, before) == _offset(zone, after):
            continue
        low, high = before, after
        while high - low > _MINUTE:
            middle = low + (high - low) / 2
            middle = middle.replace(second=0, microsecond=0)
            if middle <= low:
                break
            if _offset(zone, middle) == _offset(zone, low):
                low = middle
            else:
                high = middle
        yield high


@cache
def _agreeing(
    samples: tuple[timedelta | None, ...], changes: tuple[datetime, ...], year: int
) -> list[str]:
    """Return the IANA zones with these offsets and changes, by name."""
    found = []
    for key in sorted(_zone_names()):
        zone = ZoneInfo(key)
        if tuple(_offsets(zone, year)) != samples:
            continue
        if all(
            _offset(zone, change - _MINUTE) != _offset(zone, change)
            for change in changes
        ):
            found.append(key)
    return found


@cache
def _zone_names() -> frozenset[str]:
    """Return the canonical IANA names (not the legacy aliases such as "CET")."""
    return frozenset(key for key in available_timezones() if "/" in key)
