"""Repairs issues: calendars that look emptied, and calendars no longer shared.

The engine holds back the change set of a calendar that loses all its events, or
more than half of many, at once (`SyncState.apply`): a server that answers with
nothing is more often broken than emptied. Each such calendar gets a fixable
issue naming it; the fix flow gives the user's answer (`Confirm`) to a cycle run
at once. The issue goes by itself when the calendar lists its events again.

A calendar its account can no longer use gets an issue saying whom to share it
with; it goes once the calendar is reachable again.

Events a calendar holds but that cannot be read (`SkippedEvent`) get an issue per
calendar and kind of problem, listing their titles; it goes once they are read,
deleted, or no longer listed.

Copies a combined calendar refused as invalid (`SyncState.parked`) get an issue
per combined calendar, listing their titles and why; it goes once each copy is
written (its original changed) or its original is gone.
"""

from __future__ import annotations

from dataclasses import dataclass
import hashlib
from typing import TYPE_CHECKING

from homeassistant.components.repairs import RepairsFlow, RepairsFlowResult
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
import probatio

from .const import DOMAIN
from .engine.model import SkipReason
from .engine.state import Confirm, ParkedCopy

if TYPE_CHECKING:
    from .coordinator import SharedCalendarsCoordinator
    from .cycle import SyncReport

DATA_ENTRY = "entry_id"
DATA_CALENDAR = "calendar"
ISSUE_SOURCE = "emptied_source"
ISSUE_COMBINED = "emptied_combined"
ISSUE_NOT_SHARED = "not_shared"
ISSUE_SKIPPED = "skipped"
"""Issue ids start with this; translation keys are `skipped_<SkipReason>`."""
ISSUE_REFUSED = "refused"
SKIPPED_SHOWN = 20
"""Titles an issue lists; the rest are counted."""


def _issue_prefix(entry_id: str, kind: str = "emptied") -> str:
    return f"{kind}_{entry_id}_"


def _digest(calendar: str) -> str:
    """Return a short stand-in for a calendar key (it holds a URL or an e-mail)."""
    return hashlib.sha256(calendar.encode()).hexdigest()[:16]


def emptied_issue_id(entry_id: str, calendar: str) -> str:
    """Return the issue id of a held-back calendar."""
    return f"{_issue_prefix(entry_id)}{_digest(calendar)}"


def not_shared_issue_id(entry_id: str, calendar: str) -> str:
    """Return the issue id of a calendar its account can no longer use."""
    return f"{_issue_prefix(entry_id, ISSUE_NOT_SHARED)}{_digest(calendar)}"


async def async_update_emptied_issues(
    coordinator: SharedCalendarsCoordinator, report: SyncReport
) -> None:
    """Raise an issue for every held-back calendar; drop those that came back.

    A calendar that could not be read this cycle keeps its issue: whether it is
    still emptied is not known.
    """
    hass = coordinator.hass
    entry = coordinator.config_entry
    calendars = coordinator.calendars()
    raised: set[str] = set()
    for key, loss in report.held_back.items():
        ref = calendars[key]
        members = ", ".join(
            member.name
            for member in coordinator.members
            if (member.combined == ref if loss.copies else ref in member.sources)
        )
        issue_id = emptied_issue_id(entry.entry_id, key)
        raised.add(issue_id)
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=True,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_COMBINED if loss.copies else ISSUE_SOURCE,
            translation_placeholders={
                "group": entry.title,
                "member": members,
                "calendar": coordinator.calendar_label(ref),
                "gone": str(loss.gone),
                "held": str(loss.held),
            },
            data={DATA_ENTRY: entry.entry_id, DATA_CALENDAR: key},
        )
    for issue in _issues_of(hass, entry.entry_id):
        if (
            issue.issue_id not in raised
            and (issue.data or {}).get(DATA_CALENDAR) not in report.errors
        ):
            ir.async_delete_issue(hass, DOMAIN, issue.issue_id)


