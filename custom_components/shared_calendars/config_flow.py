"""Config flow: a sharing group, its accounts and its members, set up in the UI.

One config entry is one group. It is created with its first account; more accounts
(Google service accounts and CalDAV logins, mixed) and the members are config
subentries. Every account is validated by really signing in and listing its
calendars; every calendar a member names is checked with the account that reaches it.
Secrets (keys, passwords) are never logged, never echoed back into a form.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
import json
from pathlib import Path
from typing import Any, Final, override
from urllib.parse import urlsplit

from homeassistant.components.file_upload import process_uploaded_file
from homeassistant.config_entries import (
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentry,
    ConfigSubentryData,
    ConfigSubentryFlow,
    OptionsFlow,
    SubentryFlowResult,
)
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import AbortFlow, FlowHandler, section
from homeassistant.helpers.selector import (
    BooleanSelector,
    FileSelector,
    FileSelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.util import slugify
import probatio

from .accounts import (
    REFUSED_ACCOUNTS,
    accounts_of,
    async_build_provider,
    caldav_account_id,
    google_account_id,
)
from .const import (
    ACCOUNT_CALDAV,
    ACCOUNT_GOOGLE,
    CONF_ACCOUNT,
    CONF_ACCOUNT_TYPE,
    CONF_API_ROOT,
    CONF_CALENDAR_ID,
    CONF_CALENDAR_NAME,
    CONF_COLOR,
    CONF_COMBINED,
    CONF_CONCURRENCY,
    CONF_EXCLUDE_KEYWORDS,
    CONF_GROUP_NAME,
    CONF_INCLUDE_KEYWORDS,
    CONF_KEEP_COPIES_OF_REMOVED_MEMBERS,
    CONF_PASSWORD,
    CONF_PRIVACY,
    CONF_RECEIVE_OWN,
    CONF_SERVICE_ACCOUNT,
    CONF_SKIP_ALL_DAY,
    CONF_SKIP_FREE,
    CONF_SKIP_TENTATIVE,
    CONF_SOURCES,
    CONF_SYNC_INTERVAL,
    CONF_TITLE_PREFIX,
    CONF_URL,
    CONF_USERNAME,
    CONF_VERIFY_SSL,
    CONF_WINDOW_FUTURE_DAYS,
    CONF_WINDOW_PAST_DAYS,
    DEFAULT_CONCURRENCY,
    DEFAULT_KEEP_COPIES_OF_REMOVED_MEMBERS,
    DEFAULT_SYNC_INTERVAL,
    DEFAULT_WINDOW_FUTURE_DAYS,
    DEFAULT_WINDOW_PAST_DAYS,
    DOMAIN,
    LOGGER,
    SUBENTRY_ACCOUNT,
    SUBENTRY_MEMBER,
)
from .coordinator import SharedCalendarsConfigEntry
from .engine.model import CalendarInfo, EventColor, Privacy
from .providers.base import (
    AuthFailed,
    CalendarProvider,
    NotShared,
    RateLimited,
    Unreachable,
)
from .providers.google import DEFAULT_API_ROOT, InvalidKey, async_parse_key

CONF_FIRST_ACCOUNT: Final = "account_type"
"""User step: which kind of account the group starts with."""
CONF_KEY_TEXT: Final = "service_account_json"
CONF_KEY_FILE: Final = "service_account_file"
SECTION_ADVANCED: Final = "advanced"
SECTION_SHARING: Final = "sharing"
SECTION_FILTERS: Final = "filters"

SERVICE_ACCOUNTS_URL: Final = (
    "https://console.cloud.google.com/iam-admin/serviceaccounts"
)
MAX_KEY_FILE_SIZE: Final = 1024 * 1024
"""A service-account key is about 2 KB; reading more than this is pointless."""


# ---------------------------------------------------------------- validation


class _FormError(Exception):
    """What to show on the form: a translated error on a field, with placeholders."""

    def __init__(self, error: str, *, field: str = "base", **placeholders: str) -> None:
        super().__init__(error)
        self.error = error
        self.field = field
        self.placeholders = placeholders

    @property
    def errors(self) -> dict[str, str]:
        return {self.field: self.error}


@dataclass(frozen=True, kw_only=True, slots=True)
class _Account:
    """An account that signed in: its id, its subentry title and data."""

    id: str
    title: str
    data: dict[str, Any]
    calendars: list[CalendarInfo]

    def subentry(self) -> ConfigSubentryData:
        return ConfigSubentryData(
            subentry_type=SUBENTRY_ACCOUNT,
            unique_id=self.id,
            title=self.title,
            data=self.data,
        )


async def _async_use[T](
    hass: HomeAssistant,
    settings: Mapping[str, Any],
    use: Callable[[CalendarProvider], Awaitable[T]],
) -> T:
    """Connect an account, `use` it, close it; turn failures into form errors.

    `NotShared` passes through: only the caller knows which calendar it concerns.
    """
    try:
        provider = await async_build_provider(hass, settings)
        try:
            return await use(provider)
        finally:
            await provider.close()
    except InvalidKey as err:
        raise _FormError("invalid_key", key_error=str(err)) from None
    except AuthFailed:
        if settings[CONF_ACCOUNT_TYPE] == ACCOUNT_GOOGLE:
            raise _FormError("key_refused") from None
        raise _FormError("invalid_auth") from None
    except RateLimited:
        raise _FormError("rate_limited") from None
    except Unreachable:
        raise _FormError("cannot_connect") from None
    except NotShared:
        raise
    except Exception:  # noqa: BLE001
        # Provider messages name accounts and calendars, never a secret.
        LOGGER.exception("Unexpected error while checking an account")
        raise _FormError("unknown") from None


async def _async_list_calendars(
    hass: HomeAssistant, settings: Mapping[str, Any]
) -> list[CalendarInfo]:
    """Sign in and list the calendars: the proof that an account works."""

    async def list_calendars(provider: CalendarProvider) -> list[CalendarInfo]:
        return await provider.list_calendars()

    return await _async_use(hass, settings, list_calendars)


def _read_uploaded_key(hass: HomeAssistant, file_id: str) -> bytes:
    """Read an uploaded file (in the executor); raise `ValueError` when it is gone."""
    with process_uploaded_file(hass, file_id) as path, Path(path).open("rb") as file:
        return file.read(MAX_KEY_FILE_SIZE)


async def _async_key_input(
    hass: HomeAssistant, user_input: Mapping[str, Any], uploads: dict[str, bytes]
) -> str | bytes:
    """Return the key the user pasted or uploaded (exactly one of them).

    Home Assistant deletes an uploaded file once it is read; `uploads` keeps its
    content for the flow, so the same upload can be submitted again after an error.
    """
    text = (user_input.get(CONF_KEY_TEXT) or "").strip()
    file_id = user_input.get(CONF_KEY_FILE)
    if text and file_id:
        raise _FormError("key_twice")
    if file_id:
        if file_id not in uploads:
            try:
                uploads[file_id] = await hass.async_add_executor_job(
                    _read_uploaded_key, hass, file_id
                )
            except ValueError:
                raise _FormError("upload_failed", field=CONF_KEY_FILE) from None
        return uploads[file_id]
    if text:
        return text
    raise _FormError("key_required")


async def _async_google_account(
    hass: HomeAssistant,
    user_input: Mapping[str, Any],
    uploads: dict[str, bytes],
    *,
    api_root: str | None,
) -> _Account:
    """Validate a service-account key by getting a token and listing calendars."""
    raw = await _async_key_input(hass, user_input, uploads)
    try:
        key = await async_parse_key(raw)
    except InvalidKey as err:
        raise _FormError("invalid_key", key_error=str(err)) from None
    data: dict[str, Any] = {
        CONF_ACCOUNT_TYPE: ACCOUNT_GOOGLE,
        # Parsing succeeded, so this is a JSON object.
        CONF_SERVICE_ACCOUNT: json.loads(raw),
    }
    if api_root and (api_root := api_root.strip()).rstrip("/") != DEFAULT_API_ROOT:
        data[CONF_API_ROOT] = api_root
    calendars = await _async_list_calendars(hass, data)
    return _Account(
        id=google_account_id(key.client_email),
        title=key.client_email,
        data=data,
        calendars=calendars,
    )


async def _async_caldav_account(
    hass: HomeAssistant, settings: Mapping[str, Any]
) -> _Account:
    """Validate a CalDAV login by discovering the calendar home and listing it."""
    url = settings[CONF_URL].strip()
    username = settings[CONF_USERNAME].strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _FormError("invalid_url", field=CONF_URL)
    data = {
        CONF_ACCOUNT_TYPE: ACCOUNT_CALDAV,
        CONF_URL: url,
        CONF_USERNAME: username,
        CONF_PASSWORD: settings[CONF_PASSWORD],
        CONF_VERIFY_SSL: settings.get(CONF_VERIFY_SSL, True),
    }
    calendars = await _async_list_calendars(hass, data)
    return _Account(
        id=caldav_account_id(username, url),
        title=f"{username} on {url}",
        data=data,
        calendars=calendars,
    )


def _account_in_use(hass: HomeAssistant, account_id: str) -> bool:
    """Return whether any group already has this account."""
    return any(
        subentry.subentry_type == SUBENTRY_ACCOUNT and subentry.unique_id == account_id
        for entry in hass.config_entries.async_entries(DOMAIN, include_ignore=False)
        for subentry in entry.subentries.values()
    )


def _group_name_taken(hass: HomeAssistant, name: str) -> bool:
    folded = name.casefold()
    return any(
        entry.title.casefold() == folded
        for entry in hass.config_entries.async_entries(DOMAIN, include_ignore=False)
    )


# ------------------------------------------------------------------- schemas


def _group_schema() -> probatio.Schema:
    return probatio.Schema(
        {
            probatio.Required(CONF_GROUP_NAME): TextSelector(),
            probatio.Required(
                CONF_FIRST_ACCOUNT, default=ACCOUNT_GOOGLE
            ): SelectSelector(
                SelectSelectorConfig(
                    options=[ACCOUNT_GOOGLE, ACCOUNT_CALDAV],
                    mode=SelectSelectorMode.LIST,
                    translation_key="account_type",
                )
            ),
        }
    )


def _key_fields() -> dict[probatio.Marker, Any]:
    return {
        probatio.Optional(probatio.Secret(CONF_KEY_TEXT)): TextSelector(
            TextSelectorConfig(multiline=True, autocomplete="off")
        ),
        probatio.Optional(CONF_KEY_FILE): FileSelector(
            FileSelectorConfig(accept=".json,application/json")
        ),
    }


def _google_schema() -> probatio.Schema:
    """Ask for the key, pasted or uploaded; fold the API root away (test servers)."""
    return probatio.Schema(
        {
            **_key_fields(),
            probatio.Required(SECTION_ADVANCED): section(
                probatio.Schema(
                    {
                        probatio.Optional(
                            CONF_API_ROOT, default=DEFAULT_API_ROOT
                        ): TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
                    }
                ),
                {"collapsed": True},
            ),
        }
    )


def _password_field(*, required: bool = True) -> dict[probatio.Marker, Any]:
    marker = probatio.Required if required else probatio.Optional
    return {
        marker(probatio.Secret(CONF_PASSWORD)): TextSelector(
            TextSelectorConfig(
                type=TextSelectorType.PASSWORD, autocomplete="current-password"
            )
        )
    }


def _caldav_schema() -> probatio.Schema:
    return probatio.Schema(
        {
            probatio.Required(CONF_URL): TextSelector(
                TextSelectorConfig(type=TextSelectorType.URL, autocomplete="url")
            ),
            probatio.Required(CONF_USERNAME): TextSelector(
                TextSelectorConfig(autocomplete="username")
            ),
            **_password_field(),
            probatio.Required(CONF_VERIFY_SSL, default=True): BooleanSelector(),
        }
    )


def _without_secrets(user_input: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return what may be shown again in a form: everything but keys and passwords."""
    secret = {CONF_PASSWORD, CONF_KEY_TEXT, CONF_KEY_FILE}
    return {k: v for k, v in (user_input or {}).items() if k not in secret}


