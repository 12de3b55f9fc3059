"""Helper for scripts/develop, smoke and demo: offline, loopback-only Home Assistant.

Run it with the Python of the venv whose Home Assistant is started, so storage files
are written in the format (version) that Home Assistant reads:

  prepare DIR PORT [INTEGRATION...]
                           configuration.yaml (if missing), .storage/http, .storage/onboarding,
                           and pip-install what Home Assistant would install at startup
                           and what the INTEGRATIONs set up later need (local_calendar)
  free-port                print a free TCP port on 127.0.0.1
  onboard URL USER PASS    create the owner via the onboarding API; print an access token
  login URL USER PASS      log in as the login page does; print an access token
  wait-running URL TOKEN   wait until the core state is RUNNING
  add-entry URL TOKEN DOMAIN NAME CALDAV_URL   create a group with a CalDAV account,
                           check it is loaded, open every other form once
  check-log LOG DOMAIN     fail on errors in the log that concern the custom integration

Why files in .storage (homeassistant/components/http/config.py): an `http:` block in
configuration.yaml is only migrated once into .storage/http as an unconfirmed
"pending" config; unless it is promoted (websocket http/config/promote) within 5
minutes, Home Assistant marks it failed, restarts and binds the "stable" config,
by default all interfaces on port 8123. Writing the stable slot directly (and no
`http:` in YAML) makes 127.0.0.1:PORT permanent, with nothing pending.
Marking the onboarding steps other than "user" done skips the core_config step, which
sets up met, radio_browser, google_translate and shopping_list (they go to the
internet; onboarding/views.py), and the analytics step (analytics stays off).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
import importlib.util
import json
import os
from pathlib import Path
import re
import socket
import sys
import time
from typing import Any
import urllib.error
import urllib.parse
import urllib.request

CONFIGURATION_YAML = """\
# Written by scripts/develop, smoke or demo; edit freely, it is not overwritten.
# No `default_config:` on purpose: it adds cloud, discovery (zeroconf, ssdp, dhcp,
# bluetooth, usb), go2rtc, homeassistant_alerts and mobile_app, which use the network
# or the internet. Home Assistant always loads frontend, config, person, automation,
# helpers etc.; the lines below add the calendar panel, history and logbook.
# The HTTP server (127.0.0.1:PORT) is set in .storage/http, not here.
frontend:
config:
calendar:
history:
logbook:
logger:
  default: info
  logs:
    custom_components.{domain}: debug