@callback
def async_update_not_shared_issues(
    coordinator: SharedCalendarsCoordinator, report: SyncReport
) -> None:
    """Name each calendar an account can no longer use, and whom to share it with.

    An issue per calendar, its text all translated: the calendar by its name, the
    account by its label. A calendar that could be read again loses its issue.
    """
    hass = coordinator.hass
    entry = coordinator.config_entry
    calendars = coordinator.calendars()
    lost = {
        key for key, kind in report.error_kinds.items() if kind == "NotShared"
    } & set(calendars)
    wanted: dict[str, _Issue] = {}
    for key in sorted(lost):
        ref = calendars[key]
        provider = coordinator.providers.get(ref.account)
        wanted[not_shared_issue_id(entry.entry_id, key)] = _Issue(
            ISSUE_NOT_SHARED,
            ir.IssueSeverity.ERROR,
            {
                "group": entry.title,
                "member": coordinator.owners(ref),
                "calendar": coordinator.calendar_label(ref),
                # The address or login to share with, as the user types it there.
                "account": provider.account if provider else ref.account,
            },
        )
    _async_raise_only(hass, entry.entry_id, ISSUE_NOT_SHARED, wanted)


def skipped_issue_id(entry_id: str, calendar: str, reason: SkipReason) -> str:
    """Return the issue id of the events of a calendar skipped for one reason."""
    return f"{_issue_prefix(entry_id, ISSUE_SKIPPED)}{_digest(calendar)}_{reason}"


async def async_update_skipped_issues(
    coordinator: SharedCalendarsCoordinator, report: SyncReport
) -> None:
    """Name the events that cannot be read, by calendar and kind of problem.

    The titles are the only text of an event shown (the log gets none of it).
    """
    hass = coordinator.hass
    entry = coordinator.config_entry
    calendars = coordinator.calendars()
    wanted: dict[str, _Issue] = {}
    for key, held in sorted(report.skipped.items()):
        if (ref := calendars.get(key)) is None:
            continue
        by_reason: dict[SkipReason, list[str]] = {}
        for item in held:
            by_reason.setdefault(item.reason, []).append(f'"{item.title}"')
        for reason, titles in by_reason.items():
            wanted[skipped_issue_id(entry.entry_id, key, reason)] = _Issue(
                f"{ISSUE_SKIPPED}_{reason}",
                ir.IssueSeverity.WARNING,
                {
                    "group": entry.title,
                    "member": coordinator.owners(ref),
                    "calendar": await coordinator.async_calendar_label(ref),
                    "events": _listed(titles),
                },
            )
    _async_raise_only(hass, entry.entry_id, ISSUE_SKIPPED, wanted)


def refused_issue_id(entry_id: str, calendar: str) -> str:
    """Return the issue id of the copies a combined calendar refused."""
    return f"{_issue_prefix(entry_id, ISSUE_REFUSED)}{_digest(calendar)}"


async def async_update_refused_issues(coordinator: SharedCalendarsCoordinator) -> None:
    """Name the copies each combined calendar refused, with the reason it gave.

    The state keeps a refused copy until the copy wanted there is another one, so
    the issues follow it: written, or its original gone, and the issue goes.
    The reason names the calendar as the user knows it, not by its id or URL.
    """
    hass = coordinator.hass
    entry = coordinator.config_entry
    by_calendar: dict[str, list[ParkedCopy]] = {}
    for (key, _), parked in coordinator.state.parked.items():
        by_calendar.setdefault(key, []).append(parked)
    wanted: dict[str, _Issue] = {}
    for key, refused in sorted(by_calendar.items()):
        ref = refused[0].record.target
        label = await coordinator.async_calendar_label(ref)
        lines = [
            f'"{parked.title}": {parked.reason.replace(ref.calendar_id, label)}'
            for parked in refused
        ]
        wanted[refused_issue_id(entry.entry_id, key)] = _Issue(
            ISSUE_REFUSED,
            ir.IssueSeverity.WARNING,
            {
                "group": entry.title,
                "member": coordinator.owners(ref),
                "calendar": label,
                "count": str(len(lines)),
                "events": _listed(lines),
            },
        )
    _async_raise_only(hass, entry.entry_id, ISSUE_REFUSED, wanted)


@dataclass(frozen=True, slots=True)
class _Issue:
    """A problem to show under Repairs, all its text translated."""

    translation_key: str
    severity: ir.IssueSeverity
    placeholders: dict[str, str]


