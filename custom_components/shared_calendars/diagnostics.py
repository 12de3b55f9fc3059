"""Diagnostics: how a group is set up and how its sync is doing, with nothing private.

Keys, passwords, tokens, e-mail addresses, calendar ids (Google's are e-mail
addresses) and event text never appear: calendars and accounts are numbered
instead, and events are counted, not shown.
"""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant

from .const import CONF_ACCOUNT_TYPE, CONF_API_ROOT, CONF_VERIFY_SSL, SUBENTRY_ACCOUNT
from .coordinator import SharedCalendarsConfigEntry
from .providers.google import DEFAULT_API_ROOT


class _Labels:
    """Stable stand-ins for private names, numbered in order of appearance."""

    def __init__(self, prefix: str) -> None:
        self._prefix = prefix
        self._labels: dict[str, str] = {}

    def __call__(self, name: str) -> str:
        return self._labels.setdefault(name, f"{self._prefix} {len(self._labels) + 1}")


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: SharedCalendarsConfigEntry
) -> dict[str, Any]:
    """Return the diagnostics of a group."""
    coordinator = entry.runtime_data.coordinator
    account = _Labels("account")
    calendar = _Labels("calendar")

    def calendar_key(key: str) -> str:
        account_id, _, calendar_id = key.partition("|")
        return f"{account(account_id)}/{calendar(calendar_id)}"

    accounts = [
        {
            "account": account(subentry.unique_id or subentry.subentry_id),
            "type": subentry.data.get(CONF_ACCOUNT_TYPE),
            "custom_api_root": subentry.data.get(CONF_API_ROOT, DEFAULT_API_ROOT)
            != DEFAULT_API_ROOT,
            "verify_ssl": subentry.data.get(CONF_VERIFY_SSL),
        }
        for subentry in entry.subentries.values()
        if subentry.subentry_type == SUBENTRY_ACCOUNT
    ]
    members = [
        {
            "member": f"member {number}",
            "sources": [calendar_key(ref.key) for ref in member.sources],
            "combined": calendar_key(member.combined.key) if member.combined else None,
            "policy": {
                "receive_own": member.policy.receive_own,
                "privacy": member.policy.privacy.value,
                "has_title_prefix": bool(member.policy.title_prefix),
                "color": member.policy.color.value if member.policy.color else None,
                "skip_all_day": member.policy.skip_all_day,
                "skip_free": member.policy.skip_free,
                "skip_tentative": member.policy.skip_tentative,
                "include_keywords": len(member.policy.include_keywords),
                "exclude_keywords": len(member.policy.exclude_keywords),
            },
        }
        for number, member in enumerate(coordinator.members, start=1)
    ]
    state = coordinator.state
    calendars = {
        calendar_key(key): {
            "events": len(cal.events),
            "copies": sum(
                1 for event in cal.events.values() if event.copy_of is not None
            ),
            "series": sum(1 for event in cal.events.values() if event.recurring),
            "has_cursor": cal.cursor is not None,
        }
        for key, cal in state.calendars.items()
    }
    report = coordinator.data
    return {
        "options": dict(entry.options),
        "accounts": accounts,
        "members": members,
        "calendars": calendars,
        "ledger": {
            "copies": len(state.copies),
            "hidden": sum(1 for record in state.copies.values() if record.hidden),
            "pending_groups": len(state.pending),
            "parked": len(state.parked),
        },
        "last_cycle": None
        if report is None
        else {
            **report.counts(),
            "held_back": {
                calendar_key(key): {"gone": loss.gone, "held": loss.held}
                for key, loss in report.held_back.items()
            },
            "errors": {
                calendar_key(key): kind for key, kind in report.error_kinds.items()
            },
            "auth_failed": [account(account_id) for account_id in report.auth_failed],
            "write_pace": {
                account(account_id): pace for account_id, pace in report.pace.items()
            },
            # Whose version two-way sync did not keep, and when it was: no titles.
            "conflicts_lost": [
                {"lost": conflict.lost, "start": str(conflict.lost_start)}
                for conflict in report.conflicts
            ],
        },
        "push": None
        if (push := entry.runtime_data.push) is None
        else push.diagnostics(),
        "last_update_success": coordinator.last_update_success,
        "last_synced": coordinator.last_synced.isoformat()
        if coordinator.last_synced
        else None,
    }
