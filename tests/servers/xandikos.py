"""Xandikos, a second real CalDAV server, on a free loopback port for the test session.

Xandikos stores each calendar as a git repository and serves one principal,
`/alice/`, with its calendars under `/alice/calendars/`. It has no access control and
leaves authentication to a reverse proxy in front of it: the tests put the fault
proxy there, which checks alice's password (`DavProxy.require_basic`).

As with Radicale, the port is chosen in Xandikos's own process and read from its log.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
import re
import subprocess
import sys
import time
from urllib.parse import quote
import uuid

import aiohttp

from .radicale import mkcalendar_body

_LAUNCH = """
import runpy, socket, sys, threading, time
with socket.socket() as probe:
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]

def announce():  # Xandikos logs "Listening" before it accepts connections
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            time.sleep(0.05)
            continue
        print(f"test server ready on port {port}", flush=True)
        return

threading.Thread(target=announce, daemon=True).start()
sys.argv = ["xandikos", "--defaults", "-d", sys.argv[1], "-l", "127.0.0.1",
            "-p", str(port), "--current-user-principal", "/alice/"]
runpy.run_module("xandikos.web", run_name="__main__", alter_sys=True)
"""
"""Start Xandikos on a free port, chosen in its own process, which says when it is up."""

_READY = re.compile(r"test server ready on port (\d+)")

USER = "alice"
"""The one principal Xandikos serves."""


@dataclass(kw_only=True)
class XandikosServer:
    """A running Xandikos process."""

    url: str
    """`http://127.0.0.1:port/`"""
    root: Path
    private_calendar_path: str = "/alice/calendars/never-made/"
    """A calendar that does not exist: Xandikos cannot keep one from alice."""
    _process: subprocess.Popen[bytes] | None = None

    @classmethod
    def start(cls, root: Path) -> XandikosServer:
        """Start Xandikos with its files in `root`; wait until it answers."""
        root.mkdir(parents=True, exist_ok=True)
        log_path = root / "xandikos.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-c", _LAUNCH, str(root / "collections")],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        server = cls(url="", root=root, _process=process)
        deadline = time.monotonic() + 60
        while True:
            text = log_path.read_text(encoding="utf-8", errors="replace")
            if ready := _READY.search(text):
                server.url = f"http://127.0.0.1:{ready.group(1)}/"
                return server
            if process.poll() is not None or time.monotonic() > deadline:
                server.stop()
                raise RuntimeError("Xandikos did not start:\n" + text)
            time.sleep(0.05)

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

    async def mkcalendar(
        self,
        user: str,
        slug: str | None = None,
        *,
        displayname: str | None = None,
        color: str | None = None,
        timezone: str | None = None,
    ) -> str:
        """Create a calendar of alice's with MKCALENDAR; return its path."""
        if user != USER:
            raise ValueError(f"Xandikos serves {USER} only, not {user}")
        slug = slug or f"cal-{uuid.uuid4().hex[:12]}"
        path = f"/{USER}/calendars/{quote(slug)}/"
        async with (
            aiohttp.ClientSession() as session,
            session.request(
                "MKCALENDAR",
                self.url.rstrip("/") + path,
                data=mkcalendar_body(displayname or slug, color, timezone),
                headers={"Content-Type": "application/xml; charset=utf-8"},
            ) as response,
        ):
            if response.status != 201:
                raise RuntimeError(
                    f"MKCALENDAR {path} answered {response.status}: "
                    + await response.text()
                )
        return path
