"""Adding a member to a group, or changing one: calendars and how they are shared."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from homeassistant.config_entries import (
    ConfigSubentry,
    ConfigSubentryFlow,
    SubentryFlowResult,
)
from homeassistant.const import CONF_NAME
from homeassistant.util import slugify

from ..accounts import accounts_of
from ..const import (
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
    SUBENTRY_MEMBER,
)
from ..coordinator import SharedCalendarsConfigEntry
from ..engine.model import Privacy
from ..providers.ha_calendar import own_entity_ids
from .calendars import (
    Calendar,
    Choices,
    async_choices,
    async_find_calendar,
    calendar_data,
    calendar_names_of,
    calendar_refs,
    option_value,
)
from .member_form import (
    SECTION_FILTERS,
    SECTION_SCHEDULE,
    SECTION_SHARING,
    WORK_END_DEFAULT,
    WORK_START_DEFAULT,
    ha_account_of,
    member_form_values,
    member_schema,
    own_calendar_entities,
)
from .signin import FormError


def _keywords(values: Iterable[str] | None) -> list[str]:
    return [word.strip() for word in values or () if word.strip()]


class MemberSubentryFlow(ConfigSubentryFlow):
    """Add a member to a group, or change one: calendars and how they are shared."""

    def __init__(self) -> None:
        """Gather the calendars on the first form."""
        self._choices: Choices | None = None

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
            self._choices = await async_choices(self.hass, accounts)
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
            except FormError as err:
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
            suggested = member_form_values(
                current.title, current.data, ha_account_of(accounts)
            )
        schema = member_schema(
            choices,
            suggested.get(CONF_COMBINED),
            ha_account_of(accounts),
            own_calendar_entities(self.hass),
        )
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(schema, suggested),
            errors=errors,
            description_placeholders=placeholders,
        )

    def _add_current(
        self, current: ConfigSubentry, accounts: Mapping[str, ConfigSubentry]
    ) -> None:
        """Offer the member's calendars even when their account cannot list them now."""
        assert self._choices is not None
        sources, combined = calendar_refs(current.data)
        names = calendar_names_of(current.data)
        for account, calendar_id in sorted(
            sources | ({combined} if combined else set())
        ):
            title = accounts[account].title if account in accounts else account
            self._choices.add(
                Calendar(
                    account=account,
                    calendar_id=calendar_id,
                    name=names.get((account, calendar_id), calendar_id),
                    account_title=title,
                    writable=True,
                )
            )

    async def _resolve(
        self, value: str, accounts: Mapping[str, ConfigSubentry], field_name: str
    ) -> Calendar:
        assert self._choices is not None
        if value.rpartition("|")[2].strip() in own_entity_ids(self.hass):
            # Copies of copies, in circles: the group's own calendars are never picked.
            raise FormError("own_calendar", field=field_name, calendar=value)
        if (calendar := self._choices.calendars.get(value)) is not None:
            return calendar
        calendar = await async_find_calendar(self.hass, accounts, value, field_name)
        # Offered from now on, so the form shows it with its name.
        self._choices.add(calendar)
        self._choices.typed[value] = calendar.value
        return self._choices.calendars[calendar.value]

    def _refuse_loops(
        self,
        entry: SharedCalendarsConfigEntry,
        sources: list[Calendar],
        combined: Calendar | None,
        field_of: Mapping[tuple[str, str], str],
    ) -> None:
        """Refuse a calendar that another group writes to or reads from the other way.

        A calendar is the same whichever group's account reaches it: an entity id,
        a Google calendar id and a CalDAV URL name it everywhere.
        """
        elsewhere_sources: set[str] = set()
        elsewhere_combined: set[str] = set()
        for other_entry in self.hass.config_entries.async_entries(DOMAIN):
            if other_entry.entry_id == entry.entry_id:
                continue
            for subentry in other_entry.subentries.values():
                if subentry.subentry_type != SUBENTRY_MEMBER:
                    continue
                their_sources, their_combined = calendar_refs(subentry.data)
                elsewhere_sources |= {calendar_id for _, calendar_id in their_sources}
                if their_combined:
                    elsewhere_combined.add(their_combined[1])
        for source in sources:
            if source.calendar_id in elsewhere_combined:
                raise FormError(
                    "source_combined_elsewhere",
                    field=field_of[source.ref],
                    calendar=source.label,
                )
        if combined is not None and combined.calendar_id in elsewhere_sources:
            raise FormError(
                "combined_source_elsewhere",
                field=field_of[combined.ref],
                calendar=combined.label,
            )

    async def _async_picked(
        self, user_input: Mapping[str, Any], accounts: Mapping[str, ConfigSubentry]
    ) -> tuple[list[Calendar], Calendar | None, dict[tuple[str, str], str]]:
        """Resolve the sources and the combined calendar from both kinds of field.

        Return also the field each calendar was picked in, for its errors there.
        """
        ha_account = ha_account_of(accounts)
        picked: dict[str, str] = {}
        for value in user_input.get(CONF_SOURCES) or ():
            if value.strip():
                picked.setdefault(value, CONF_SOURCES)
        for entity_id in user_input.get(CONF_HA_SOURCES) or ():
            if ha_account is not None:
                picked.setdefault(option_value(ha_account, entity_id), CONF_HA_SOURCES)
        field_of: dict[tuple[str, str], str] = {}
        sources: list[Calendar] = []
        for value, field_name in picked.items():
            source = await self._resolve(value, accounts, field_name)
            if source.ref not in field_of:
                field_of[source.ref] = field_name
                sources.append(source)

        combined_value = (user_input.get(CONF_COMBINED) or "").strip()
        ha_combined = (user_input.get(CONF_HA_COMBINED) or "").strip()
        if combined_value and ha_combined:
            raise FormError("combined_twice", field=CONF_HA_COMBINED)
        combined_field = CONF_COMBINED
        if ha_combined and ha_account is not None:
            combined_value = option_value(ha_account, ha_combined)
            combined_field = CONF_HA_COMBINED
        if not combined_value:
            return sources, None, field_of
        combined = await self._resolve(combined_value, accounts, combined_field)
        # A combined calendar that is a source too is reported where it is combined.
        field_of[combined.ref] = combined_field
        return sources, combined, field_of

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
            raise FormError("name_required", field=CONF_NAME)
        unique_id = slugify(name) or name.casefold()
        others = [
            subentry
            for subentry in entry.subentries.values()
            if subentry.subentry_type == SUBENTRY_MEMBER
            and (current is None or subentry.subentry_id != current.subentry_id)
        ]
        if any(other.unique_id == unique_id for other in others):
            raise FormError("name_in_use", field=CONF_NAME)

        sources, combined, field_of = await self._async_picked(user_input, accounts)
        if not sources and combined is None:
            raise FormError("no_calendars")

        other_sources: set[tuple[str, str]] = set()
        other_combined: set[tuple[str, str]] = set()
        for other in others:
            their_sources, their_combined = calendar_refs(other.data)
            other_sources |= their_sources
            if their_combined:
                other_combined.add(their_combined)
        self._refuse_loops(entry, sources, combined, field_of)
        for source in sources:
            if source.ref in other_combined:
                raise FormError(
                    "source_is_combined",
                    field=field_of[source.ref],
                    calendar=source.label,
                )
        if combined is not None:
            combined_field = field_of[combined.ref]
            if combined.ref in {source.ref for source in sources} | other_sources:
                raise FormError(
                    "combined_is_source", field=combined_field, calendar=combined.label
                )
            if combined.ref in other_combined:
                raise FormError(
                    "combined_in_use", field=combined_field, calendar=combined.label
                )
            if not combined.writable:
                raise FormError(
                    "combined_read_only", field=combined_field, calendar=combined.label
                )

        sharing = user_input.get(SECTION_SHARING) or {}
        filters = user_input.get(SECTION_FILTERS) or {}
        schedule = user_input.get(SECTION_SCHEDULE) or {}
        data: dict[str, Any] = {
            CONF_SOURCES: [calendar_data(source) for source in sources],
            CONF_COMBINED: (calendar_data(combined) if combined else None),
            CONF_RECEIVE_OWN: sharing.get(CONF_RECEIVE_OWN, False),
            CONF_PRIVACY: sharing.get(CONF_PRIVACY, Privacy.FULL.value),
            CONF_TITLE_PREFIX: sharing.get(CONF_TITLE_PREFIX) or "",
            CONF_SKIP_ALL_DAY: filters.get(CONF_SKIP_ALL_DAY, False),
            CONF_SKIP_FREE: filters.get(CONF_SKIP_FREE, False),
            CONF_SKIP_TENTATIVE: filters.get(CONF_SKIP_TENTATIVE, False),
            CONF_INCLUDE_KEYWORDS: _keywords(filters.get(CONF_INCLUDE_KEYWORDS)),
            CONF_EXCLUDE_KEYWORDS: _keywords(filters.get(CONF_EXCLUDE_KEYWORDS)),
            CONF_WORK_START: schedule.get(CONF_WORK_START) or WORK_START_DEFAULT,
            CONF_WORK_END: schedule.get(CONF_WORK_END) or WORK_END_DEFAULT,
        }
        if color := sharing.get(CONF_COLOR):
            data[CONF_COLOR] = color
        return name, unique_id, data
