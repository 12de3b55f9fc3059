"""Signing an account in, once for every flow that does it.

A new group's first account, an account added to a group, reauthentication and
a changed account all sign in through the forms here.

Every account is validated by really signing in and listing its calendars.
Secrets (keys, passwords) are never logged, never echoed back into a form.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
import json
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from homeassistant.components.file_upload import process_uploaded_file
from homeassistant.config_entries import ConfigFlowResult, SubentryFlowResult
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import AbortFlow, FlowHandler, section
from homeassistant.helpers.selector import (
    BooleanSelector,
    FileSelector,
    FileSelectorConfig,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import probatio

from ..accounts import async_build_provider, caldav_account_id, google_account_id
from ..const import (
    ACCOUNT_CALDAV,
    ACCOUNT_GOOGLE,
    CONF_ACCOUNT_TYPE,
    CONF_API_ROOT,
    CONF_PASSWORD,
    CONF_SERVICE_ACCOUNT,
    CONF_URL,
    CONF_USERNAME,
    CONF_VERIFY_SSL,
    DOMAIN,
    LOGGER,
    SUBENTRY_ACCOUNT,
)
from ..engine.model import CalendarInfo
from ..providers.base import (
    AuthFailed,
    CalendarProvider,
    NotShared,
    RateLimited,
    Unreachable,
)
from ..providers.google import DEFAULT_API_ROOT, InvalidKey, async_parse_key

CONF_KEY_TEXT: Final = "service_account_json"
CONF_KEY_FILE: Final = "service_account_file"
SECTION_ADVANCED: Final = "advanced"
SERVICE_ACCOUNTS_URL: Final = (
    "https://console.cloud.google.com/iam-admin/serviceaccounts"
)
MAX_KEY_FILE_SIZE: Final = 1024 * 1024
"""A service-account key is about 2 KB; reading more than this is pointless."""
REFUSED: Final = ("invalid_auth", "invalid_key", "key_refused")
"""The errors that mean the credentials, not the server, are at fault."""


class FormError(Exception):
    """What to show on the form: a translated error on a field, with placeholders."""

    def __init__(self, error: str, *, field: str = "base", **placeholders: str) -> None:
        """Say which error, on which field ("base": the whole form)."""
        super().__init__(error)
        self.error = error
        self.field = field
        self.placeholders = placeholders

    @property
    def errors(self) -> dict[str, str]:
        """Return the error as a form's errors."""
        return {self.field: self.error}


@dataclass(frozen=True, kw_only=True, slots=True)
class SignedIn:
    """An account that signed in: its id, its subentry title and data."""

    id: str
    title: str
    data: dict[str, Any]
    calendars: list[CalendarInfo]


# ------------------------------------------------------------- signing in


