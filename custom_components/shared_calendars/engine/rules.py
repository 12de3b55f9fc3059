"""Recurrence rules as text: their parts, and UNTIL in the form each start wants."""

from __future__ import annotations

from datetime import UTC, datetime

from .model import DateOrDateTime


def stamp(moment: DateOrDateTime) -> str:
    """Return a moment as iCalendar writes it in UTC: `20270118T080000Z` or `20270118`."""
    if isinstance(moment, datetime):
        return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return moment.strftime("%Y%m%d")


def normalise_until(rule: str, series_start: DateOrDateTime) -> str:
    """Write a rule's UNTIL as RFC 5545 wants it for this start (Google insists).

    A DATE for an all-day series (the day written, as readers count it), a UTC
    DATE-TIME for a timed one (a local or date-only UNTIL read in the start's zone,
    a date-only one as the end of that day).
    """
    parts = rule_parts(rule)
    until = parts.get("UNTIL")
    if until is None:
        return rule
    day, _, clock = until.partition("T")
    if not isinstance(series_start, datetime):
        parts["UNTIL"] = day
    elif not clock.endswith("Z"):
        local = datetime.strptime(day + (clock or "235959"), "%Y%m%d%H%M%S")
        parts["UNTIL"] = stamp(local.replace(tzinfo=series_start.tzinfo or UTC))
    return join_rule(parts)


def rule_parts(rule: str) -> dict[str, str]:
    """Return a rule's parts by upper-case name, in the order written."""
    parts: dict[str, str] = {}
    for part in rule.split(";"):
        name, _, value = part.partition("=")
        if name:
            parts[name.upper()] = value
    return parts


def join_rule(parts: dict[str, str]) -> str:
    """Return the rule text of parts as `rule_parts` gives them."""
    return ";".join(f"{name}={value}" for name, value in parts.items())
