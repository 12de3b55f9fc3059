"""Actions of the integration, registered once in `async_setup`."""

from __future__ import annotations

from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.helpers.service import async_get_config_entry
import probatio

from .const import DOMAIN
from .coordinator import SharedCalendarsConfigEntry
from .cycle import SyncReport

SERVICE_RESYNC = "resync"
ATTR_FULL = "full"
ATTR_RESTORE_HIDDEN = "restore_hidden"
ATTR_CONFIRM_EMPTY = "confirm_empty"

RESYNC_SCHEMA = probatio.Schema(
    {
        probatio.Required(ATTR_CONFIG_ENTRY_ID): str,
        probatio.Optional(ATTR_FULL, default=False): bool,
        probatio.Optional(ATTR_RESTORE_HIDDEN, default=False): bool,
        probatio.Optional(ATTR_CONFIRM_EMPTY, default=False): bool,
    }
)


def report_response(report: SyncReport) -> ServiceResponse:
    """Return a cycle's report as an action response."""
    return {
        "created": report.created,
        "updated": report.updated,
        "deleted": report.deleted,
        "unchanged": report.unchanged,
        "skipped_by_filter": report.skipped_by_filter,
        "pending": report.pending,
        "held_back": list(report.held_back),
        "errors": dict(report.errors),
        "requests": dict(report.requests),
        "duration": round(report.duration, 3),
    }


async def _async_resync(call: ServiceCall) -> ServiceResponse:
    """Run a cycle of a group now."""
    entry: SharedCalendarsConfigEntry = async_get_config_entry(
        call.hass, DOMAIN, call.data[ATTR_CONFIG_ENTRY_ID]
    )
    report = await entry.runtime_data.coordinator.async_resync(
        full=call.data[ATTR_FULL],
        restore_hidden=call.data[ATTR_RESTORE_HIDDEN],
        confirm_empty=call.data[ATTR_CONFIRM_EMPTY],
    )
    return report_response(report)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_RESYNC,
        _async_resync,
        schema=RESYNC_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
