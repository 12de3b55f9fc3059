"""The search every test's log goes through finds each kind of secret the tests use."""

from __future__ import annotations

import logging

from tests.secret_search import known_secrets, leaks, logged_texts
from tests.servers.radicale import USERS


def _record(name: str, message: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord(name, logging.DEBUG, __file__, 1, message, args, None)


def test_every_test_logs_at_debug_into_the_capture() -> None:
    """The autouse fixture has lowered the root logger for this test too."""
    root = logging.getLogger()
    assert root.level == logging.DEBUG
    assert any(type(handler).__name__ == "_Records" for handler in root.handlers)


def test_passwords_keys_and_tokens_are_found_in_messages_and_arguments() -> None:
    """Each secret is found where a log line would show it, and named only in part."""
    key_line = next(line for line in known_secrets() if len(line) == 64)
    records = [
        _record("caldav", "auth %s", USERS["alice"]),
        _record("x", "Authorization: Basic YWxpY2U6YWxpY2UtUGE1NXcwcmQh"),
        _record("x", "body %r", {"private_key": f"...\n{key_line}\n..."}),
        _record("aiohttp", "Bearer ya29.fake-abcdefghijklmnop"),
        _record("x", "assertion=eyJhbGciOiJSUzI1.eyJpc3MiOiJjYWxl.c2lnbmF0dXJlMTIz"),
        _record("x", "-----BEGIN PRIVATE KEY-----"),
    ]

    found = leaks(logged_texts(records))

    assert len(found) == len(records)
    assert not [text for text in found if USERS["alice"] in text.partition(" in ")[0]]


def test_ordinary_lines_and_the_harness_own_storage_dumps_are_not_leaks() -> None:
    """The harness's mock storage logs stored config entries; that is not ours."""
    records = [
        _record(
            "custom_components.shared_calendars.cycle", "Skipped an event (%s)", "x"
        ),
        _record(
            "pytest_homeassistant_custom_component.common",
            "Writing data to %s: %s",
            "core.config_entries",
            {"password": USERS["alice"]},
        ),
    ]
    assert leaks(logged_texts(records)) == []
