"""The calendars a member may pick: those the group's accounts list, and typed ids.

A form option's value names the account that reaches the calendar and the
calendar (`account|calendar`); the form shows its label, the calendar's name and
the account's title.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.selector import SelectOptionDict

from ..const import (
    ACCOUNT_CALDAV,
    ACCOUNT_GOOGLE,
    ACCOUNT_HA,
    CONF_ACCOUNT,
    CONF_ACCOUNT_TYPE,
    CONF_CALENDAR_ID,
    CONF_CALENDAR_NAME,
    CONF_COMBINED,
    CONF_SOURCES,
    CONF_URL,
)
from ..engine.model import CalendarInfo
from ..providers.base import CalendarProvider, NotShared
from .signin import FormError, async_list_calendars, async_use


@dataclass(frozen=True, kw_only=True, slots=True)
class Calendar:
    """A calendar a member may pick: which account reaches it, and how."""

    account: str
    calendar_id: str
    name: str
    account_title: str
    writable: bool

    @property
    def label(self) -> str:
        """Return how the form shows it: its name and the account that reaches it."""
        return f"{self.name} ({self.account_title})"

    @property
    def value(self) -> str:
        """Return the select option's value."""
        return option_value(self.account, self.calendar_id)

    @property
    def ref(self) -> tuple[str, str]:
        """Return (account id, calendar id), as `calendar_refs` gives them."""
        return (self.account, self.calendar_id)


def option_value(account: str, calendar_id: str) -> str:
    """Return the form's value for a calendar: the account that reaches it, and it."""
    return f"{account}|{calendar_id}"


def calendar_data(calendar: Calendar) -> dict[str, str]:
    """Return how a member's subentry keeps a calendar: where it is, and its name."""
    return {
        CONF_ACCOUNT: calendar.account,
        CONF_CALENDAR_ID: calendar.calendar_id,
        CONF_CALENDAR_NAME: calendar.name,
    }


def calendar_names_of(data: Mapping[str, Any]) -> dict[tuple[str, str], str]:
    """Return the names a member's subentry keeps for its calendars."""
    combined = data.get(CONF_COMBINED)
    return {
        (calendar[CONF_ACCOUNT], calendar[CONF_CALENDAR_ID]): calendar[
            CONF_CALENDAR_NAME
        ]
        for calendar in (*data.get(CONF_SOURCES, ()), *([combined] if combined else ()))
        if calendar.get(CONF_CALENDAR_NAME)
    }


def calendar_refs(
    data: Mapping[str, Any],
) -> tuple[set[tuple[str, str]], tuple[str, str] | None]:
    """Return a member's source calendars and combined calendar as (account, id)."""
    sources = {
        (source[CONF_ACCOUNT], source[CONF_CALENDAR_ID])
        for source in data.get(CONF_SOURCES, ())
    }
    combined = data.get(CONF_COMBINED)
    return sources, (
        (combined[CONF_ACCOUNT], combined[CONF_CALENDAR_ID]) if combined else None
    )


@dataclass(kw_only=True)
class Choices:
    """The calendars the group's accounts see, gathered once per flow."""

    calendars: dict[str, Calendar] = field(default_factory=dict)
    """By option value."""
    unavailable: list[str] = field(default_factory=list)
    """Titles of the accounts that could not list their calendars."""
    typed: dict[str, str] = field(default_factory=dict)
    """Option value of each calendar id the user typed and that was found."""

    def add(self, calendar: Calendar) -> None:
        """Offer a calendar; one offered already stays as it was found first."""
        self.calendars.setdefault(calendar.value, calendar)

    def options(
        self,
        *,
        writable_only: bool = False,
        keep: str | None = None,
        skip_accounts: Collection[str] = (),
    ) -> list[SelectOptionDict]:
        """Return the calendars to pick from, by label; `keep` is offered in any case.

        A value that is not among the options is shown raw by the frontend.
        """
        return sorted(
            (
                SelectOptionDict(value=calendar.value, label=calendar.label)
                for calendar in self.calendars.values()
                if calendar.account not in skip_accounts
                and (calendar.writable or not writable_only or calendar.value == keep)
            ),
            key=lambda option: option["label"].casefold(),
        )

    def shown(self, user_input: Mapping[str, Any]) -> dict[str, Any]:
        """Return the form's values with each typed calendar as the option found."""
        values = dict(user_input)
        if sources := values.get(CONF_SOURCES):
            values[CONF_SOURCES] = [self.typed.get(value, value) for value in sources]
        if combined := values.get(CONF_COMBINED):
            values[CONF_COMBINED] = self.typed.get(combined, combined)
        return values


