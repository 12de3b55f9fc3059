"""The config flow that creates a sharing group."""

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.shared_calendars.const import DOMAIN


async def test_user_creates_group(hass: HomeAssistant) -> None:
    """Entering a name creates the group's entry, titled with the name."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"name": "  Family  "}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Family"
    assert result["data"] == {"name": "Family"}


async def test_blank_name_is_refused(hass: HomeAssistant) -> None:
    """A blank name shows an error on the field and creates nothing."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"name": "   "}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"name": "name_required"}
    assert hass.config_entries.async_entries(DOMAIN) == []


async def test_same_name_twice_aborts(
    hass: HomeAssistant, group_entry: MockConfigEntry
) -> None:
    """A second group with an existing name is refused."""
    group_entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"name": "Family"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