async def async_use[T](
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
        raise FormError("invalid_key", key_error=str(err)) from None
    except AuthFailed:
        if settings[CONF_ACCOUNT_TYPE] == ACCOUNT_GOOGLE:
            raise FormError("key_refused") from None
        raise FormError("invalid_auth") from None
    except RateLimited:
        raise FormError("rate_limited") from None
    except Unreachable:
        raise FormError("cannot_connect") from None
    except NotShared:
        raise
    except Exception:  # noqa: BLE001
        # Provider messages name accounts and calendars, never a secret.
        LOGGER.exception("Unexpected error while checking an account")
        raise FormError("unknown") from None


async def async_list_calendars(
    hass: HomeAssistant, settings: Mapping[str, Any]
) -> list[CalendarInfo]:
    """Sign in and list the calendars: the proof that an account works."""

    async def list_calendars(provider: CalendarProvider) -> list[CalendarInfo]:
        return await provider.list_calendars()

    return await async_use(hass, settings, list_calendars)


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
        raise FormError("key_twice")
    if file_id:
        if file_id not in uploads:
            try:
                uploads[file_id] = await hass.async_add_executor_job(
                    _read_uploaded_key, hass, file_id
                )
            except ValueError:
                raise FormError("upload_failed", field=CONF_KEY_FILE) from None
        return uploads[file_id]
    if text:
        return text
    raise FormError("key_required")


async def async_google_account(
    hass: HomeAssistant,
    user_input: Mapping[str, Any],
    uploads: dict[str, bytes],
    *,
    api_root: str | None,
) -> SignedIn:
    """Validate a service-account key by getting a token and listing calendars."""
    raw = await _async_key_input(hass, user_input, uploads)
    try:
        key = await async_parse_key(raw)
    except InvalidKey as err:
        raise FormError("invalid_key", key_error=str(err)) from None
    data: dict[str, Any] = {
        CONF_ACCOUNT_TYPE: ACCOUNT_GOOGLE,
        # Parsing succeeded, so this is a JSON object.
        CONF_SERVICE_ACCOUNT: json.loads(raw),
        CONF_API_ROOT: (api_root or DEFAULT_API_ROOT).strip(),
    }
    calendars = await async_list_calendars(hass, data)
    return SignedIn(
        id=google_account_id(key.client_email),
        title=key.client_email,
        data=data,
        calendars=calendars,
    )


async def async_caldav_account(
    hass: HomeAssistant, settings: Mapping[str, Any]
) -> SignedIn:
    """Validate a CalDAV login by discovering the calendar home and listing it."""
    url = settings[CONF_URL].strip()
    username = settings[CONF_USERNAME].strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FormError("invalid_url", field=CONF_URL)
    data = {
        CONF_ACCOUNT_TYPE: ACCOUNT_CALDAV,
        CONF_URL: url,
        CONF_USERNAME: username,
        CONF_PASSWORD: settings[CONF_PASSWORD],
        CONF_VERIFY_SSL: settings.get(CONF_VERIFY_SSL, True),
    }
    calendars = await async_list_calendars(hass, data)
    return SignedIn(
        id=caldav_account_id(username, url),
        title=f"{username} on {url}",
        data=data,
        calendars=calendars,
    )


def account_in_use(hass: HomeAssistant, account_id: str) -> bool:
    """Return whether any group already has this account."""
    return any(
        subentry.subentry_type == SUBENTRY_ACCOUNT and subentry.unique_id == account_id
        for entry in hass.config_entries.async_entries(DOMAIN, include_ignore=False)
        for subentry in entry.subentries.values()
    )


# ---------------------------------------------------------------- the forms


def key_schema() -> probatio.Schema:
    """Ask for a key, pasted or uploaded."""
    return probatio.Schema(
        {
            probatio.Optional(probatio.Secret(CONF_KEY_TEXT)): TextSelector(
                TextSelectorConfig(multiline=True, autocomplete="off")
            ),
            probatio.Optional(CONF_KEY_FILE): FileSelector(
                FileSelectorConfig(accept=".json,application/json")
            ),
        }
    )


def google_schema() -> probatio.Schema:
    """Ask for the key; fold the API root away (test servers)."""
    return key_schema().extend(
        {
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


def password_field(*, required: bool = True) -> dict[probatio.Marker, Any]:
    """Return the password field; an optional one keeps the stored password."""
    marker = probatio.Required if required else probatio.Optional
    return {
        marker(probatio.Secret(CONF_PASSWORD)): TextSelector(
            TextSelectorConfig(
                type=TextSelectorType.PASSWORD, autocomplete="current-password"
            )
        )
    }


def caldav_schema() -> probatio.Schema:
    """Ask for a CalDAV login."""
    return probatio.Schema(
        {
            probatio.Required(CONF_URL): TextSelector(
                TextSelectorConfig(type=TextSelectorType.URL, autocomplete="url")
            ),
            probatio.Required(CONF_USERNAME): TextSelector(
                TextSelectorConfig(autocomplete="username")
            ),
            **password_field(),
            probatio.Required(CONF_VERIFY_SSL, default=True): BooleanSelector(),
        }
    )


def without_secrets(user_input: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return what may be shown again in a form: everything but keys and passwords."""
    secret = {CONF_PASSWORD, CONF_KEY_TEXT, CONF_KEY_FILE}
    return {k: v for k, v in (user_input or {}).items() if k not in secret}


class SignInSteps[ResultT: (ConfigFlowResult, SubentryFlowResult)](
    FlowHandler[Any, ResultT, Any]
):
    """The sign-in forms: of a new account, and of an account's new credentials.

    A new account is a new group's first, or one added to a group.
    """

    _account: SignedIn | None
    _uploads: dict[str, bytes]

    async def _async_check_new(self, account: SignedIn) -> None:
        """Abort (`AbortFlow`) when the account that signed in may not be added."""
        if account_in_use(self.hass, account.id):
            raise AbortFlow("already_configured")

    def _async_account_ready(self) -> ResultT:
        """Finish once a new `_account` is signed in."""
        raise NotImplementedError

    async def _async_google_form(
        self,
        step_id: str,
        user_input: dict[str, Any] | None,
        *,
        schema: probatio.Schema,
        suggested: Mapping[str, Any] | None = None,
        api_root: str | None = None,
        same_as: tuple[str, str] | None = None,
    ) -> SignedIn | ResultT:
        """Sign in with a key given on the form `step_id`, or show it (again).

        `same_as` (account id, title): the key must be one of that account; the API
        root is then the account's, unless the form asks for it.
        """
        errors: dict[str, str] = {}
        placeholders = {"console_url": SERVICE_ACCOUNTS_URL, "key_error": ""}
        placeholders |= {"account": same_as[1], "other": ""} if same_as else {}
        if user_input is not None:
            advanced = user_input.get(SECTION_ADVANCED) or {}
            try:
                account = await async_google_account(
                    self.hass,
                    user_input,
                    self._uploads,
                    api_root=advanced.get(CONF_API_ROOT, api_root),
                )
            except FormError as err:
                errors = err.errors
                placeholders.update(err.placeholders)
            else:
                if same_as is None or account.id == same_as[0]:
                    return account
                errors = {"base": "wrong_account"}
                placeholders["other"] = account.title
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(
                schema, without_secrets(user_input) or suggested
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def _async_caldav_form(
        self,
        step_id: str,
        user_input: dict[str, Any] | None,
        *,
        schema: probatio.Schema,
        settings: Callable[[dict[str, Any]], dict[str, Any]] = dict,
        suggested: Mapping[str, Any] | None = None,
        placeholders: dict[str, str] | None = None,
    ) -> SignedIn | ResultT:
        """Sign in with the login `settings` makes of the form, or show it (again).

        `settings` may refuse the form with a `FormError` before anything is sent.
        """
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                return await async_caldav_account(self.hass, settings(user_input))
            except FormError as err:
                errors = err.errors
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(
                schema, without_secrets(user_input or suggested)
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_google(
        self, user_input: dict[str, Any] | None = None
    ) -> ResultT:
        """Sign in with a service-account key; then show the address to share with."""
        signed_in = await self._async_google_form(
            "google", user_input, schema=google_schema()
        )
        if not isinstance(signed_in, SignedIn):
            return signed_in
        await self._async_check_new(signed_in)
        self._account = signed_in
        return await self.async_step_share()

    async def async_step_share(
        self, user_input: dict[str, Any] | None = None
    ) -> ResultT:
        """Show the address members share their calendars with; then finish."""
        assert self._account is not None
        if user_input is not None:
            return self._async_account_ready()
        return self.async_show_form(
            step_id="share",
            description_placeholders={
                "email": self._account.title,
                "count": str(len(self._account.calendars)),
            },
        )

    async def async_step_caldav(
        self, user_input: dict[str, Any] | None = None
    ) -> ResultT:
        """Sign in to a CalDAV server (Nextcloud, iCloud, Fastmail, Radicale ...)."""
        signed_in = await self._async_caldav_form(
            "caldav", user_input, schema=caldav_schema()
        )
        if not isinstance(signed_in, SignedIn):
            return signed_in
        await self._async_check_new(signed_in)
        self._account = signed_in
        return self._async_account_ready()
