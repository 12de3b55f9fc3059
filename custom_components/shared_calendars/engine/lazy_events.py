"""A calendar's events as the mirror holds them, copies decoded when first read.

A restart reads every row of the status database, but a cycle reads few events:
a quiet one none, planning only the changed groups', a write the copy it
replaces. So a copy whose row is kept as differences from its original stays
undecoded until something reads it; all the while it counts as a copy of its
group (the indexes need nothing more). Whoever reads sees a plain mapping.
"""

from __future__ import annotations

from collections.abc import Callable, ItemsView, Iterator, ValuesView
from typing import Any, overload

from .model import Event


class Undecoded:
    """A copy still as its row keeps it."""

    __slots__ = ("copy_of", "decode")

    def __init__(self, copy_of: str, decode: Callable[[], Event]) -> None:
        """Keep the group the copy belongs to, and how to decode it."""
        self.copy_of = copy_of
        self.decode = decode


class LazyEvents(dict[str, Event]):
    """Events by id, some of them `Undecoded` until first read.

    Every read goes through `__getitem__`, `get`, `pop`, `setdefault`,
    `values` or `items`, which decode; `dict(...)` and `update` from it read
    through `__getitem__` too, as `__iter__` is its own.
    """

    __slots__ = ()

    def add_undecoded(self, event_id: str, undecoded: Undecoded) -> None:
        """Hold a copy undecoded until it is read."""
        stored: Any = undecoded  # the one kind of value not an Event
        dict.__setitem__(self, event_id, stored)

    def _decoded(self, key: str, value: Any) -> Event:
        if type(value) is Undecoded:
            value = value.decode()
            dict.__setitem__(self, key, value)
        assert isinstance(value, Event)
        return value

    def __getitem__(self, key: str) -> Event:
        """Return an event, decoding it first if need be."""
        return self._decoded(key, dict.__getitem__(self, key))

    def __iter__(self) -> Iterator[str]:
        """Iterate over ids (and make copies of this mapping read through decoding)."""
        return dict.__iter__(self)

    def __eq__(self, other: object) -> bool:
        """Compare events, every one decoded."""
        for key in self:
            self[key]
        if isinstance(other, LazyEvents):
            other.decode_all()
        return dict.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        """Compare events, every one decoded."""
        return not self == other

    __hash__ = None

    @overload
    def get(self, key: str, default: None = None, /) -> Event | None: ...
    @overload
    def get(self, key: str, default: Event, /) -> Event: ...
    @overload
    def get[T](self, key: str, default: T, /) -> Event | T: ...
    def get(self, key: str, default: Any = None, /) -> Any:
        """Return an event, decoding it first if need be, or `default`."""
        if (value := dict.get(self, key, _MISSING)) is _MISSING:
            return default
        return self._decoded(key, value)

    @overload
    def pop(self, key: str, /) -> Event: ...
    @overload
    def pop(self, key: str, default: Event, /) -> Event: ...
    @overload
    def pop[T](self, key: str, default: T, /) -> Event | T: ...
    def pop(self, key: str, *default: Any) -> Any:
        """Remove an event and return it decoded, or `default`."""
        if (value := dict.pop(self, key, _MISSING)) is _MISSING:
            if default:
                return default[0]
            raise KeyError(key)
        if type(value) is Undecoded:
            value = value.decode()
        return value

    def popitem(self) -> tuple[str, Event]:
        """Remove the last event and return it decoded."""
        key, value = _raw(dict.popitem(self))
        return key, value.decode() if isinstance(value, Undecoded) else value

    def setdefault(self, key: str, default: Event, /) -> Event:
        """Return an event, decoding it first if need be, or add `default`."""
        if key in self:
            return self[key]
        dict.__setitem__(self, key, default)
        return default

    def values(self) -> ValuesView[Event]:  # type: ignore[override]
        """Return a view of the events, each decoded as it is reached."""
        return ValuesView(self)

    def items(self) -> ItemsView[str, Event]:  # type: ignore[override]
        """Return a view of (id, event), each decoded as it is reached."""
        return ItemsView(self)

    def copy(self) -> dict[str, Event]:
        """Return a plain dict of the events, every one decoded."""
        return {key: self[key] for key in self}

    def decode_all(self) -> None:
        """Decode every event still undecoded."""
        for key in self:
            self[key]


_MISSING: Any = object()


def _raw(item: tuple[str, Any]) -> tuple[str, Event | Undecoded]:
    """Type a (id, value) read past the decoding: a value may be undecoded."""
    return item


def copies_undecoded(events: dict[str, Event]) -> Iterator[tuple[str, str]]:
    """Return (id, group) of the copies still undecoded, decoding none."""
    for event_id, value in map(_raw, dict.items(events)):
        if isinstance(value, Undecoded):
            yield event_id, value.copy_of


def decoded(events: dict[str, Event]) -> Iterator[Event]:
    """Return the events decoded so far: all but undecoded copies."""
    for _, value in map(_raw, dict.items(events)):
        if not isinstance(value, Undecoded):
            yield value


def copy_ids(events: dict[str, Event]) -> Iterator[str]:
    """Return the ids of the copies, decoding none."""
    for event_id, value in map(_raw, dict.items(events)):
        if isinstance(value, Undecoded) or value.copy_of is not None:
            yield event_id
