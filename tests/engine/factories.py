"""Small builders for engine tests."""

from datetime import UTC, datetime, timedelta

from custom_components.shared_calendars.engine.model import (
    CalendarRef,
    ChangeSet,
    Event,
    Member,
    MemberPolicy,
)
from custom_components.shared_calendars.engine.state import SyncState

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def ref(name: str) -> CalendarRef:
    """Return a calendar of the test account."""
    return CalendarRef(account="acct", calendar_id=name)


def member(
    name: str,
    *,
    sources: int = 1,
    combined: bool = True,
    policy: MemberPolicy | None = None,
) -> Member:
    """Return a member with `sources` personal calendars and maybe a combined one."""
    return Member(
        id=name.lower(),
        name=name,
        sources=tuple(ref(f"{name.lower()}-{n}") for n in range(sources)),
        combined=ref(f"{name.lower()}-combined") if combined else None,
        policy=policy or MemberPolicy(),
    )


def event(
    event_id: str, summary: str = "Dentist", *, hours: int = 0, **fields: object
) -> Event:
    """Return a one-hour event `hours` after T0."""
    start = T0 + timedelta(hours=hours)
    values: dict[str, object] = {
        "id": event_id,
        "ical_uid": f"{event_id}@example.com",
        "summary": summary,
        "start": start,
        "end": start + timedelta(hours=1),
    }
    values.update(fields)
    return Event(**values)  # type: ignore[arg-type]


def listing(*events: Event, cursor: str = "c1") -> ChangeSet:
    """Return a complete listing of a calendar."""
    return ChangeSet(changed=events, deleted=(), cursor=cursor, complete=True)


def seed(state: SyncState, calendar: CalendarRef, *events: Event) -> set[str]:
    """Load a calendar's complete listing into the state; return the touched groups."""
    return set(state.apply(calendar.key, listing(*events), guard_empty=True).groups)
