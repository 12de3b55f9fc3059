"""Fixtures shared by every test."""

from collections.abc import Iterator
import logging

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

# Our package must be importable before Home Assistant looks for custom integrations,
# or the harness's own testing_config/custom_components would shadow it.
from custom_components.shared_calendars.const import DOMAIN
from tests.secret_search import leaks, logged_texts
from tests.stored import close_every_stored_state

pytest_plugins = ["tests.servers.fixtures"]


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def no_secret_is_logged() -> Iterator[None]:
    """Log at DEBUG through every test; fail it if a line shows a secret.

    Secrets are the tests' passwords, keys and tokens (see tests/secret_search.py).
    """
    capture = _Records()
    root = logging.getLogger()
    level = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        root.removeHandler(capture)
        root.setLevel(level)
    if found := leaks(logged_texts(capture.records)):
        pytest.fail("Secrets in the log:\n" + "\n".join(found[:10]), pytrace=False)


@pytest.fixture(autouse=True)
def stored_states_closed() -> Iterator[None]:
    """Close the status databases a test opened through `StoredState`."""
    yield
    close_every_stored_state()


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load the integration from custom_components/."""


@pytest.fixture
def hass_config_dir(hass_tmp_config_dir: str) -> str:
    """Give each test a configuration folder of its own: groups keep databases there."""
    return hass_tmp_config_dir


@pytest.fixture
def group_entry() -> MockConfigEntry:
    """Return a sharing group's config entry."""
    return MockConfigEntry(domain=DOMAIN, title="Family", data={"name": "Family"})


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Keep snapshots in tests/snapshots/, written as Home Assistant's own tests do."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)
