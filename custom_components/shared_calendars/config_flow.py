"""Config flow: one config entry per sharing group."""

from typing import Any

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult
from homeassistant.helpers.selector import TextSelector
import probatio

from .const import CONF_GROUP_NAME, DOMAIN


class SharedCalendarsConfigFlow(ConfigFlow, domain=DOMAIN):
    """Create a sharing group."""

    VERSION = 1

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the group's name."""
        errors: dict[str, str] = {}
        if user_input is not None:
            name = user_input[CONF_GROUP_NAME].strip()
            if not name:
                errors[CONF_GROUP_NAME] = "name_required"
            else:
                self._async_abort_entries_match({CONF_GROUP_NAME: name})
                return self.async_create_entry(title=name, data={CONF_GROUP_NAME: name})
        return self.async_show_form(
            step_id="user",
            data_schema=probatio.Schema(
                {probatio.Required(CONF_GROUP_NAME): TextSelector()}
            ),
            errors=errors,
        )
