"""Radicale, a real CalDAV server, on a free loopback port for the test session.

Authentication is real (an htpasswd file: alice's password bcrypt-hashed, bob's in
plain text, `autodetect` tells them apart), storage is a temporary folder, and a
rights file gives every user their own principal and calendars, plus read access
for everyone to bob's calendars named `shared-*`. Bob's other calendars are his
alone: `private_calendar_path` is one of them.

Starting it opens no socket in the test process (pytest-socket forbids that outside
a test): Radicale's process picks a free port and the port is read from its log.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
import re
import socket
import subprocess
import sys
import time
from urllib.parse import quote
import uuid
from xml.sax.saxutils import escape

import aiohttp
import bcrypt

_LAUNCH = """
import runpy, socket, sys
with socket.socket() as probe:
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
sys.argv = ["radicale", "--config", sys.argv[1], "--server-hosts", f"127.0.0.1:{port}"]
runpy.run_module("radicale", run_name="__main__", alter_sys=True)
"""
"""Start Radicale on a free port, chosen in its own process (it logs which one)."""

_LISTENING = re.compile(r"Listening on '127\.0\.0\.1:(\d+)'")

USERS: Mapping[str, str] = {"alice": "alice-Pa55w0rd!", "bob": "bob-Pa55w0rd!"}
"""Radicale's users and their passwords."""

RIGHTS = """
[root]
user: .+
collection:
permissions: R

[own-principal]
user: .+
collection: {user}
permissions: RW

[own-calendars]
user: .+
collection: {user}/[^/]+
permissions: rw

[bobs-shared-calendars-read-only]
user: .+
collection: bob/shared-[^/]+
permissions: r
"""


def free_port() -> int:
    """Return a loopback TCP port nothing listens on (now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def mkcalendar_body(
    displayname: str, color: str | None = None, timezone: str | None = None
) -> str:
    """Return an RFC 4791 MKCALENDAR request body for an event calendar.

    `timezone` is an IANA name; it becomes the calendar's CALDAV:calendar-timezone.
    """
    color_prop = (
        f"<A:calendar-color>{escape(color)}</A:calendar-color>" if color else ""
    )
    if timezone:
        vtimezone = (
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tests//EN\r\n"
            f"BEGIN:VTIMEZONE\r\nTZID:{timezone}\r\nBEGIN:STANDARD\r\n"
            "DTSTART:19700101T000000\r\nTZOFFSETFROM:+0000\r\nTZOFFSETTO:+0000\r\n"
            "END:STANDARD\r\nEND:VTIMEZONE\r\nEND:VCALENDAR\r\n"
        )
        color_prop += f"<C:calendar-timezone>{escape(vtimezone)}</C:calendar-timezone>"
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"'
        ' xmlns:A="http://apple.com/ns/ical/"><D:set><D:prop>'
        f"<D:displayname>{escape(displayname)}</D:displayname>{color_prop}"
        '<C:supported-calendar-component-set><C:comp name="VEVENT"/>'
        "</C:supported-calendar-component-set>"
        "</D:prop></D:set></C:mkcalendar>"
    )


def calendar_path(user: str, name: str) -> str:
    """Return the path of a user's calendar."""
    return f"/{quote(user)}/{quote(name)}/"


