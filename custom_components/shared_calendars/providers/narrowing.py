"""Find the few items that spoil a batch request, by halving it.

A CalDAV server that stores a control character in an event writes it into its
XML answers unescaped (Nextcloud and Radicale keep what a client sent): one such
event makes the whole multistatus unparsable, and with it every other event asked
for in the same request. Asking for each half again, down to single items, keeps
the others and names the spoilers at a cost of about two requests per halving for
each of them; a quiet or healthy calendar pays nothing for it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence


class Unparsable(Exception):
    """An answer to a batch request could not be parsed."""


async def fetch_narrowing[T](
    items: Sequence[str], fetch: Callable[[Sequence[str]], Awaitable[list[T]]]
) -> tuple[list[T], list[str]]:
    """Fetch `items` in one batch; halve a batch whose answer raises `Unparsable`.

    Returns every result fetched, and the items that spoil an answer even alone.
    Any other error of `fetch` propagates.
    """
    try:
        return await fetch(items), []
    except Unparsable:
        if len(items) <= 1:
            return [], list(items)
    middle = len(items) // 2
    first, spoilt_first = await fetch_narrowing(items[:middle], fetch)
    second, spoilt_second = await fetch_narrowing(items[middle:], fetch)
    return first + second, spoilt_first + spoilt_second
