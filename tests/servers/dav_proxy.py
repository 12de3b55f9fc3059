"""A small aiohttp reverse proxy in front of Radicale that injects faults.

It forwards every request unchanged and counts it. Knobs make it answer like a
troubled or a lesser server instead:

- `fail_next(n, status)`: the next n requests get `status` (a 5xx).
- `error_rate`: the share of requests answered 503 at random (seeded).
- `rate_limit_next(n, retry_after, status)`: the next n get 429 (or 503), with
  Retry-After when given.
- `stall_next(n, seconds, method)`: the next n requests (of `method`, if given)
  wait before they are forwarded: a client that gave up meanwhile does not know
  whether the server carried the request out (timeouts).
- `on_request`: called with each request's method before it is handled (a test
  kills a sync cycle at its n-th request, or stops the server behind the proxy).
- An upstream server that is down is answered 502 Bad Gateway, as a reverse proxy
  in front of a stopped server answers; `upstream` may be changed (a restart on
  another port).
- `expire_sync_tokens(status)`: every sync token handed out so far is refused with
  the RFC 6578 `DAV:valid-sync-token` precondition, as 403 (Radicale, SabreDAV) or
  409. A token the server hands out again later (a fresh full sync of a calendar
  that did not change gets the same token from Radicale) is valid again.
- `answer_empty(path)`: the calendar at `path` answers sync-collection with an
  empty multistatus, like a broken or freshly restored server, until
  `answer_empty(path, False)`: sync tokens issued before are refused as invalid
  meanwhile, and those issued meanwhile are refused afterwards.
- `sync_collection_supported = False`: the sync-collection REPORT is refused as an
  unsupported report, like a server without RFC 6578, and DAV:sync-token is taken
  out of PROPFIND answers.
- `ctag_supported = False`: CS:getctag is taken out of PROPFIND answers.
- `lock(path, n)`: the next n requests to `path` get 423 Locked, as Xandikos answers
  while another write holds a resource or its collection.
- `require_basic(users)`: clients must send these users' passwords with HTTP Basic,
  as a reverse proxy in front of Xandikos (which has no authentication) checks them.
- `require_digest(users)`: clients must use HTTP Digest (RFC 7616, MD5, qop=auth);
  the proxy checks it and passes Basic on to Radicale.
- `substitute(marker, data)`: every calendar object holding `marker` is served as
  `data` instead (in REPORT answers and to GET), like a server that keeps whatever
  a client stored (Radicale refuses what it cannot parse). Characters XML cannot
  hold make the multistatus broken, as a server that writes them raw does.
- `break_reports_next(n, path)`: the next n multistatus answers to a REPORT (on the
  collection at `path`, if given) are cut in half: XML that cannot be parsed.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import hashlib
import hmac
from ipaddress import ip_address
from pathlib import Path
import random
import re
import secrets
import ssl
from urllib.request import parse_http_list, parse_keqv_list
from xml.sax.saxutils import escape

from aiohttp import (
    BasicAuth,
    ClientConnectionError,
    ClientSession,
    ClientTimeout,
    encode_basic_auth,
    web,
)
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from multidict import CIMultiDict

_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
        "content-encoding",
    }
)
_SYNC_TOKEN = re.compile(rb"<(?:[\w-]+:)?sync-token(?:\s[^>]*)?>([^<]*)</")
_PROP_SYNC_TOKEN = re.compile(
    rb"<(?P<p>[\w-]+:)?sync-token(?:\s[^>]*)?>[^<]*</(?P=p)?sync-token>"
)
_PROP_GETCTAG = re.compile(
    rb"<(?P<p>[\w-]+:)?getctag(?:\s[^>]*)?>[^<]*</(?P=p)?getctag>"
)
_CALENDAR_DATA = re.compile(
    rb"(<(?:[\w-]+:)?calendar-data[^>]*>)(.*?)(</(?:[\w-]+:)?calendar-data>)", re.DOTALL
)
DIGEST_REALM = "shared-calendars-test"
_EMPTY_TOKEN = "http://127.0.0.1/ns/sync/emptied-"


def dav_error(precondition: str) -> bytes:
    """Return a DAV:error body naming one precondition (RFC 4918 section 16).

    `precondition` is `name` (in DAV:) or `C:name` (in CalDAV's namespace).
    """
    name = precondition if ":" in precondition else f"D:{precondition}"
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<D:error xmlns:D="DAV:"'
        f' xmlns:C="urn:ietf:params:xml:ns:caldav"><{name}/></D:error>'
    ).encode()


@dataclass(frozen=True, kw_only=True)
class ProxiedRequest:
    """One request the proxy received."""

    method: str
    path: str
    if_match: str | None
    if_none_match: str | None
    authorization_scheme: str | None
    """`Basic`, `Digest`, or None when the request carried no credentials."""
    body: bytes = b""


@dataclass
class _Fault:
    remaining: int
    status: int
    retry_after: int | None = None
    seconds: float = 0
    precondition: str | None = None
    method: str | None = None


class DavProxy:
    """A fault-injecting reverse proxy; start it with `start()`, stop with `close()`."""

    def __init__(
        self, upstream: str, *, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        """Forward to `upstream` (`http://host:port/`); serve TLS with `ssl_context`."""
        self.upstream = upstream.rstrip("/")
        self.url = ""
        self.requests: list[ProxiedRequest] = []
        """Every request received, faults included."""
        self.on_request: Callable[[str], Awaitable[None]] | None = None
        self.error_rate = 0.0
        self._random = random.Random(0)
        self.sync_collection_supported = True
        self.ctag_supported = True
        self._ssl_context = ssl_context
        self._failures: list[_Fault] = []
        self._stalls: list[_Fault] = []
        self._locks: Counter[str] = Counter()
        self._issued_tokens: set[str] = set()
        self._expired_tokens: set[str] = set()
        self._expired_status = 403
        self._emptied: set[str] = set()
        self._empty_tokens = 0
        self._digest_users: Mapping[str, str] | None = None
        self._basic_users: Mapping[str, str] | None = None
        self._nonces: set[str] = set()
        self._substitutes: dict[bytes, str] = {}
        self._breaks: dict[str | None, list[_Fault]] = {}
        self._runner: web.AppRunner | None = None
        self._session: ClientSession | None = None
        self._closing = asyncio.Event()

    async def start(self) -> str:
        """Listen on a free loopback port; return the proxy's URL."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{path:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self._ssl_context)
        await site.start()
        port = self._runner.addresses[0][1]
        scheme = "https" if self._ssl_context else "http"
        self.url = f"{scheme}://127.0.0.1:{port}/"
        self._session = ClientSession(
            timeout=ClientTimeout(total=30), auto_decompress=True
        )
        return self.url

    async def close(self) -> None:
        """Stop listening and release everything."""
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    # -- knobs -----------------------------------------------------------------

    def fail_next(
        self, requests: int, status: int = 503, *, precondition: str | None = None
    ) -> None:
        """Answer the next `requests` requests with `status` and no Retry-After.

        With `precondition` (e.g. `C:valid-calendar-data`), the body is a DAV:error
        naming it, as RFC 4791 servers explain a refused PUT.
        """
        self._failures.append(_Fault(requests, status, precondition=precondition))

    def rate_limit_next(
        self, requests: int, retry_after: int | None = None, status: int = 429
    ) -> None:
        """Answer the next `requests` requests with 429 (or 503) and Retry-After."""
        self._failures.append(_Fault(requests, status, retry_after))

    def heal(self) -> None:
        """Serve every request as the server answers it again: drop unused faults."""
        self._failures.clear()
        self._stalls.clear()

    def stall_next(
        self, requests: int, seconds: float, method: str | None = None
    ) -> None:
        """Hold the next `requests` requests (of `method`) for `seconds`, then forward."""
        self._stalls.append(_Fault(requests, 0, seconds=seconds, method=method))

    def lock(self, path: str, requests: int) -> None:
        """Answer the next `requests` requests to `path` (unquoted) with 423 Locked."""
        self._locks[path.rstrip("/")] = requests

    def expire_sync_tokens(self, status: int = 403) -> None:
        """Refuse every sync token handed out so far, with `status` (403 or 409)."""
        self._expired_tokens |= self._issued_tokens
        self._expired_status = status

    def answer_empty(self, path: str, empty: bool = True) -> None:
        """List the calendar at `path` as empty until called with `empty` False."""
        path = path.rstrip("/")
        if empty:
            self._emptied.add(path)
        else:
            self._emptied.discard(path)

    def substitute(self, marker: str, data: str) -> None:
        """Serve every calendar object that holds `marker` as `data` instead."""
        self._substitutes[marker.encode()] = data

    def break_reports_next(self, requests: int, path: str | None = None) -> None:
        """Cut the next `requests` REPORT multistatus answers (on `path`) in half."""
        key = path.rstrip("/") if path is not None else None
        self._breaks.setdefault(key, []).append(_Fault(requests, 207))

    def require_basic(self, users: Mapping[str, str]) -> None:
        """Accept only these users, with these passwords, over HTTP Basic."""
        self._basic_users = users

    def require_digest(self, users: Mapping[str, str]) -> None:
        """Accept only HTTP Digest authentication, for these users and passwords."""
        self._digest_users = users

    def request_count(self) -> int:
        """Return how many requests reached the proxy."""
        return len(self.requests)

    def methods(self) -> Counter[str]:
        """Return how many requests of each method reached the proxy."""
        return Counter(request.method for request in self.requests)

    # -- handling --------------------------------------------------------------

    @staticmethod
    def _take(faults: list[_Fault], method: str | None = None) -> _Fault | None:
        while faults and faults[0].remaining <= 0:
            faults.pop(0)
        if not faults or faults[0].method not in (None, method):
            return None
        faults[0].remaining -= 1
        return faults[0]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        authorization = request.headers.get("Authorization")
        self.requests.append(
            ProxiedRequest(
                method=request.method,
                path=request.path_qs,
                if_match=request.headers.get("If-Match"),
                if_none_match=request.headers.get("If-None-Match"),
                authorization_scheme=authorization.split(" ", 1)[0]
                if authorization
                else None,
                body=body,
            )
        )
        if self.on_request is not None:
            await self.on_request(request.method)
        if (stall := self._take(self._stalls, request.method)) is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), stall.seconds)
            if self._closing.is_set():
                return web.Response(status=503, text="the test proxy is closing")
        if self.error_rate and self._random.random() < self.error_rate:
            return web.Response(status=503, text="injected by the test proxy")
        if (fault := self._take(self._failures)) is not None:
            fault_headers = {}
            if fault.retry_after is not None:
                fault_headers["Retry-After"] = str(fault.retry_after)
            if fault.precondition is not None:
                return web.Response(
                    status=fault.status,
                    body=dav_error(fault.precondition),
                    content_type="application/xml",
                    headers=fault_headers,
                )
            return web.Response(
                status=fault.status,
                text="injected by the test proxy",
                headers=fault_headers,
            )

        if self._locks[locked := request.path.rstrip("/")] > 0:
            self._locks[locked] -= 1
            return web.Response(
                status=423,
                body=dav_error("lock-token-submitted"),
                content_type="application/xml",
            )

        headers = CIMultiDict(
            (key, value)
            for key, value in request.headers.items()
            if key.lower() not in _HOP_BY_HOP
        )
        if self._basic_users is not None and not self._check_basic(request):
            return web.Response(
                status=401,
                text="basic authentication required",
                headers={"WWW-Authenticate": f'Basic realm="{DIGEST_REALM}"'},
            )
        if self._digest_users is not None:
            user = self._check_digest(request)
            if user is None:
                return self._digest_challenge()
            headers["Authorization"] = encode_basic_auth(user, self._digest_users[user])

        is_sync = request.method == "REPORT" and b"sync-collection" in body
        if is_sync:
            if not self.sync_collection_supported:
                return web.Response(
                    status=403,
                    body=dav_error("supported-report"),
                    content_type="application/xml",
                )
            match = _SYNC_TOKEN.search(body)
            token = match.group(1).decode().strip() if match else ""
            emptied = request.path.rstrip("/") in self._emptied
            if token and (
                token in self._expired_tokens
                or emptied != token.startswith(_EMPTY_TOKEN)
            ):
                return web.Response(
                    status=self._expired_status,
                    body=dav_error("valid-sync-token"),
                    content_type="application/xml",
                )
            if emptied:
                return self._empty_multistatus()

        assert self._session is not None
        try:
            async with self._session.request(
                request.method,
                self.upstream + request.path_qs,
                headers=headers,
                data=body or None,
                allow_redirects=False,
            ) as upstream:
                answer = await upstream.read()
                status = upstream.status
                answer_headers = CIMultiDict(
                    (key, value)
                    for key, value in upstream.headers.items()
                    if key.lower() not in _HOP_BY_HOP
                )
        except ClientConnectionError:
            return web.Response(status=502, text="the server behind the proxy is down")
        if is_sync and status == 207:
            for match in _SYNC_TOKEN.finditer(answer):
                issued = match.group(1).decode().strip()
                self._issued_tokens.add(issued)
                self._expired_tokens.discard(issued)
        if self._substitutes and status in (200, 207):
            answer = self._substitute_objects(answer, xml=status == 207)
        if request.method == "REPORT" and status == 207:
            breaks = self._breaks.get(request.path.rstrip("/"))
            if (breaks and self._take(breaks)) or self._take(
                self._breaks.get(None, [])
            ):
                answer = answer[: len(answer) // 2]
        if request.method == "PROPFIND":
            if not self.sync_collection_supported:
                answer = _PROP_SYNC_TOKEN.sub(b"", answer)
            if not self.ctag_supported:
                answer = _PROP_GETCTAG.sub(b"", answer)
        return web.Response(status=status, body=answer, headers=answer_headers)

    def _substitute_objects(self, answer: bytes, *, xml: bool) -> bytes:
        def replace(data: bytes) -> bytes | None:
            for marker, substitute in self._substitutes.items():
                if marker in data:
                    return (escape(substitute) if xml else substitute).encode(
                        errors="surrogatepass"
                    )
            return None

        if not xml:
            return replace(answer) or answer
        return _CALENDAR_DATA.sub(
            lambda match: (
                match.group(1)
                + (replace(match.group(2)) or match.group(2))
                + match.group(3)
            ),
            answer,
        )

    def _empty_multistatus(self) -> web.Response:
        self._empty_tokens += 1
        return web.Response(
            status=207,
            body=(
                '<?xml version="1.0" encoding="utf-8"?>\n<D:multistatus xmlns:D="DAV:">'
                f"<D:sync-token>{_EMPTY_TOKEN}{self._empty_tokens}</D:sync-token>"
                "</D:multistatus>"
            ).encode(),
            content_type="application/xml",
        )

    def _digest_challenge(self) -> web.Response:
        nonce = secrets.token_hex(16)
        self._nonces.add(nonce)
        return web.Response(
            status=401,
            text="digest authentication required",
            headers={
                "WWW-Authenticate": (
                    f'Digest realm="{DIGEST_REALM}", nonce="{nonce}", '
                    'qop="auth", algorithm=MD5'
                )
            },
        )

    def _check_basic(self, request: web.Request) -> bool:
        """Return whether the request carries a known user's password (Basic)."""
        assert self._basic_users is not None
        try:
            auth = BasicAuth.decode(request.headers.get("Authorization", ""))
        except ValueError:
            return False
        password = self._basic_users.get(auth.login)
        return password is not None and hmac.compare_digest(
            password.encode(), auth.password.encode()
        )

    def _check_digest(self, request: web.Request) -> str | None:
        """Return the user whose Digest response is right, or None."""
        assert self._digest_users is not None
        header = request.headers.get("Authorization", "")
        if not header.lower().startswith("digest "):
            return None
        params = parse_keqv_list(parse_http_list(header[len("digest ") :]))
        user = params.get("username", "")
        password = self._digest_users.get(user)
        if password is None or params.get("nonce") not in self._nonces:
            return None

        def md5(text: str) -> str:
            return hashlib.md5(text.encode()).hexdigest()

        ha1 = md5(f"{user}:{DIGEST_REALM}:{password}")
        ha2 = md5(f"{request.method}:{params.get('uri', '')}")
        if params.get("qop"):
            expected = md5(
                f"{ha1}:{params['nonce']}:{params.get('nc', '')}:"
                f"{params.get('cnonce', '')}:{params['qop']}:{ha2}"
            )
        else:
            expected = md5(f"{ha1}:{params['nonce']}:{ha2}")
        if not hmac.compare_digest(expected, params.get("response", "")):
            return None
        return user


def tls_contexts(directory: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """Make a self-signed certificate for 127.0.0.1.

    Return a server context serving it and a client context that trusts it (and
    nothing else).
    """
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = certificate.public_bytes(serialization.Encoding.PEM)
    cert_file = directory / "cert.pem"
    key_file = directory / "key.pem"
    cert_file.write_bytes(cert_pem)
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cadata=cert_pem.decode())
    return server, client