@callback
def _async_raise_only(
    hass: HomeAssistant, entry_id: str, kind: str, wanted: dict[str, _Issue]
) -> None:
    """Raise the wanted issues of a kind (by id); the others of that kind are over."""
    for issue_id, issue in wanted.items():
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=issue.severity,
            translation_key=issue.translation_key,
            translation_placeholders=issue.placeholders,
        )
    for stale in _issues_of(hass, entry_id, kind):
        if stale.issue_id not in wanted:
            ir.async_delete_issue(hass, DOMAIN, stale.issue_id)


def _listed(lines: list[str]) -> str:
    """Return lines as a short Markdown list: the first few in order, the rest counted."""
    shown = sorted(lines)[:SKIPPED_SHOWN]
    if len(lines) > len(shown):
        shown.append(f"(+{len(lines) - len(shown)})")
    return "\n".join(f"- {line}" for line in shown)


@callback
def async_delete_issues(hass: HomeAssistant, entry_id: str) -> None:
    """Drop every issue of a group (it was removed): nothing is left to answer."""
    for kind in ("emptied", ISSUE_NOT_SHARED, ISSUE_SKIPPED, ISSUE_REFUSED):
        for issue in _issues_of(hass, entry_id, kind):
            ir.async_delete_issue(hass, DOMAIN, issue.issue_id)


def _issues_of(
    hass: HomeAssistant, entry_id: str, kind: str = "emptied"
) -> list[ir.IssueEntry]:
    prefix = _issue_prefix(entry_id, kind)
    return [
        issue
        for (domain, issue_id), issue in ir.async_get(hass).issues.items()
        if domain == DOMAIN and issue_id.startswith(prefix)
    ]


class EmptiedCalendarFlow(RepairsFlow):
    """Ask whether a calendar really was emptied, and let its change set through."""

    def __init__(self, entry_id: str, calendar: str) -> None:
        """Answer for one calendar of one group."""
        super().__init__()
        self._entry_id = entry_id
        self._calendar = calendar
        self._placeholders: dict[str, str] = {}

    async def async_step_init(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Offer the answers that fit the kind of calendar."""
        issue = ir.async_get(self.hass).async_get_issue(DOMAIN, self.issue_id)
        if issue is None:
            return self.async_abort(reason="resolved")
        self._placeholders = dict(issue.translation_placeholders or {})
        if issue.translation_key == ISSUE_COMBINED:
            return self.async_show_menu(
                step_id="init",
                menu_options=["recreate", "deleted_by_member"],
                description_placeholders=self._placeholders,
            )
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Remove the copies of a source's vanished events, once confirmed."""
        if user_input is None:
            return self.async_show_form(
                step_id="confirm",
                data_schema=probatio.Schema({}),
                description_placeholders=self._placeholders,
            )
        return await self._async_answer(Confirm.EMPTIED)

    async def async_step_recreate(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Write the copies that vanished from a combined calendar again."""
        return await self._async_answer(Confirm.EMPTIED)

    async def async_step_deleted_by_member(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Leave the vanished copies away, as if the member had deleted them."""
        return await self._async_answer(Confirm.DELETED_BY_MEMBER)

    async def _async_answer(self, confirm: Confirm) -> RepairsFlowResult:
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        if entry is None or entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="group_not_loaded")
        coordinator: SharedCalendarsCoordinator = entry.runtime_data.coordinator
        try:
            report = await coordinator.async_confirm(self._calendar, confirm)
        except HomeAssistantError:
            return self.async_abort(reason="sync_failed")
        if self._calendar in report.errors or self._calendar in report.held_back:
            return self.async_abort(reason="sync_failed")
        return self.async_create_entry(data={})


async def async_create_fix_flow(
    hass: HomeAssistant,
    issue_id: str,
    data: dict[str, str | int | float | None] | None,
) -> RepairsFlow:
    """Return the flow that answers an emptied-calendar issue."""
    if not data or DATA_ENTRY not in data or DATA_CALENDAR not in data:
        raise ValueError(f"{issue_id} is not an issue with a fix flow")
    return EmptiedCalendarFlow(str(data[DATA_ENTRY]), str(data[DATA_CALENDAR]))