@dataclass(kw_only=True)
class RadicaleServer:
    """A running Radicale process."""

    url: str
    """`http://127.0.0.1:port/`"""
    root: Path
    users: Mapping[str, str] = field(default_factory=lambda: USERS)
    private_calendar_path: str = calendar_path("bob", "private-calendar")
    """A calendar of bob's that alice may not see (see `ensure_private_calendar`)."""
    _process: subprocess.Popen[bytes] | None = None
    _private_calendar_made: bool = False

    @classmethod
    def start(cls, root: Path) -> RadicaleServer:
        """Start Radicale with its files in `root`; wait until it answers."""
        root.mkdir(parents=True, exist_ok=True)
        htpasswd = root / "htpasswd"
        alice_hash = bcrypt.hashpw(USERS["alice"].encode(), bcrypt.gensalt(4))
        htpasswd.write_text(
            f"alice:{alice_hash.decode()}\nbob:{USERS['bob']}\n", encoding="utf-8"
        )
        rights = root / "rights"
        rights.write_text(RIGHTS, encoding="utf-8")
        config = root / "config"
        config.write_text(
            f"""
[auth]
type = htpasswd
htpasswd_filename = {htpasswd}
htpasswd_encryption = autodetect
delay = 0
[rights]
type = from_file
file = {rights}
[storage]
filesystem_folder = {root / "collections"}
[web]
type = none
[logging]
level = info
mask_passwords = True
""",
            encoding="utf-8",
        )
        log_path = root / "radicale.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-c", _LAUNCH, str(config)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        server = cls(url="", root=root, _process=process)
        deadline = time.monotonic() + 20
        while True:
            text = log_path.read_text(encoding="utf-8", errors="replace")
            listening = _LISTENING.search(text)
            if listening and "Radicale server ready" in text:
                server.url = f"http://127.0.0.1:{listening.group(1)}/"
                return server
            if process.poll() is not None or time.monotonic() > deadline:
                server.stop()
                raise RuntimeError("Radicale did not start:\n" + text)
            time.sleep(0.02)

    def stop(self) -> None:
        """Stop the process."""
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None

    def _auth_header(self, user: str) -> str:
        return aiohttp.encode_basic_auth(user, self.users[user])

    async def mkcalendar(
        self,
        user: str,
        slug: str | None = None,
        *,
        displayname: str | None = None,
        color: str | None = None,
        timezone: str | None = None,
    ) -> str:
        """Create a calendar for `user` with MKCALENDAR; return its path.

        Without a slug (the last path segment), a unique one is chosen. Calendars
        are never removed: each test makes its own, so tests never share events.
        """
        slug = slug or f"cal-{uuid.uuid4().hex[:12]}"
        path = calendar_path(user, slug)
        async with (
            aiohttp.ClientSession() as session,
            session.request(
                "MKCALENDAR",
                self.url.rstrip("/") + path,
                data=mkcalendar_body(displayname or slug, color, timezone),
                headers={
                    "Authorization": self._auth_header(user),
                    "Content-Type": "application/xml; charset=utf-8",
                },
            ) as response,
        ):
            if response.status != 201:
                raise RuntimeError(
                    f"MKCALENDAR {path} answered {response.status}: "
                    + await response.text()
                )
        return path

    async def ensure_private_calendar(self) -> None:
        """Create bob's private calendar, once."""
        if not self._private_calendar_made:
            await self.mkcalendar("bob", "private-calendar")
            self._private_calendar_made = True

    async def put_raw(self, user: str, path: str, ics: str) -> None:
        """Store a calendar object as another client would, bypassing the provider."""
        async with (
            aiohttp.ClientSession() as session,
            session.put(
                self.url.rstrip("/") + path,
                data=ics.encode(),
                headers={
                    "Authorization": self._auth_header(user),
                    "Content-Type": "text/calendar; charset=utf-8",
                },
            ) as response,
        ):
            if response.status not in (201, 204):
                raise RuntimeError(
                    f"PUT {path} answered {response.status}: " + await response.text()
                )

    async def delete_raw(self, user: str, path: str) -> None:
        """Delete a calendar object as another client would."""
        async with (
            aiohttp.ClientSession() as session,
            session.delete(
                self.url.rstrip("/") + path,
                headers={"Authorization": self._auth_header(user)},
            ) as response,
        ):
            if response.status not in (200, 204):
                raise RuntimeError(f"DELETE {path} answered {response.status}")

    async def get_raw(self, user: str, path: str) -> tuple[int, str]:
        """Fetch a calendar object as another client would; return status and body."""
        async with (
            aiohttp.ClientSession() as session,
            session.get(
                self.url.rstrip("/") + path,
                headers={"Authorization": self._auth_header(user)},
            ) as response,
        ):
            return response.status, await response.text()
