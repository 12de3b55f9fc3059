"""Logbook entries of what a cycle did that someone should be able to look up.

Two-way sync settles a conflict (an original and a copy of it both changed) by
the later change; the version it did not keep goes into the logbook, so that
nobody's edit disappears without a trace.
"""

from __future__ import annotations

from collections.abc import Iterable

from homeassistant.const import EVENT_LOGBOOK_ENTRY
from homeassistant.core import HomeAssistant, callback

from .const import DOMAIN
from .engine.two_way import Conflict


@callback
def async_log_conflicts(
    hass: HomeAssistant, group: str, conflicts: Iterable[Conflict]
) -> None:
    """Add a logbook entry for each version two-way sync did not keep.

    Fired as the logbook's own event: without the logbook loaded it is dropped,
    and the integration need not depend on it.
    """
    for conflict in conflicts:
        whose = (
            "the original" if conflict.lost == "original" else f"{conflict.lost}'s copy"
        )
        hass.bus.async_fire(
            EVENT_LOGBOOK_ENTRY,
            {
                "name": group,
                "message": (
                    f'kept "{conflict.title}"; {whose} had been changed too and '
                    f'was not kept: "{conflict.lost_title}" at {conflict.lost_start}'
                ),
                "domain": DOMAIN,
            },
        )