def _google_placeholders(**extra: str) -> dict[str, str]:
    return {"console_url": SERVICE_ACCOUNTS_URL, "key_error": "", **extra}


# --------------------------------------------------------------- the group


class _AccountSteps[ResultT: (ConfigFlowResult, SubentryFlowResult)](
    FlowHandler[Any, ResultT, Any]
):
    """The sign-in steps of an account, shared by a new group and an added account."""

    _account: _Account | None
    _uploads: dict[str, bytes]

    async def _async_check_new(self, account: _Account) -> None:
        """Abort (`AbortFlow`) when the account that signed in may not be added."""
        if _account_in_use(self.hass, account.id):
            raise AbortFlow("already_configured")

    def _async_account_ready(self) -> ResultT:
        """Finish once `_account` is signed in."""
        raise NotImplementedError

    async def async_step_google(
        self, user_input: dict[str, Any] | None = None
    ) -> ResultT:
        """Sign in with a service-account key."""
        errors: dict[str, str] = {}
        placeholders = _google_placeholders()
        if user_input is not None:
            try:
                account = await _async_google_account(
                    self.hass,
                    user_input,
                    self._uploads,
                    api_root=user_input.get(SECTION_ADVANCED, {}).get(CONF_API_ROOT),
                )
            except _FormError as err:
                errors = err.errors
                placeholders.update(err.placeholders)
            else:
                await self._async_check_new(account)
                self._account = account
                return await self.async_step_share()
        return self.async_show_form(
            step_id="google",
            data_schema=self.add_suggested_values_to_schema(
                _google_schema(), _without_secrets(user_input)
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_share(
        self, user_input: dict[str, Any] | None = None
    ) -> ResultT:
        """Show the address members share their calendars with; then finish."""
        assert self._account is not None
        if user_input is not None:
            return self._async_account_ready()
        return self.async_show_form(
            step_id="share",
            description_placeholders=_share_placeholders(self._account),
        )

    async def async_step_caldav(
        self, user_input: dict[str, Any] | None = None
    ) -> ResultT:
        """Sign in to a CalDAV server (Nextcloud, iCloud, Fastmail, Radicale ...)."""
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                account = await _async_caldav_account(self.hass, user_input)
            except _FormError as err:
                errors = err.errors
            else:
                await self._async_check_new(account)
                self._account = account
                return self._async_account_ready()
        return self.async_show_form(
            step_id="caldav",
            data_schema=self.add_suggested_values_to_schema(
                _caldav_schema(), _without_secrets(user_input)
            ),
            errors=errors,
        )


class SharedCalendarsConfigFlow(
    _AccountSteps[ConfigFlowResult], ConfigFlow, domain=DOMAIN
):
    """Create a sharing group with its first account; reauthenticate; rename it."""

    VERSION = 1

    def __init__(self) -> None:
        """Start with nothing entered."""
        self._name = ""
        self._account: _Account | None = None
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
                if user_input[CONF_FIRST_ACCOUNT] == ACCOUNT_CALDAV:
                    return await self.async_step_caldav()
                return await self.async_step_google()
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                _group_schema(), user_input
            ),
            errors=errors,
        )

    async def _async_check_new(self, account: _Account) -> None:
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
            subentries=[self._account.subentry()],
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
                    await _async_list_calendars(self.hass, subentry.data)
                except _FormError as err:
                    return err.error
                return None

            results = await asyncio.gather(*(check(sub) for sub in subentries))
            refused = [
                subentry
                for subentry, error in zip(subentries, results, strict=True)
                if error in ("invalid_auth", "invalid_key", "key_refused")
            ]
            if not refused and any(results):
                return self.async_abort(reason="cannot_connect")
        if not refused:
            # Every account signs in again (a key restored, a server back): start over.
            self.hass.config_entries.async_schedule_reload(entry.entry_id)
            return self.async_abort(reason="reauth_not_needed")
        self._refused = [subentry.subentry_id for subentry in refused]
        self.context["title_placeholders"] = {
            "name": entry.title,
            "accounts": ", ".join(subentry.title for subentry in refused),
        }
        return await self._async_step_next_refused()

    async def _async_step_next_refused(self) -> ConfigFlowResult:
        """Ask for the next refused account, or finish once each has new credentials."""
        if not self._refused:
            return self._async_finish_reauth()
        subentry = self._get_reauth_entry().subentries[self._refused[0]]
        if subentry.data[CONF_ACCOUNT_TYPE] == ACCOUNT_GOOGLE:
            return await self.async_step_reauth_google()
        return await self.async_step_reauth_caldav()

    async def async_step_reauth_google(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new key of the same service account."""
        subentry = self._reauth_subentry()
        errors: dict[str, str] = {}
        placeholders = _google_placeholders(account=subentry.title)
        if user_input is not None:
            try:
                account = await _async_google_account(
                    self.hass,
                    user_input,
                    self._uploads,
                    api_root=subentry.data.get(CONF_API_ROOT),
                )
            except _FormError as err:
                errors = err.errors
                placeholders.update(err.placeholders)
            else:
                if account.id == subentry.unique_id:
                    return await self._async_reauthenticated(subentry, account.data)
                errors = {"base": "wrong_account"}
                placeholders["other"] = account.title
        return self.async_show_form(
            step_id="reauth_google",
            data_schema=probatio.Schema(_key_fields()),
            errors=errors,
            description_placeholders={"other": "", **placeholders},
        )

    async def async_step_reauth_caldav(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the new password of a CalDAV login."""
        subentry = self._reauth_subentry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**subentry.data, CONF_PASSWORD: user_input[CONF_PASSWORD]}
            try:
                await _async_caldav_account(self.hass, data)
            except _FormError as err:
                errors = err.errors
            else:
                return await self._async_reauthenticated(subentry, data)
        return self.async_show_form(
            step_id="reauth_caldav",
            data_schema=probatio.Schema(_password_field()),
            errors=errors,
            description_placeholders={
                "account": subentry.title,
                CONF_USERNAME: subentry.data[CONF_USERNAME],
            },
        )

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
        changed = False
        for subentry_id, data in self._new_credentials.items():
            changed |= self.hass.config_entries.async_update_subentry(
                entry, entry.subentries[subentry_id], data=data
            )
        if not (changed and entry.update_listeners):
            self.hass.config_entries.async_schedule_reload(entry.entry_id)
        return self.async_abort(reason="reauth_successful")