async def async_choices(
    hass: HomeAssistant, accounts: Mapping[str, ConfigSubentry]
) -> Choices:
    """List every account's calendars, concurrently; note the accounts that fail."""

    async def listing(subentry: ConfigSubentry) -> list[CalendarInfo] | None:
        try:
            return await async_list_calendars(hass, subentry.data)
        except FormError:
            return None

    results = await asyncio.gather(
        *(listing(subentry) for subentry in accounts.values())
    )
    choices = Choices()
    for (account_id, subentry), calendars in zip(
        accounts.items(), results, strict=True
    ):
        if calendars is None:
            choices.unavailable.append(subentry.title)
            continue
        for info in calendars:
            choices.add(
                Calendar(
                    account=account_id,
                    calendar_id=info.id,
                    name=info.name,
                    account_title=subentry.title,
                    writable=info.writable,
                )
            )
    return choices


def _candidates(calendar_id: str, accounts: Mapping[str, ConfigSubentry]) -> list[str]:
    """Return the accounts that may reach a typed calendar id.

    An entity id is one of Home Assistant's calendars; a URL is a CalDAV calendar, tried only with logins on that very server (never
    send a password to another host); anything else is a Google calendar id.
    """
    if calendar_id.startswith("calendar."):
        return [
            account_id
            for account_id, subentry in accounts.items()
            if subentry.data[CONF_ACCOUNT_TYPE] == ACCOUNT_HA
        ]
    parts = urlsplit(calendar_id)
    if parts.scheme in ("http", "https"):
        return [
            account_id
            for account_id, subentry in accounts.items()
            if subentry.data[CONF_ACCOUNT_TYPE] == ACCOUNT_CALDAV
            and urlsplit(subentry.data[CONF_URL]).netloc.lower() == parts.netloc.lower()
        ]
    return [
        account_id
        for account_id, subentry in accounts.items()
        if subentry.data[CONF_ACCOUNT_TYPE] == ACCOUNT_GOOGLE
    ]


async def async_find_calendar(
    hass: HomeAssistant,
    accounts: Mapping[str, ConfigSubentry],
    value: str,
    field_name: str,
) -> Calendar:
    """Resolve a typed `<account id>|<calendar id>` or a bare calendar id."""
    calendar_id = value.strip()
    named = None
    for account_id in accounts:
        if value.startswith(f"{account_id}|"):
            calendar_id = value[len(account_id) + 1 :].strip()
            named = account_id
            break
    candidates = [
        account_id
        for account_id in _candidates(calendar_id, accounts)
        if named in (None, account_id)
    ]
    if not candidates:
        raise FormError("no_account_for_calendar", field=field_name, calendar=value)

    async def get_calendar(provider: CalendarProvider) -> CalendarInfo:
        return await provider.get_calendar(calendar_id)

    for account_id in candidates:
        subentry = accounts[account_id]
        try:
            info = await async_use(hass, subentry.data, get_calendar)
        except NotShared:
            continue
        except FormError as err:
            err.field = field_name
            raise
        return Calendar(
            account=account_id,
            calendar_id=info.id,
            name=info.name,
            account_title=subentry.title,
            writable=info.writable,
        )
    raise FormError(
        "not_shared",
        field=field_name,
        calendar=calendar_id,
        account=" / ".join(accounts[account_id].title for account_id in candidates),
    )
