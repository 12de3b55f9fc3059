"""Config flow: a sharing group, set up in the UI, and its sync options.

One config entry is one group, created with its first account. More accounts
(Google service accounts and CalDAV logins, mixed) and the members are config
subentries, each with its flow: `flows/account.py`, `flows/member.py`. Signing
in is shared by all of them (`flows/signin.py`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, Final, override

from homeassistant.config_entries import (
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentry,
    ConfigSubentryData,
    ConfigSubentryFlow,
    OptionsFlow,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)
import probatio

from .accounts import REFUSED_ACCOUNTS, accounts_of, ha_account_id
from .const import (
    ACCOUNT_CALDAV,
    ACCOUNT_GOOGLE,
    ACCOUNT_HA,
    CONF_ACCOUNT_TYPE,
    CONF_API_ROOT,
    CONF_CONCURRENCY,
    CONF_GROUP_NAME,
    CONF_KEEP_COPIES_OF_REMOVED_MEMBERS,
    CONF_PASSWORD,
    CONF_ROOMS,
    CONF_SYNC_INTERVAL,
    CONF_TWO_WAY,
    CONF_TWO_WAY_DELETE,
    CONF_USERNAME,
    CONF_WINDOW_FUTURE_DAYS,
    CONF_WINDOW_PAST_DAYS,
    DEFAULT_CONCURRENCY,
    DEFAULT_KEEP_COPIES_OF_REMOVED_MEMBERS,
    DEFAULT_SYNC_INTERVAL,
    DEFAULT_TWO_WAY,
    DEFAULT_TWO_WAY_DELETE,
    DEFAULT_WINDOW_FUTURE_DAYS,
    DEFAULT_WINDOW_PAST_DAYS,
    DOMAIN,
    SUBENTRY_ACCOUNT,
    SUBENTRY_MEMBER,
)
from .coordinator import SharedCalendarsConfigEntry
from .flows.account import AccountSubentryFlow
from .flows.calendars import Choices, async_choices
from .flows.member import MemberSubentryFlow
from .flows.rooms import form_values, room_options, rooms_schema
from .flows.signin import (
    REFUSED,
    FormError,
    SignedIn,
    SignInSteps,
    async_list_calendars,
    key_schema,
    password_field,
)
from .members import members_of
from .providers.ha_calendar import HA_CALENDARS_TITLE

CONF_FIRST_ACCOUNT: Final = "account_type"
"""User step: which kind of account the group starts with."""


def _group_name_taken(hass: HomeAssistant, name: str) -> bool:
    folded = name.casefold()
    return any(
        entry.title.casefold() == folded
        for entry in hass.config_entries.async_entries(DOMAIN, include_ignore=False)
    )


class SharedCalendarsConfigFlow(
    SignInSteps[ConfigFlowResult], ConfigFlow, domain=DOMAIN
):
    """Create a sharing group with its first account; reauthenticate its accounts."""

    VERSION = 1

    def __init__(self) -> None:
        """Start with nothing entered."""
        self._name = ""
        self._account: SignedIn | None = None
        self._uploads: dict[str, bytes] = {}
        self._refused: list[str] = []
        """Subentry ids of the accounts still to reauthenticate, in order."""
        self._new_credentials: dict[str, dict[str, Any]] = {}

    @classmethod
    @callback
    @override
    def async_get_supported_subentry_types(
        cls, config_entry: SharedCalendarsConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Accounts and members are added to a group as subentries."""
        return {
            SUBENTRY_ACCOUNT: AccountSubentryFlow,
            SUBENTRY_MEMBER: MemberSubentryFlow,
        }

    @staticmethod
    @callback
    @override
    def async_get_options_flow(config_entry: SharedCalendarsConfigEntry) -> OptionsFlow:
        """Return the flow for the group's sync settings."""
        return SharedCalendarsOptionsFlow()

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the group's name and the kind of its first account."""
        errors: dict[str, str] = {}
        if user_input is not None:
            name = user_input[CONF_GROUP_NAME].strip()
            if not name:
                errors[CONF_GROUP_NAME] = "name_required"
            elif _group_name_taken(self.hass, name):
                errors[CONF_GROUP_NAME] = "name_in_use"
            else:
                self._name = name
                if user_input[CONF_FIRST_ACCOUNT] == ACCOUNT_HA:
                    # Nothing to sign in to: the group starts with Home Assistant's
                    # own calendars, and is known by that account's (random) id.
                    self._account = SignedIn(
                        id=ha_account_id(),
                        title=HA_CALENDARS_TITLE,
                        data={CONF_ACCOUNT_TYPE: ACCOUNT_HA},
                        calendars=[],
                    )
                    await self.async_set_unique_id(self._account.id)
                    return self._async_account_ready()
                if user_input[CONF_FIRST_ACCOUNT] == ACCOUNT_CALDAV:
                    return await self.async_step_caldav()
                return await self.async_step_google()
        schema = probatio.Schema(
            {
                probatio.Required(CONF_GROUP_NAME): TextSelector(),
                probatio.Required(
                    CONF_FIRST_ACCOUNT, default=ACCOUNT_GOOGLE
                ): SelectSelector(
                    SelectSelectorConfig(
                        options=[ACCOUNT_GOOGLE, ACCOUNT_CALDAV, ACCOUNT_HA],
                        mode=SelectSelectorMode.LIST,
                        translation_key="account_type",
                    )
                ),
            }
        )
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(schema, user_input),
            errors=errors,
        )

    async def _async_check_new(self, account: SignedIn) -> None:
        """Refuse a group that exists: a group is known by its first account."""
        await self.async_set_unique_id(account.id)
        self._abort_if_unique_id_configured()
        await super()._async_check_new(account)

    def _async_account_ready(self) -> ConfigFlowResult:
        """Create the group with its first account."""
        assert self._account is not None
        return self.async_create_entry(
            title=self._name,
            data={CONF_GROUP_NAME: self._name},
            subentries=[
                ConfigSubentryData(
                    subentry_type=SUBENTRY_ACCOUNT,
                    unique_id=self._account.id,
                    title=self._account.title,
                    data=self._account.data,
                )
            ],
        )

    # -- reauthentication

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Ask for new credentials of the accounts whose credentials were refused.

        A sync cycle or the setup names them. A reauthentication started without
        names (a group with several accounts) signs each account in again to
        find the refused ones.
        """
        entry = self._get_reauth_entry()
        accounts = accounts_of(entry)
        refused = [
            accounts[account_id]
            for account_id in entry_data.get(REFUSED_ACCOUNTS, ())
            if account_id in accounts
        ]
        if not refused and len(accounts) == 1:
            refused = list(accounts.values())
        if not refused:
            subentries = list(accounts.values())

            async def check(subentry: ConfigSubentry) -> str | None:
                try:
                    await async_list_calendars(self.hass, subentry.data)
                except FormError as err:
                    return err.error
                return None

            results = await asyncio.gather(*(check(sub) for sub in subentries))
            refused = [
                subentry
                for subentry, error in zip(subentries, results, strict=True)
                if error in REFUSED
            ]
            if not refused and any(results):
                return self.async_abort(reason="cannot_connect")
        if not refused:
            # Every account signs in again (a key restored, a server back): start over.
            self.hass.config_entries.async_schedule_reload(entry.entry_id)
            return self.async_abort(reason="reauth_not_needed")
        self._refused = [subentry.subentry_id for subentry in refused]
        self.context["title_placeholders"] = {
            "name": f"{entry.title}: {', '.join(sub.title for sub in refused)}"
        }
        return await self._async_step_next_refused()

    async def _async_step_next_refused(self) -> ConfigFlowResult:
        """Ask for the next refused account, or finish once each has new credentials."""
        if not self._refused:
            return self._async_finish_reauth()
        if self._reauth_subentry().data[CONF_ACCOUNT_TYPE] == ACCOUNT_GOOGLE:
            return await self.async_step_reauth_google()
        return await self.async_step_reauth_caldav()

    async def async_step_reauth_google(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new key of the same service account."""
        subentry = self._reauth_subentry()
        assert subentry.unique_id is not None
        signed_in = await self._async_google_form(
            "reauth_google",
            user_input,
            schema=key_schema(),
            api_root=subentry.data.get(CONF_API_ROOT),
            same_as=(subentry.unique_id, subentry.title),
        )
        if not isinstance(signed_in, SignedIn):
            return signed_in
        return await self._async_reauthenticated(subentry, signed_in.data)

    async def async_step_reauth_caldav(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the new password of a CalDAV login."""
        subentry = self._reauth_subentry()
        signed_in = await self._async_caldav_form(
            "reauth_caldav",
            user_input,
            schema=probatio.Schema(password_field()),
            settings=lambda user_input: {
                **subentry.data,
                CONF_PASSWORD: user_input[CONF_PASSWORD],
            },
            placeholders={
                "account": subentry.title,
                CONF_USERNAME: subentry.data[CONF_USERNAME],
            },
        )
        if not isinstance(signed_in, SignedIn):
            return signed_in
        return await self._async_reauthenticated(subentry, signed_in.data)

    def _reauth_subentry(self) -> ConfigSubentry:
        return self._get_reauth_entry().subentries[self._refused[0]]

    async def _async_reauthenticated(
        self, subentry: ConfigSubentry, data: dict[str, Any]
    ) -> ConfigFlowResult:
        """Keep the account's new credentials; go on with the next refused account."""
        self._new_credentials[subentry.subentry_id] = data
        self._refused.pop(0)
        return await self._async_step_next_refused()

    def _async_finish_reauth(self) -> ConfigFlowResult:
        """Store the new credentials, and start syncing again in any case.

        A loaded group reloads through its update listener when a subentry
        changes. Credentials entered unchanged (the server refused them only for
        a while) change nothing, and a group that failed to set up has no
        listener: both are reloaded here, as the refusal stopped their syncing.
        """
        entry = self._get_reauth_entry()
        # Asked first: the listener, once called, starts unloading the group.
        listening = bool(entry.update_listeners)
        changed = False
        for subentry_id, data in self._new_credentials.items():
            changed |= self.hass.config_entries.async_update_subentry(
                entry, entry.subentries[subentry_id], data=data
            )
        if not (changed and listening):
            self.hass.config_entries.async_schedule_reload(entry.entry_id)
        return self.async_abort(reason="reauth_successful")


class SharedCalendarsOptionsFlow(OptionsFlow):
    """The group's sync settings, then its rooms; the group reloads with them."""

    def __init__(self) -> None:
        """Start with nothing entered."""
        self._sync: dict[str, Any] = {}
        self._choices: Choices | None = None

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the sync settings; the rooms come next."""
        if user_input is not None:
            self._sync = user_input
            return await self.async_step_rooms()
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                _options_schema(), self.config_entry.options
            ),
        )

    async def async_step_rooms(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick the room calendars and say how they are cleared; save all options."""
        if self._choices is None:
            self._choices = await async_choices(
                self.hass, accounts_of(self.config_entry)
            )
        current = list(self.config_entry.options.get(CONF_ROOMS, ()))
        errors: dict[str, str] = {}
        shown: Mapping[str, Any] = form_values(self.config_entry.options)
        if user_input is not None:
            values, errors = room_options(
                self.hass,
                user_input,
                self._choices,
                current,
                members_of(self.config_entry),
            )
            if not errors:
                return self.async_create_entry(data={**self._sync, **values})
            shown = user_input
        return self.async_show_form(
            step_id="rooms",
            data_schema=self.add_suggested_values_to_schema(
                rooms_schema(self._choices, current), shown
            ),
            errors=errors,
        )


def _whole_number(low: int, high: int, unit: str) -> probatio.All[int]:
    return probatio.All(
        NumberSelector(
            NumberSelectorConfig(
                min=low,
                max=high,
                step=1,
                mode=NumberSelectorMode.BOX,
                unit_of_measurement=unit,
            )
        ),
        probatio.Coerce(int),
    )


def _options_schema() -> probatio.Schema:
    return probatio.Schema(
        {
            probatio.Required(
                CONF_SYNC_INTERVAL,
                default=int(DEFAULT_SYNC_INTERVAL.total_seconds() // 60),
            ): _whole_number(1, 1440, "min"),
            probatio.Required(
                CONF_WINDOW_PAST_DAYS, default=DEFAULT_WINDOW_PAST_DAYS
            ): _whole_number(0, 3650, "d"),
            probatio.Required(
                CONF_WINDOW_FUTURE_DAYS, default=DEFAULT_WINDOW_FUTURE_DAYS
            ): _whole_number(1, 3650, "d"),
            probatio.Required(
                CONF_CONCURRENCY, default=DEFAULT_CONCURRENCY
            ): _whole_number(1, 16, ""),
            probatio.Required(
                CONF_KEEP_COPIES_OF_REMOVED_MEMBERS,
                default=DEFAULT_KEEP_COPIES_OF_REMOVED_MEMBERS,
            ): BooleanSelector(),
            probatio.Required(CONF_TWO_WAY, default=DEFAULT_TWO_WAY): BooleanSelector(),
            probatio.Required(
                CONF_TWO_WAY_DELETE, default=DEFAULT_TWO_WAY_DELETE
            ): BooleanSelector(),
        }
    )