"""


def _write_store(
    config_dir: Path, key: str, version: int, minor: int, data: Any
) -> None:
    """Write a .storage file the way homeassistant.helpers.storage.Store does."""
    path = config_dir / ".storage" / key
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"version": version, "minor_version": minor, "key": key, "data": data}
    path.write_text(json.dumps(payload, indent=2) + "\n")
    path.chmod(0o600)


def prepare(config_dir: str, port: str, *integrations: str) -> None:
    """Write the configuration that keeps Home Assistant offline and on loopback.

    `integrations`: set up later through their config flows; their requirements are
    installed now too, as Home Assistant would install them from the internet.
    """
    domain = "shared_calendars"
    # Fail early rather than in Home Assistant's fallback to its default HTTP config.
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as aiohttp does
        try:
            sock.bind(("127.0.0.1", int(port)))
        except OSError as err:
            sys.exit(
                f"ha_config: port {port} on 127.0.0.1 is not free ({err}); set PORT"
            )
    # Imported from the Home Assistant being run, so the format always matches it.
    from homeassistant.components.http import config as http_config
    from homeassistant.components.onboarding import (
        STORAGE_KEY as ONBOARDING_KEY,
        STORAGE_VERSION as ONBOARDING_VERSION,
    )
    from homeassistant.components.onboarding.const import STEP_USER, STEPS
    from homeassistant.util import dt as dt_util

    cdir = Path(config_dir)
    cdir.mkdir(parents=True, exist_ok=True)
    yaml_path = cdir / "configuration.yaml"
    if not yaml_path.exists():
        yaml_path.write_text(CONFIGURATION_YAML.format(domain=domain))

    # The stable slot is what Home Assistant binds to; no pending trial, YAML done.
    stable = dict(
        http_config.HTTP_STORAGE_SCHEMA(
            {"server_host": ["127.0.0.1"], "server_port": int(port)}
        )
    )
    stable.update(
        {
            http_config.HTTP_CONFIG_CREATED_AT: dt_util.utcnow().isoformat(),
            http_config.HTTP_CONFIG_ERROR: None,
            http_config.HTTP_CONFIG_ERROR_MESSAGE: None,
        }
    )
    _write_store(
        cdir,
        http_config.STORAGE_KEY,
        http_config.STORAGE_VERSION,
        http_config.STORAGE_MINOR_VERSION,
        {
            http_config.KEY_STABLE: stable,
            http_config.KEY_PENDING: None,
            http_config.KEY_YAML_MIGRATION_DONE: True,
        },
    )

    # Only the user step is left for the onboarding API (or the browser).
    if not (cdir / ".storage" / ONBOARDING_KEY).exists():
        done = [step for step in STEPS if step != STEP_USER]
        _write_store(cdir, ONBOARDING_KEY, ONBOARDING_VERSION, 1, {"done": done})

    install_requirements(cdir, integrations)


def install_requirements(cdir: Path, integrations: Sequence[str] = ()) -> None:
    """Install the requirements Home Assistant would pip-install while starting.

    Home Assistant installs integration requirements (home-assistant-frontend, hassil,
    ...) at startup from PyPI; installing them beforehand lets `hass` start offline.
    Follows what homeassistant/requirements.py does: the integrations that are always
    set up, those in configuration.yaml and the custom ones, with their dependencies
    and after_dependencies.
    """
    import subprocess

    import homeassistant
    from homeassistant import bootstrap
    from homeassistant.util.package import is_installed

    builtin = Path(homeassistant.__file__).parent / "components"
    yaml_text = (cdir / "configuration.yaml").read_text()
    todo = {
        *bootstrap.CORE_INTEGRATIONS,
        *bootstrap.DEFAULT_INTEGRATIONS,
        *integrations,
    }
    todo |= set(re.findall(r"^([a-z_]+):", yaml_text, re.MULTILINE)) - {"homeassistant"}
    requirements: set[str] = set()
    for manifest in cdir.glob("custom_components/*/manifest.json"):
        data = json.loads(manifest.read_text())
        requirements.update(data.get("requirements", []))
        todo.update(data.get("dependencies", []), data.get("after_dependencies", []))
    seen: set[str] = set()
    while todo:
        domain = todo.pop()
        seen.add(domain)
        if not (manifest := builtin / domain / "manifest.json").exists():
            continue
        data = json.loads(manifest.read_text())
        requirements.update(data.get("requirements", []))
        todo.update(
            set(data.get("dependencies", []) + data.get("after_dependencies", []))
            - seen
        )
    if not (missing := sorted(r for r in requirements if not is_installed(r))):
        return
    print(f"ha_config: installing {' '.join(missing)}", file=sys.stderr)
    constraints = Path(homeassistant.__file__).parent / "package_constraints.txt"
    # uv (a dependency of homeassistant) as Home Assistant itself uses it, else pip.
    if importlib.util.find_spec("uv"):
        pip = [sys.executable, "-m", "uv", "pip", "install", "--python", sys.executable]
    else:
        pip = [sys.executable, "-m", "pip", "install"]
    cmd = [*pip, "--quiet", "--constraint", str(constraints), *missing]
    subprocess.run(cmd, check=True)  # noqa: S603 - pinned requirements from manifests


def free_port() -> None:
    """Print a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        print(sock.getsockname()[1])


