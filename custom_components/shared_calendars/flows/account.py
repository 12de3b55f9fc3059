"""Adding an account to a group, or changing its credentials or address."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from homeassistant.config_entries import (
    ConfigSubentry,
    ConfigSubentryFlow,
    SubentryFlowResult,
)
from homeassistant.helpers.selector import (
    BooleanSelector,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import probatio

from ..accounts import caldav_account_id, ha_account_id, has_ha_account
from ..const import (
    ACCOUNT_CALDAV,
    ACCOUNT_GOOGLE,
    ACCOUNT_HA,
    CONF_ACCOUNT_TYPE,
    CONF_API_ROOT,
    CONF_PASSWORD,
    CONF_URL,
    CONF_USERNAME,
    CONF_VERIFY_SSL,
)
from ..providers.google import DEFAULT_API_ROOT
from ..providers.ha_calendar import HA_CALENDARS_TITLE
from .signin import (
    SECTION_ADVANCED,
    FormError,
    SignedIn,
    SignInSteps,
    google_schema,
    password_field,
)


class AccountSubentryFlow(SignInSteps[SubentryFlowResult], ConfigSubentryFlow):
    """Add an account to a group, or change its credentials."""

    def __init__(self) -> None:
        """Start with nothing entered."""
        self._account: SignedIn | None = None
        self._uploads: dict[str, bytes] = {}

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Choose the kind of account."""
        return self.async_show_menu(
            step_id="user", menu_options=[ACCOUNT_GOOGLE, ACCOUNT_CALDAV, ACCOUNT_HA]
        )

    async def async_step_ha_calendar(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Reach Home Assistant's own calendar entities: nothing to sign in to."""
        if has_ha_account(self._get_entry()):
            return self.async_abort(reason="ha_calendar_added")
        return self.async_create_entry(
            title=HA_CALENDARS_TITLE,
            data={CONF_ACCOUNT_TYPE: ACCOUNT_HA},
            unique_id=ha_account_id(),
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
        if subentry.data[CONF_ACCOUNT_TYPE] == ACCOUNT_HA:
            return self.async_abort(reason="ha_calendar_no_settings")
        if subentry.data[CONF_ACCOUNT_TYPE] == ACCOUNT_GOOGLE:
            return await self.async_step_reconfigure_google()
        return await self.async_step_reconfigure_caldav()

    async def async_step_reconfigure_google(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Replace the key of a service account (a rotated key, another API root)."""
        subentry = self._get_reconfigure_subentry()
        assert subentry.unique_id is not None
        signed_in = await self._async_google_form(
            "reconfigure_google",
            user_input,
            schema=google_schema(),
            suggested={
                SECTION_ADVANCED: {
                    CONF_API_ROOT: subentry.data.get(CONF_API_ROOT) or DEFAULT_API_ROOT
                }
            },
            same_as=(subentry.unique_id, subentry.title),
        )
        if not isinstance(signed_in, SignedIn):
            return signed_in
        return self._async_update_account(subentry, signed_in)

    async def async_step_reconfigure_caldav(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change the server address, password or TLS check of a CalDAV login.

        The user name stays: it and the server's host name the account, and the
        members' calendars belong to it.
        """
        subentry = self._get_reconfigure_subentry()
        host = urlsplit(subentry.data[CONF_URL]).netloc

        def settings(user_input: dict[str, Any]) -> dict[str, Any]:
            url = user_input[CONF_URL].strip()
            # Checked first: the stored password goes to no other host.
            if caldav_account_id(subentry.data[CONF_USERNAME], url) != (
                subentry.unique_id
            ):
                raise FormError("other_server", field=CONF_URL)
            return {
                **subentry.data,
                CONF_URL: url,
                CONF_PASSWORD: user_input.get(CONF_PASSWORD)
                or subentry.data[CONF_PASSWORD],
                CONF_VERIFY_SSL: user_input[CONF_VERIFY_SSL],
            }

        signed_in = await self._async_caldav_form(
            "reconfigure_caldav",
            user_input,
            schema=probatio.Schema(
                {
                    probatio.Required(CONF_URL): TextSelector(
                        TextSelectorConfig(type=TextSelectorType.URL)
                    ),
                    **password_field(required=False),
                    probatio.Required(CONF_VERIFY_SSL): BooleanSelector(),
                }
            ),
            settings=settings,
            suggested=subentry.data,
            placeholders={
                "account": subentry.title,
                CONF_USERNAME: subentry.data[CONF_USERNAME],
                "host": host,
            },
        )
        if not isinstance(signed_in, SignedIn):
            return signed_in
        return self._async_update_account(subentry, signed_in)

    def _async_update_account(
        self, subentry: ConfigSubentry, account: SignedIn
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
