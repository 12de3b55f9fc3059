"""The secrets the tests use, and where to look for them: logs, diagnostics, errors.

Every test runs with logging at DEBUG into a capture (tests/conftest.py) that is
searched for these when the test ends: the Radicale passwords (and their Basic
authorization form), the service-account private keys, and anything shaped like an
access token, a signed JWT or a PEM private key, such as the fake Google's tokens
and the token requests' assertions.
"""

from __future__ import annotations

from base64 import b64encode
from collections.abc import Iterable
import functools
import logging
import re

from cryptography.hazmat.primitives import serialization

from tests.servers.fake_google import rsa_test_key
from tests.servers.radicale import USERS

SHAPES = (
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"ya29\.[\w-]{8,}"),
    re.compile(r"eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}"),
)
"""A PEM private key, a Google access token (the fake's too), a signed JWT."""
TEST_PASSWORDS = ("not-alices-password", "the-old-password", "still-wrong")
"""Wrong passwords tests type: as secret as right ones."""
HARNESS_LOGGERS = (
    "pytest_homeassistant_custom_component",
    "homeassistant.components.websocket_api",
)
"""Lines that show the harness's own secrets, not ours: its mock storage logs whole
stored files (config entries with their keys) at DEBUG, which Home Assistant's real
storage never does, and Home Assistant's websocket API logs the test client's own
Home Assistant access token as it signs in."""


@functools.cache
def known_secrets() -> tuple[str, ...]:
    """Return every secret the tests hand to the integration."""
    found = [*USERS.values(), *TEST_PASSWORDS]
    found += [
        b64encode(f"{user}:{word}".encode()).decode() for user, word in USERS.items()
    ]
    for index in (0, 1):
        pem = (
            rsa_test_key(index)
            .private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            .decode()
        )
        found += [line for line in pem.splitlines() if "-----" not in line]
    return tuple(found)


def leaks(texts: Iterable[str]) -> list[str]:
    """Return what of `texts` shows a secret (a short excerpt, not the secret)."""
    shown: list[str] = []
    secrets = known_secrets()
    for text in texts:
        hits = [s for s in secrets if s in text]
        hits += [m.group() for shape in SHAPES if (m := shape.search(text))]
        shown += [f"{hit[:6]}... in {text[:120]!r}" for hit in hits]
    return shown


def logged_texts(records: Iterable[logging.LogRecord]) -> Iterable[str]:
    """Yield each record's message and traceback, the harness's own records aside."""
    formatter = logging.Formatter()
    for record in records:
        if record.name.startswith(HARNESS_LOGGERS):
            continue
        try:
            yield record.getMessage()
        except Exception:  # noqa: BLE001  # a record that cannot format shows nothing
            yield str(record.msg)
        if record.exc_info:
            yield formatter.formatException(record.exc_info)
