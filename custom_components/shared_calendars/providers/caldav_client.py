"""What the caldav library needs around it: request counting, errors, logging, TLS.

Nothing here blocks the event loop: the TLS context is built in the executor unless
the caller passes one (Home Assistant passes its shared context), and iCalendar
parsing and writing, which may load time-zone files, run in the executor too
(`in_executor`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextvars import ContextVar
from functools import partial
import logging
import re
import ssl
from typing import Any, NoReturn

from caldav import async_davclient
from caldav.aio import AsyncDAVClient
from caldav.lib import error as dav_error

request_counter: ContextVar[list[int] | None] = ContextVar(
    "shared_calendars_caldav_requests", default=None
)
"""The request counter of the provider call running in this task, if any."""


def count_request() -> None:
    """Count one HTTP request for the provider call running in this task."""
    counter = request_counter.get()
    if counter is not None:
        counter[0] += 1


async def _count_request_hook(_request: object) -> None:
    count_request()


class Refused(dav_error.AuthorizationError):
    """A 401 or 403, with its status (the library keeps only the reason phrase)."""

    def __init__(self, status: int | None, original: dav_error.AuthorizationError):
        """Keep what the library's error holds, and the status."""
        super().__init__(
            url=original.url,
            reason=original.reason,
            preconditions=original.preconditions,
            body=original.body,
        )
        self.status = status


class Client(AsyncDAVClient):
    """caldav's async client, counting HTTP requests and keeping 401/403 apart.

    Both are overrides of the library's internal hooks (caldav is pinned in the
    manifest): its session has no public request hook, and its 401/403 error keeps
    only the reason phrase, which HTTP/2 does not even send.
    """

    counts_requests = False

    def _create_session(self) -> None:
        super()._create_session()
        # Count every HTTP request, authentication retries included (httpx family).
        hooks = getattr(self.session, "event_hooks", None)
        if isinstance(hooks, dict):
            hooks["request"] = [*hooks.get("request", []), _count_request_hook]
            self.session.event_hooks = hooks
            self.counts_requests = True

    def _raise_authorization_error(self, url_str: str, reason_source: Any) -> NoReturn:
        status = getattr(reason_source, "status_code", None)
        try:
            super()._raise_authorization_error(url_str, reason_source)
        except dav_error.AuthorizationError as err:
            raise Refused(status if isinstance(status, int) else None, err) from None


def _transport_errors() -> tuple[type[BaseException], ...]:
    """Return the exceptions the HTTP library caldav picked raises for I/O failures."""
    errors: list[type[BaseException]] = [OSError, TimeoutError]
    http = getattr(async_davclient, "httpx", None)
    if http is not None:
        errors.append(http.TransportError)
    niquests = getattr(async_davclient, "niquests", None)
    if niquests is not None:
        errors.append(niquests.exceptions.RequestException)
    return tuple(errors)


TRANSPORT_ERRORS = _transport_errors()
MALFORMED = (dav_error.DAVError, SyntaxError, ValueError)
"""What the library raises on answers it cannot parse (lxml's errors are SyntaxErrors)."""


class _RedactCredentials(logging.Filter):
    """Mask credentials in the library's DEBUG lines, which print whole header sets."""

    _HEADER = re.compile(
        r"""(?ix)
        (['"]?(?:proxy-)?(?:authorization|cookie|set-cookie)['"]?\s*[:,]\s*)
        (['"])(?:(?!\2).)*\2
        """
    )

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except TypeError, ValueError:
            return True
        redacted = self._HEADER.sub(r"\1\2***\2", message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


class _LeaveOutAnswers(logging.Filter):
    """Keep event text out of the line caldav writes for an answer that is no XML.

    It logs the whole answer at INFO, on the root logger (`logging.info`).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if (
            record.levelno >= logging.INFO
            and isinstance(record.msg, str)
            and record.msg.startswith("Expected some valid XML from the server")
        ):
            record.msg = "A CalDAV answer was not the XML expected (left out here)"
            record.args, record.exc_info, record.exc_text = (), None, None
        return True


def _install_redaction() -> None:
    for name in ("caldav", "caldav.response", "caldav.discovery"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _RedactCredentials) for f in logger.filters):
            logger.addFilter(_RedactCredentials())
    root = logging.getLogger()
    if not any(isinstance(f, _LeaveOutAnswers) for f in root.filters):
        root.addFilter(_LeaveOutAnswers())


_install_redaction()


def default_ssl_context() -> ssl.SSLContext:
    """Build a verifying TLS context (reads the CA bundle: call it in the executor)."""
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


def unverified_ssl_context() -> ssl.SSLContext:
    """Build a TLS context that checks neither certificate nor host name."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


async def in_executor[**P, R](
    func: Callable[P, R], *args: P.args, **kwargs: P.kwargs
) -> R:
    """Run CPU work or file reads (time-zone data) in the executor."""
    return await asyncio.get_running_loop().run_in_executor(
        None, partial(func, *args, **kwargs)
    )
