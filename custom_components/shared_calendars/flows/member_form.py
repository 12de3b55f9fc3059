"""The member form: its fields, pickers and sections, and a member as its values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import CONF_NAME, Platform
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import section
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.selector import (
    BooleanSelector,
    EntitySelector,
    EntitySelectorConfig,
    EntityWithDeviceFilterSelectorConfig,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TimeSelector,
)
import probatio

from ..const import (
    ACCOUNT_HA,
    CONF_ACCOUNT_TYPE,
    CONF_COLOR,
    CONF_COMBINED,
    CONF_EXCLUDE_KEYWORDS,
    CONF_HA_COMBINED,
    CONF_HA_SOURCES,
    CONF_INCLUDE_KEYWORDS,
    CONF_PRIVACY,
    CONF_RECEIVE_OWN,
    CONF_SKIP_ALL_DAY,
    CONF_SKIP_FREE,
    CONF_SKIP_TENTATIVE,
    CONF_SOURCES,
    CONF_TITLE_PREFIX,
    CONF_WORK_END,
    CONF_WORK_START,
    DOMAIN,
)
from ..engine.model import EventColor, Privacy
from .calendars import Choices, calendar_refs, option_value

SECTION_SHARING: Final = "sharing"
SECTION_FILTERS: Final = "filters"
SECTION_SCHEDULE: Final = "schedule"
WORK_START_DEFAULT: Final = "08:00:00"
WORK_END_DEFAULT: Final = "20:00:00"
# The entity picker shows the calendars that can take new events (copies).
WRITABLE_FEATURE: Final = "calendar.CalendarEntityFeature.CREATE_EVENT"


def ha_account_of(accounts: Mapping[str, ConfigSubentry]) -> str | None:
    """Return the group's account for Home Assistant's calendars, if it has one."""
    return next(
        (
            account_id
            for account_id, subentry in accounts.items()
            if subentry.data.get(CONF_ACCOUNT_TYPE) == ACCOUNT_HA
        ),
        None,
    )


def own_calendar_entities(hass: HomeAssistant) -> list[str]:
    """Return this integration's calendar entities, registered even when not loaded."""
    return sorted(
        entry.entity_id
        for entry in er.async_get(hass).entities.values()
        if entry.platform == DOMAIN and entry.domain == Platform.CALENDAR
    )


def _calendar_fields(
    choices: Choices,
    combined: str | None,
    ha_account: str | None,
    own_entities: list[str],
) -> dict[probatio.Marker, Any]:
    """Return the calendar fields: dropdowns, and entity pickers for HA's calendars."""
    skip = {ha_account} if ha_account else set()
    sources = SelectSelector(
        SelectSelectorConfig(
            options=choices.options(skip_accounts=skip),
            multiple=True,
            custom_value=True,
            mode=SelectSelectorMode.DROPDOWN,
        )
    )
    combined_select = SelectSelector(
        SelectSelectorConfig(
            options=choices.options(
                writable_only=True, keep=combined, skip_accounts=skip
            ),
            custom_value=True,
            mode=SelectSelectorMode.DROPDOWN,
        )
    )
    if ha_account is None:
        return {
            probatio.Optional(CONF_SOURCES): sources,
            probatio.Optional(CONF_COMBINED): combined_select,
        }
    return {
        probatio.Optional(CONF_SOURCES): sources,
        probatio.Optional(CONF_HA_SOURCES): EntitySelector(
            EntitySelectorConfig(
                domain=Platform.CALENDAR, multiple=True, exclude_entities=own_entities
            )
        ),
        probatio.Optional(CONF_COMBINED): combined_select,
        probatio.Optional(CONF_HA_COMBINED): EntitySelector(
            EntitySelectorConfig(
                filter=EntityWithDeviceFilterSelectorConfig(
                    domain=Platform.CALENDAR, supported_features=[WRITABLE_FEATURE]
                ),
                exclude_entities=own_entities,
            )
        ),
    }


def member_schema(
    choices: Choices,
    combined: str | None,
    ha_account: str | None,
    own_entities: list[str],
) -> probatio.Schema:
    """Return the member form: name, calendars, then sharing, filters and hours."""
    return probatio.Schema(
        {
            probatio.Required(CONF_NAME): TextSelector(),
            **_calendar_fields(choices, combined, ha_account, own_entities),
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
            probatio.Required(SECTION_SCHEDULE): section(
                probatio.Schema(
                    {
                        probatio.Optional(
                            CONF_WORK_START, default=WORK_START_DEFAULT
                        ): TimeSelector(),
                        probatio.Optional(
                            CONF_WORK_END, default=WORK_END_DEFAULT
                        ): TimeSelector(),
                    }
                ),
                {"collapsed": True},
            ),
        }
    )


def member_form_values(
    title: str, data: Mapping[str, Any], ha_account: str | None
) -> dict[str, Any]:
    """Return a member subentry as the form's values; HA's calendars as entities."""
    sources, combined = calendar_refs(data)
    ha_sources = sorted(
        calendar_id for account, calendar_id in sources if account == ha_account
    )
    sources = {ref for ref in sources if ref[0] != ha_account}
    sharing = {
        CONF_RECEIVE_OWN: data.get(CONF_RECEIVE_OWN, False),
        CONF_PRIVACY: data.get(CONF_PRIVACY, Privacy.FULL.value),
        CONF_TITLE_PREFIX: data.get(CONF_TITLE_PREFIX, ""),
    }
    if data.get(CONF_COLOR):
        sharing[CONF_COLOR] = data[CONF_COLOR]
    values: dict[str, Any] = {
        CONF_NAME: title,
        CONF_SOURCES: [option_value(*ref) for ref in sorted(sources)],
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
    values[SECTION_SCHEDULE] = {
        CONF_WORK_START: data.get(CONF_WORK_START) or WORK_START_DEFAULT,
        CONF_WORK_END: data.get(CONF_WORK_END) or WORK_END_DEFAULT,
    }
    if ha_sources:
        values[CONF_HA_SOURCES] = ha_sources
    if combined and combined[0] == ha_account:
        values[CONF_HA_COMBINED] = combined[1]
    elif combined:
        values[CONF_COMBINED] = option_value(*combined)
    return values