def _share_placeholders(account: _Account) -> dict[str, str]:
    return {"email": account.title, "count": str(len(account.calendars))}


# ------------------------------------------------------------------ accounts


class AccountSubentryFlow(_AccountSteps[SubentryFlowResult], ConfigSubentryFlow):
    """Add an account to a group, or change its credentials."""

    def __init__(self) -> None:
        """Start with nothing entered."""
        self._account: _Account | None = None
        self._uploads: dict[str, bytes] = {}

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Choose the kind of account."""
        return self.async_show_menu(
            step_id="user", menu_options=[ACCOUNT_GOOGLE, ACCOUNT_CALDAV]
        )

    def _async_account_ready(self) -> SubentryFlowResult:
        """Add the account to the group."""
        assert self._account is not None
        return self.async_create_entry(
            title=self._account.title,
            data=self._account.data,
            unique_id=self._account.id,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change an account's credentials or server address."""
        subentry = self._get_reconfigure_subentry()
        if subentry.data[CONF_ACCOUNT_TYPE] == ACCOUNT_GOOGLE:
            return await self.async_step_reconfigure_google()
        return await self.async_step_reconfigure_caldav()

    async def async_step_reconfigure_google(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Replace the key of a service account (a rotated key, another API root)."""
        subentry = self._get_reconfigure_subentry()
        errors: dict[str, str] = {}
        placeholders = _google_placeholders(account=subentry.title)
        if user_input is not None:
            try:
                account = await _async_google_account(
                    self.hass,
                    user_input,
                    self._uploads,
                    api_root=user_input.get(SECTION_ADVANCED, {}).get(CONF_API_ROOT),
                )
            except _FormError as err:
                errors = err.errors
                placeholders.update(err.placeholders)
            else:
                if account.id != subentry.unique_id:
                    return self.async_abort(
                        reason="wrong_account",
                        description_placeholders={
                            "account": subentry.title,
                            "other": account.title,
                        },
                    )
                return self._async_update_account(subentry, account)
        suggested = _without_secrets(user_input) or {
            SECTION_ADVANCED: {
                CONF_API_ROOT: subentry.data.get(CONF_API_ROOT) or DEFAULT_API_ROOT
            }
        }
        return self.async_show_form(
            step_id="reconfigure_google",
            data_schema=self.add_suggested_values_to_schema(
                _google_schema(), suggested
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_reconfigure_caldav(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change the server address, password or TLS check of a CalDAV login.

        The user name stays: it and the server's host name the account, and the
        members' calendars belong to it.
        """
        subentry = self._get_reconfigure_subentry()
        username = subentry.data[CONF_USERNAME]
        errors: dict[str, str] = {}
        host = urlsplit(subentry.data[CONF_URL]).netloc
        if user_input is not None:
            data = {
                **subentry.data,
                CONF_URL: user_input[CONF_URL].strip(),
                CONF_PASSWORD: user_input.get(CONF_PASSWORD)
                or subentry.data[CONF_PASSWORD],
                CONF_VERIFY_SSL: user_input[CONF_VERIFY_SSL],
            }
            # Checked first: the stored password goes to no other host.
            if caldav_account_id(username, data[CONF_URL]) != subentry.unique_id:
                errors = {CONF_URL: "other_server"}
            else:
                try:
                    account = await _async_caldav_account(self.hass, data)
                except _FormError as err:
                    errors = err.errors
                else:
                    return self._async_update_account(subentry, account)
        schema = probatio.Schema(
            {
                probatio.Required(CONF_URL): TextSelector(
                    TextSelectorConfig(type=TextSelectorType.URL)
                ),
                **_password_field(required=False),
                probatio.Required(CONF_VERIFY_SSL): BooleanSelector(),
            }
        )
        return self.async_show_form(
            step_id="reconfigure_caldav",
            data_schema=self.add_suggested_values_to_schema(
                schema, _without_secrets(user_input or subentry.data)
            ),
            errors=errors,
            description_placeholders={
                "account": subentry.title,
                CONF_USERNAME: username,
                "host": host,
            },
        )

    def _async_update_account(
        self, subentry: ConfigSubentry, account: _Account
    ) -> SubentryFlowResult:
        entry = self._get_entry()
        if entry.update_listeners:
            # Loaded: the update listener reloads the group when the data changed.
            return self.async_update_and_abort(
                entry,
                subentry,
                title=account.title,
                data=account.data,
                reason="reconfigure_successful",
            )
        # Not loaded (perhaps because of these very credentials): try again now.
        return self.async_update_reload_and_abort(
            entry,
            subentry,
            title=account.title,
            data=account.data,
            reason="reconfigure_successful",
        )


# ------------------------------------------------------------------- members


@dataclass(frozen=True, kw_only=True, slots=True)
class _Calendar:
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
        return _value(self.account, self.calendar_id)

    @property
    def ref(self) -> tuple[str, str]:
        return (self.account, self.calendar_id)


def _value(account: str, calendar_id: str) -> str:
    return f"{account}|{calendar_id}"


def _calendar_data(calendar: _Calendar) -> dict[str, str]:
    """Return how a member's subentry keeps a calendar: where it is, and its name."""
    return {
        CONF_ACCOUNT: calendar.account,
        CONF_CALENDAR_ID: calendar.calendar_id,
        CONF_CALENDAR_NAME: calendar.name,
    }


def _names(data: Mapping[str, Any]) -> dict[tuple[str, str], str]:
    """Return the names a member's subentry keeps for its calendars."""
    combined = data.get(CONF_COMBINED)
    return {
        (calendar[CONF_ACCOUNT], calendar[CONF_CALENDAR_ID]): calendar[
            CONF_CALENDAR_NAME
        ]
        for calendar in (*data.get(CONF_SOURCES, ()), *([combined] if combined else ()))
        if calendar.get(CONF_CALENDAR_NAME)
    }


def _refs(
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
class _Choices:
    """The calendars the group's accounts see, gathered once per flow."""

    calendars: dict[str, _Calendar] = field(default_factory=dict)
    """By option value."""
    unavailable: list[str] = field(default_factory=list)
    """Titles of the accounts that could not list their calendars."""
    typed: dict[str, str] = field(default_factory=dict)
    """Option value of each calendar id the user typed and that was found."""

    def add(self, calendar: _Calendar) -> None:
        self.calendars.setdefault(calendar.value, calendar)

    def options(
        self, *, writable_only: bool = False, keep: str | None = None
    ) -> list[SelectOptionDict]:
        """Return the calendars to pick from, by label; `keep` is offered in any case.

        A value that is not among the options is shown raw by the frontend.
        """
        return sorted(
            (
                SelectOptionDict(value=calendar.value, label=calendar.label)
                for calendar in self.calendars.values()
                if calendar.writable or not writable_only or calendar.value == keep
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


async def _async_choices(
    hass: HomeAssistant, accounts: Mapping[str, ConfigSubentry]
) -> _Choices:
    """List every account's calendars, concurrently; note the accounts that fail."""

    async def listing(subentry: ConfigSubentry) -> list[CalendarInfo] | None:
        try:
            return await _async_list_calendars(hass, subentry.data)
        except _FormError:
            return None

    results = await asyncio.gather(
        *(listing(subentry) for subentry in accounts.values())
    )
    choices = _Choices()
    for (account_id, subentry), calendars in zip(
        accounts.items(), results, strict=True
    ):
        if calendars is None:
            choices.unavailable.append(subentry.title)
            continue
        for info in calendars:
            choices.add(
                _Calendar(
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

    A URL is a CalDAV calendar, tried only with logins on that very server (never
    send a password to another host); anything else is a Google calendar id.
    """
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


async def _async_find_calendar(
    hass: HomeAssistant,
    accounts: Mapping[str, ConfigSubentry],
    value: str,
    field_name: str,
) -> _Calendar:
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
        raise _FormError("no_account_for_calendar", field=field_name, calendar=value)

    async def get_calendar(provider: CalendarProvider) -> CalendarInfo:
        return await provider.get_calendar(calendar_id)

    for account_id in candidates:
        subentry = accounts[account_id]
        try:
            info = await _async_use(hass, subentry.data, get_calendar)
        except NotShared:
            continue
        except _FormError as err:
            err.field = field_name
            raise
        return _Calendar(
            account=account_id,
            calendar_id=info.id,
            name=info.name,
            account_title=subentry.title,
            writable=info.writable,
        )
    raise _FormError(
        "not_shared",
        field=field_name,
        calendar=calendar_id,
        account=" / ".join(accounts[account_id].title for account_id in candidates),
    )


def _member_schema(choices: _Choices, combined: str | None) -> probatio.Schema:
    return probatio.Schema(
        {
            probatio.Required(CONF_NAME): TextSelector(),
            probatio.Optional(CONF_SOURCES): SelectSelector(
                SelectSelectorConfig(
                    options=choices.options(),
                    multiple=True,
                    custom_value=True,
                    mode=SelectSelectorMode.DROPDOWN,
                )
            ),
            probatio.Optional(CONF_COMBINED): SelectSelector(
                SelectSelectorConfig(
                    options=choices.options(writable_only=True, keep=combined),
                    custom_value=True,
                    mode=SelectSelectorMode.DROPDOWN,
                )
            ),
            probatio.Required(SECTION_SHARING): section(
                probatio.Schema(
                    {
                        probatio.Optional(
                            CONF_RECEIVE_OWN, default=False
                        ): BooleanSelector(),
                        probatio.Optional(
                            CONF_PRIVACY, default=Privacy.FULL.value
                        ): SelectSelector(
                            SelectSelectorConfig(
                                options=[privacy.value for privacy in Privacy],
                                mode=SelectSelectorMode.DROPDOWN,
                                translation_key="privacy",
                            )
                        ),
                        probatio.Optional(CONF_TITLE_PREFIX): TextSelector(),
                        probatio.Optional(CONF_COLOR): SelectSelector(
                            SelectSelectorConfig(
                                options=[color.value for color in EventColor],
                                mode=SelectSelectorMode.DROPDOWN,
                                translation_key="event_color",
                            )
                        ),
                    }
                ),
                {"collapsed": True},
            ),
            probatio.Required(SECTION_FILTERS): section(
                probatio.Schema(
                    {
                        probatio.Optional(
                            CONF_SKIP_ALL_DAY, default=False
                        ): BooleanSelector(),
                        probatio.Optional(
                            CONF_SKIP_FREE, default=False
                        ): BooleanSelector(),
                        probatio.Optional(
                            CONF_SKIP_TENTATIVE, default=False
                        ): BooleanSelector(),
                        probatio.Optional(CONF_INCLUDE_KEYWORDS): TextSelector(
                            TextSelectorConfig(multiple=True)
                        ),
                        probatio.Optional(CONF_EXCLUDE_KEYWORDS): TextSelector(
                            TextSelectorConfig(multiple=True)
                        ),
                    }
                ),
                {"collapsed": True},
            ),
        }
    )


def _member_form_values(title: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """Return a member subentry as the form's values."""
    sources, combined = _refs(data)
    sharing = {
        CONF_RECEIVE_OWN: data.get(CONF_RECEIVE_OWN, False),
        CONF_PRIVACY: data.get(CONF_PRIVACY, Privacy.FULL.value),
        CONF_TITLE_PREFIX: data.get(CONF_TITLE_PREFIX, ""),
    }
    if data.get(CONF_COLOR):
        sharing[CONF_COLOR] = data[CONF_COLOR]
    values: dict[str, Any] = {
        CONF_NAME: title,
        CONF_SOURCES: [_value(*ref) for ref in sorted(sources)],
        SECTION_SHARING: sharing,
        SECTION_FILTERS: {
            key: data.get(key, default)
            for key, default in (
                (CONF_SKIP_ALL_DAY, False),
                (CONF_SKIP_FREE, False),
                (CONF_SKIP_TENTATIVE, False),
                (CONF_INCLUDE_KEYWORDS, []),
                (CONF_EXCLUDE_KEYWORDS, []),
            )
        },
    }
    if combined:
        values[CONF_COMBINED] = _value(*combined)
    return values


def _keywords(values: Iterable[str] | None) -> list[str]:
    return [word.strip() for word in values or () if word.strip()]


class MemberSubentryFlow(ConfigSubentryFlow):
    """Add a member to a group, or change one: calendars and how they are shared."""

    def __init__(self) -> None:
        """Gather the calendars on the first form."""
        self._choices: _Choices | None = None

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Add a member."""
        return await self._async_member_form("user", user_input, None)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change a member."""
        return await self._async_member_form(
            "reconfigure", user_input, self._get_reconfigure_subentry()
        )

    async def _async_member_form(
        self,
        step_id: str,
        user_input: dict[str, Any] | None,
        current: ConfigSubentry | None,
    ) -> SubentryFlowResult:
        entry = self._get_entry()
        accounts = accounts_of(entry)
        if not accounts:
            return self.async_abort(reason="no_accounts")
        if self._choices is None:
            self._choices = await _async_choices(self.hass, accounts)
            if current is not None:
                self._add_current(current, accounts)
        choices = self._choices
        errors: dict[str, str] = {}
        placeholders = {
            "calendar": "",
            "account": "",
            "accounts": ", ".join(choices.unavailable),
            "key_error": "",
        }
        if choices.unavailable:
            errors["base"] = "accounts_unavailable"
        if user_input is not None:
            try:
                title, unique_id, data = await self._async_member(
                    user_input, entry, accounts, current
                )
            except _FormError as err:
                errors.update(err.errors)
                placeholders.update(err.placeholders)
            else:
                if current is None:
                    return self.async_create_entry(
                        title=title, data=data, unique_id=unique_id
                    )
                return self.async_update_and_abort(
                    entry,
                    current,
                    title=title,
                    unique_id=unique_id,
                    data=data,
                    reason="reconfigure_successful",
                )
        suggested: dict[str, Any] = {}
        if user_input is not None:
            suggested = choices.shown(user_input)
        elif current is not None:
            suggested = _member_form_values(current.title, current.data)
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(
                _member_schema(choices, suggested.get(CONF_COMBINED)), suggested
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    def _add_current(
        self, current: ConfigSubentry, accounts: Mapping[str, ConfigSubentry]
    ) -> None:
        """Offer the member's calendars even when their account cannot list them now."""
        assert self._choices is not None
        sources, combined = _refs(current.data)
        names = _names(current.data)
        for account, calendar_id in sorted(
            sources | ({combined} if combined else set())
        ):
            title = accounts[account].title if account in accounts else account
            self._choices.add(
                _Calendar(
                    account=account,
                    calendar_id=calendar_id,
                    name=names.get((account, calendar_id), calendar_id),
                    account_title=title,
                    writable=True,
                )
            )

    async def _resolve(
        self, value: str, accounts: Mapping[str, ConfigSubentry], field_name: str
    ) -> _Calendar:
        assert self._choices is not None
        if (calendar := self._choices.calendars.get(value)) is not None:
            return calendar
        calendar = await _async_find_calendar(self.hass, accounts, value, field_name)
        # Offered from now on, so the form shows it with its name.
        self._choices.add(calendar)
        self._choices.typed[value] = calendar.value
        return self._choices.calendars[calendar.value]

    async def _async_member(
        self,
        user_input: Mapping[str, Any],
        entry: SharedCalendarsConfigEntry,
        accounts: Mapping[str, ConfigSubentry],
        current: ConfigSubentry | None,
    ) -> tuple[str, str, dict[str, Any]]:
        """Validate the form; return the member's title, unique id and data."""
        name = user_input[CONF_NAME].strip()
        if not name:
            raise _FormError("name_required", field=CONF_NAME)
        unique_id = slugify(name) or name.casefold()
        others = [
            subentry
            for subentry in entry.subentries.values()
            if subentry.subentry_type == SUBENTRY_MEMBER
            and (current is None or subentry.subentry_id != current.subentry_id)
        ]
        if any(other.unique_id == unique_id for other in others):
            raise _FormError("name_in_use", field=CONF_NAME)

        sources = [
            await self._resolve(value, accounts, CONF_SOURCES)
            for value in dict.fromkeys(user_input.get(CONF_SOURCES) or ())
            if value.strip()
        ]
        combined_value = (user_input.get(CONF_COMBINED) or "").strip()
        combined = (
            await self._resolve(combined_value, accounts, CONF_COMBINED)
            if combined_value
            else None
        )
        if not sources and combined is None:
            raise _FormError("no_calendars")

        other_sources: set[tuple[str, str]] = set()
        other_combined: set[tuple[str, str]] = set()
        for other in others:
            their_sources, their_combined = _refs(other.data)
            other_sources |= their_sources
            if their_combined:
                other_combined.add(their_combined)
        for source in sources:
            if source.ref in other_combined:
                raise _FormError(
                    "source_is_combined", field=CONF_SOURCES, calendar=source.label
                )
        if combined is not None:
            if combined.ref in {source.ref for source in sources} | other_sources:
                raise _FormError(
                    "combined_is_source", field=CONF_COMBINED, calendar=combined.label
                )
            if combined.ref in other_combined:
                raise _FormError(
                    "combined_in_use", field=CONF_COMBINED, calendar=combined.label
                )
            if not combined.writable:
                raise _FormError(
                    "combined_read_only", field=CONF_COMBINED, calendar=combined.label
                )

        sharing = user_input.get(SECTION_SHARING) or {}
        filters = user_input.get(SECTION_FILTERS) or {}
        data: dict[str, Any] = {
            CONF_SOURCES: [_calendar_data(source) for source in sources],
            CONF_COMBINED: (_calendar_data(combined) if combined else None),
            CONF_RECEIVE_OWN: sharing.get(CONF_RECEIVE_OWN, False),
            CONF_PRIVACY: sharing.get(CONF_PRIVACY, Privacy.FULL.value),
            CONF_TITLE_PREFIX: sharing.get(CONF_TITLE_PREFIX) or "",
            CONF_SKIP_ALL_DAY: filters.get(CONF_SKIP_ALL_DAY, False),
            CONF_SKIP_FREE: filters.get(CONF_SKIP_FREE, False),
            CONF_SKIP_TENTATIVE: filters.get(CONF_SKIP_TENTATIVE, False),
            CONF_INCLUDE_KEYWORDS: _keywords(filters.get(CONF_INCLUDE_KEYWORDS)),
            CONF_EXCLUDE_KEYWORDS: _keywords(filters.get(CONF_EXCLUDE_KEYWORDS)),
        }
        if color := sharing.get(CONF_COLOR):
            data[CONF_COLOR] = color
        return name, unique_id, data


# ------------------------------------------------------------------- options


class SharedCalendarsOptionsFlow(OptionsFlow):
    """The group's sync settings; the group reloads with them (update listener)."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show and save the sync settings."""
        if user_input is not None:
            return self.async_create_entry(data=user_input)
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                _options_schema(), self.config_entry.options
            ),
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
        }
    )
