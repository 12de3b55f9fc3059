"""A mirror whose copies are decoded when first read reads like a plain mapping."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from custom_components.shared_calendars.engine.lazy_events import (
    LazyEvents,
    Undecoded,
    copies_undecoded,
    copy_ids,
    decoded,
)
from custom_components.shared_calendars.engine.model import CopyMarker, Event

START = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def _event(event_id: str, copy_of: str | None = None) -> Event:
    return Event(
        id=event_id,
        ical_uid=f"{event_id}@example.com",
        summary=event_id,
        start=START,
        end=START + timedelta(hours=1),
        copy_of=CopyMarker(source=copy_of) if copy_of else None,
    )


def _mirror(decodes: list[str]) -> tuple[LazyEvents, dict[str, Event]]:
    """Return a mirror of an original and two undecoded copies, and the plain one."""
    plain = {
        "a1": _event("a1"),
        "c1": _event("c1", "uid:a1@example.com"),
        "c2": _event("c2", "uid:a1@example.com"),
    }
    lazy = LazyEvents()
    lazy["a1"] = plain["a1"]
    for event_id in ("c1", "c2"):

        def decode(event_id: str = event_id) -> Event:
            decodes.append(event_id)
            return plain[event_id]

        lazy.add_undecoded(event_id, Undecoded("uid:a1@example.com", decode))
    return lazy, plain


def test_copies_are_decoded_once_when_read() -> None:
    """Ids, counts and the indexes' helpers decode nothing; a read decodes one."""
    decodes: list[str] = []
    lazy, plain = _mirror(decodes)

    assert "c1" in lazy and len(lazy) == 3 and set(lazy) == set(plain)
    assert decodes == []  # ids and counts decode nothing
    assert lazy["c1"] == plain["c1"]
    assert lazy.get("c1") == plain["c1"]
    assert decodes == ["c1"]
    assert lazy.get("missing") is None
    assert list(copies_undecoded(lazy)) == [("c2", "uid:a1@example.com")]
    assert sorted(copy_ids(lazy)) == ["c1", "c2"]
    assert [event.id for event in decoded(lazy)] == ["a1", "c1"]


@pytest.mark.parametrize(
    "read",
    [
        lambda lazy: list(lazy.values()),
        lambda lazy: dict(lazy.items()),
        dict,
        lambda lazy: {**lazy},
        lambda lazy: lazy.copy(),
        lambda lazy: dict.update({}, lazy),
        lambda lazy: lazy == {},
    ],
    ids=["values", "items", "dict", "unpacked", "copy", "update", "equality"],
)
def test_every_way_to_read_them_all_decodes(
    read: Callable[[LazyEvents], object],
) -> None:
    """Views, copies, merges and comparisons see decoded events only."""
    decodes: list[str] = []
    lazy, plain = _mirror(decodes)

    read(lazy)

    assert sorted(decodes) == ["c1", "c2"]
    assert dict(lazy) == plain and lazy == plain and plain == lazy


def test_removing_a_copy_returns_it_decoded() -> None:
    """pop, setdefault and popitem hand out events, never what a row kept."""
    decodes: list[str] = []
    lazy, plain = _mirror(decodes)

    assert lazy.pop("c1") == plain["c1"]
    assert lazy.pop("c1", None) is None
    assert lazy.setdefault("c2", plain["a1"]) == plain["c2"]
    with pytest.raises(KeyError):
        lazy.pop("c1")
    del lazy["a1"]
    assert lazy.popitem() == ("c2", plain["c2"])
    assert lazy == {}