def request(
    url: str,
    *,
    token: str | None = None,
    data: Any = None,
    form: dict[str, str] | None = None,
    method: str | None = None,
) -> tuple[int, Any]:
    """Make an HTTP request; return (status, decoded JSON or text)."""
    headers = {}
    body = None
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if form is not None:
        body = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif data is not None:
        body = json.dumps(data).encode()
        headers["Content-Type"] = "application/json"
    # Only ever http://127.0.0.1:PORT, built by the scripts.
    req = urllib.request.Request(url, data=body, headers=headers, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as err:
        status, raw = err.code, err.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")


def basic_auth(user: str, password: str) -> str:
    """Return an HTTP Basic Authorization header value."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def websocket(url: str, token: str, messages: list[dict[str, Any]]) -> list[Any]:
    """Send commands over the websocket API, one after the other; return results.

    What the frontend does for what has no REST endpoint (registries, dashboards).
    Exits on the first command that fails.
    """
    import asyncio

    import aiohttp

    async def run() -> list[Any]:
        results: list[Any] = []
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(f"{url}/api/websocket", receive_timeout=60) as ws,
        ):
            await ws.receive_json()  # auth_required
            await ws.send_json({"type": "auth", "access_token": token})
            if (reply := await ws.receive_json())["type"] != "auth_ok":
                sys.exit(f"ha_config: websocket authentication failed: {reply}")
            for number, message in enumerate(messages, 1):
                await ws.send_json({"id": number, **message})
                while (reply := await ws.receive_json()).get("id") != number:
                    pass
                if not reply.get("success"):
                    sys.exit(f"ha_config: {message['type']} failed: {reply}")
                results.append(reply.get("result"))
        return results

    return asyncio.run(run())


def _wait(what: str, timeout: float, check: Any, watch_pid: int | None = None) -> Any:
    """Call check() until it returns something truthy; fail after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if result := check():
                return result
        except OSError:  # not listening yet, connection reset while starting
            pass
        if watch_pid is not None and not _alive(watch_pid):
            sys.exit(f"ha_config: Home Assistant exited while waiting for {what}")
        if time.monotonic() > deadline:
            sys.exit(f"ha_config: timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def onboard(
    url: str, user: str, password: str, timeout: str = "180", watch_pid: str = ""
) -> None:
    """Create the owner account through the onboarding API and print a token.

    /api/onboarding needs no auth and answers as soon as the HTTP server is up.
    Prints nothing when the user step was done before (a re-used config dir).
    """
    pid = int(watch_pid) if watch_pid else None
    status, steps = _wait(
        "the HTTP server",
        float(timeout),
        lambda: request(f"{url}/api/onboarding"),
        pid,
    )
    if status == 404 or all(step["done"] for step in steps if step["step"] == "user"):
        print(
            f"ha_config: already onboarded; log in as before at {url}", file=sys.stderr
        )
        return
    client_id = f"{url}/"
    status, result = request(
        f"{url}/api/onboarding/users",
        data={
            "client_id": client_id,
            "name": user,
            "username": user,
            "password": password,
            "language": "en",
        },
    )
    if status != 200:
        sys.exit(f"ha_config: onboarding user step failed: {status} {result}")
    token = _exchange_code(url, client_id, result["auth_code"])
    print(f"ha_config: created the owner {user!r} at {url}", file=sys.stderr)
    print(token)


def _exchange_code(url: str, client_id: str, code: str) -> str:
    """Exchange an authorization code for an access token (valid for 30 minutes)."""
    status, tokens = request(
        f"{url}/auth/token",
        form={"grant_type": "authorization_code", "code": code, "client_id": client_id},
    )
    if status != 200:
        sys.exit(f"ha_config: token exchange failed: {status} {tokens}")
    token: str = tokens["access_token"]
    return token


def login(url: str, user: str, password: str, timeout: str = "180") -> str:
    """Log in with user name and password as the login page does; return a token.

    As a command, print the token. Waits for the HTTP server for up to `timeout` s.
    """
    client_id = f"{url}/"
    status, flow = _wait(
        "the login form",
        float(timeout),
        lambda: request(
            f"{url}/auth/login_flow",
            data={
                "client_id": client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": f"{url}/?auth_callback=1",
            },
        ),
    )
    if status != 200 or "flow_id" not in flow:
        sys.exit(f"ha_config: the login form did not open: {status} {flow}")
    status, result = request(
        f"{url}/auth/login_flow/{flow['flow_id']}",
        data={"client_id": client_id, "username": user, "password": password},
    )
    if status != 200 or result.get("type") != "create_entry":
        sys.exit(f"ha_config: logging in as {user!r} failed: {status} {result}")
    return _exchange_code(url, client_id, result["result"])


def wait_running(
    url: str, token: str, timeout: str = "180", watch_pid: str = ""
) -> None:
    """Wait until Home Assistant has finished starting.

    The HTTP server starts with the frontend, long before startup is over; the core
    state goes NOT_RUNNING -> STARTING -> RUNNING once every integration set up.
    """
    pid = int(watch_pid) if watch_pid else None

    def running() -> bool:
        status, body = request(f"{url}/api/core/state", token=token)
        return status == 200 and body.get("state") == "RUNNING"

    _wait("core state RUNNING", float(timeout), running, pid)


def add_entry(url: str, token: str, domain: str, name: str, caldav_url: str) -> None:
    """Create a group through the config-flow REST API; check it is loaded.

    The flow asks for the group's name and its first account: a CalDAV account at
    `caldav_url` (a Radicale without authentication that scripts/smoke starts).
    Then every other form is opened once and cancelled (a member, a Google account,
    the options), which proves Home Assistant can serialize each of them.
    Exit code 0: entry loaded; 1: failure; 3: the first form is not the one this
    helper knows how to fill (the flow was aborted again).
    """
    entry_id = create_group(
        url,
        token,
        domain,
        name,
        caldav_url,
        username="smoke",
        password="smoke-password",
    )
    state = wait_loaded(url, token, domain, entry_id)
    print(f"ha_config: config entry {name!r} ({entry_id}) state: {state}")
    if state != "loaded":
        sys.exit(1)
    _open_forms(url, token, entry_id)


def create_group(
    url: str,
    token: str,
    domain: str,
    name: str,
    caldav_url: str,
    *,
    username: str,
    password: str,
) -> str:
    """Create a group with a CalDAV account as the UI's dialog does; return its id.

    The same requests as the frontend's config-flow dialog: start the flow, answer
    the group form (name, first account CalDAV), then the CalDAV form.
    """
    flow_url = f"{url}/api/config/config_entries/flow"
    status, form = request(flow_url, token=token, data={"handler": domain})
    if status != 200:
        sys.exit(
            f"ha_config: starting the {domain} config flow failed: {status} {form}"
        )
    fields = [field["name"] for field in form.get("data_schema", [])]
    if form.get("type") != "form" or fields != ["name", "account_type"]:
        print(
            f"ha_config: config flow started (step {form.get('step_id')!r}, "
            f"fields {fields}); not the group form, not submitting it"
        )
        if form.get("flow_id"):
            request(f"{flow_url}/{form['flow_id']}", token=token, method="DELETE")
        sys.exit(3)
    result = answer_flow(
        flow_url,
        token,
        form,
        [
            {"name": name, "account_type": "caldav"},
            {
                "url": caldav_url,
                "username": username,
                "password": password,
                "verify_ssl": True,
            },
        ],
    )
    if result.get("type") != "create_entry":
        sys.exit(f"ha_config: the config flow did not create an entry: {result}")
    entry_id: str = result["result"]["entry_id"]
    return entry_id


def answer_flow(
    flow_url: str,
    token: str,
    form: dict[str, Any],
    answers: Sequence[dict[str, Any]],
) -> dict[str, Any]:
    """Submit `answers` to the open flow `form`, one step each; return the result.

    Exits when a step is refused: an error shown on the form, or an HTTP error.
    """
    result = form
    for answer in answers:
        status, result = request(
            f"{flow_url}/{form['flow_id']}", token=token, data=answer
        )
        if status != 200 or result.get("errors"):
            sys.exit(f"ha_config: the flow refused {sorted(answer)}: {status} {result}")
    return result


def wait_loaded(
    url: str, token: str, domain: str, entry_id: str, timeout: float = 60
) -> str:
    """Wait until a config entry has finished setting up; return its state."""

    def loaded() -> str | None:
        _, entries = request(
            f"{url}/api/config/config_entries/entry?domain={domain}", token=token
        )
        state = next((e["state"] for e in entries if e["entry_id"] == entry_id), "gone")
        # A reload after a change passes through these (and may not have begun).
        transient = ("not_loaded", "setup_in_progress", "unload_in_progress")
        return state if state not in transient else None

    state: str = _wait(f"config entry {entry_id} to set up", timeout, loaded)
    return state


def _open_forms(url: str, token: str, entry_id: str) -> None:
    """Open the member, account and options forms once each; cancel them."""
    base = f"{url}/api/config/config_entries"
    opened = [
        (f"{base}/subentries/flow", [entry_id, "member"], None),
        (f"{base}/subentries/flow", [entry_id, "account"], {"next_step_id": "google"}),
        (f"{base}/options/flow", entry_id, None),
    ]
    for flow_url, handler, answer in opened:
        status, form = request(flow_url, token=token, data={"handler": handler})
        if status == 200 and answer is not None:
            status, form = request(
                f"{flow_url}/{form['flow_id']}", token=token, data=answer
            )
        if status != 200 or form.get("type") != "form":
            sys.exit(f"ha_config: the form of {handler} failed: {status} {form}")
        request(f"{flow_url}/{form['flow_id']}", token=token, method="DELETE")
        fields = [field["name"] for field in form.get("data_schema", [])]
        print(f"ha_config: form {form['step_id']!r} of {handler} shows {fields}")


# "2026-11-21 23:44:26.781+00:00 WARNING (MainThread) [homeassistant.loader] ..."
_RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\S* ([A-Z]+) ")


def check_log(log: str, domain: str) -> None:
    """Fail on ERROR/CRITICAL records or tracebacks that concern the integration."""
    records: list[list[str]] = []
    for line in Path(log).read_text(errors="replace").splitlines():
        if _RECORD.match(line) or not records:
            records.append([line])
        else:
            records[-1].append(line)
    pattern = re.compile(
        rf"{domain}|custom_components|custom integration|homeassistant\.loader"
    )

    def is_error(rec: list[str]) -> bool:
        head = _RECORD.match(rec[0])
        level = head.group(1) if head else ""
        return level in ("ERROR", "CRITICAL") or any("Traceback" in x for x in rec)

    bad = [rec for rec in records if is_error(rec) and pattern.search("\n".join(rec))]
    found = any(domain in rec[0] for rec in records)
    for rec in bad:
        print("\n".join(rec))
    if bad:
        sys.exit(f"ha_config: {len(bad)} error record(s) about {domain} in {log}")
    if not found:
        sys.exit(f"ha_config: {domain} is not mentioned in {log}; was it loaded?")
    print(f"ha_config: no errors about {domain} in the log")


COMMANDS: dict[str, Callable[..., None]] = {
    "prepare": prepare,
    "free-port": free_port,
    "onboard": onboard,
    "login": lambda *args: print(login(*args)),
    "wait-running": wait_running,
    "add-entry": add_entry,
    "check-log": check_log,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](*sys.argv[2:])
