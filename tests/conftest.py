"""Fixtures shared by every test."""

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

# Our package must be importable before Home Assistant looks for custom integrations,
# or the harness's own testing_config/custom_components would shadow it.
from custom_components.shared_calendars.const import DOMAIN

pytest_plugins = ["tests.servers.fixtures"]


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load the integration from custom_components/."""


@pytest.fixture
def group_entry() -> MockConfigEntry:
    """Return a sharing group's config entry."""
    return MockConfigEntry(domain=DOMAIN, title="Family", data={"name": "Family"})


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Keep snapshots in tests/snapshots/, written as Home Assistant's own tests do."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)
