"""WebDAV request bodies, hrefs and property values, without I/O.

The request bodies are built here rather than by the caldav library's high-level
objects, because those drop properties they do not know from PROPFIND (getctag,
current-user-privilege-set).
"""

from __future__ import annotations

from collections.abc import Iterable
import re
from typing import Any, Final
from urllib.parse import quote, unquote, urljoin, urlsplit
from xml.sax.saxutils import escape

DAV: Final = "{DAV:}"
CALDAV: Final = "{urn:ietf:params:xml:ns:caldav}"
CALSERVER: Final = "{http://calendarserver.org/ns/}"
APPLE: Final = "{http://apple.com/ns/ical/}"

_NAMESPACES = (
    'xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" '
    'xmlns:CS="http://calendarserver.org/ns/" xmlns:A="http://apple.com/ns/ical/"'
)
SAFE_PATH = "/@:+!$&'()*,;=~"
"""What `quote` leaves as it is in a path."""


def propfind_body(*props: str) -> str:
    """Return a PROPFIND body asking for `props` (prefixed names: `D:getetag`)."""
    return (
        f'<?xml version="1.0" encoding="utf-8"?><D:propfind {_NAMESPACES}><D:prop>'
        + "".join(f"<{prop}/>" for prop in props)
        + "</D:prop></D:propfind>"
    )


def sync_collection_body(token: str, *, with_data: bool) -> str:
    """Return a sync-collection REPORT body (RFC 6578) asking from `token` on."""
    data = "<C:calendar-data/>" if with_data else ""
    return (
        f'<?xml version="1.0" encoding="utf-8"?><D:sync-collection {_NAMESPACES}>'
        f"<D:sync-token>{escape(token)}</D:sync-token><D:sync-level>1</D:sync-level>"
        f"<D:prop><D:getetag/>{data}</D:prop></D:sync-collection>"
    )


def multiget_body(paths: Iterable[str]) -> str:
    """Return a calendar-multiget REPORT body asking for the resources at `paths`."""
    return (
        f'<?xml version="1.0" encoding="utf-8"?><C:calendar-multiget {_NAMESPACES}>'
        "<D:prop><D:getetag/><C:calendar-data/></D:prop>"
        + "".join(f"<D:href>{escape(path)}</D:href>" for path in paths)
        + "</C:calendar-multiget>"
    )


def path_of(url: str) -> str:
    """Return the unquoted path of a URL, without a trailing slash."""
    return unquote(urlsplit(url).path).rstrip("/")


def url_for(base: str, path: str) -> str:
    """Join an unquoted path (as the library returns hrefs) onto `base`."""
    return urljoin(base, quote(path, safe=SAFE_PATH))


def resource_name(path: str) -> str:
    """Return the last segment of a path."""
    return path.rstrip("/").rsplit("/", 1)[-1]


def event_id_for(resource_name: str) -> str:
    """Return the event id of a resource name (the name without `.ics`)."""
    return resource_name.removesuffix(".ics") or resource_name


def tags(value: Any) -> set[str]:
    """Return the element tags in a parsed property value (an element or a list)."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return {item for item in value if isinstance(item, str)}
    iterator = getattr(value, "iter", None)
    if iterator is None:
        return set()
    return {element.tag for element in iterator() if isinstance(element.tag, str)}


def text(value: Any) -> str | None:
    """Return a property's text, stripped; None when it holds none."""
    return value.strip() if isinstance(value, str) and value.strip() else None


def color(value: Any) -> str | None:
    """Return an Apple calendar-color (`#RRGGBB` or `#RRGGBBAA`) as `#rrggbb`."""
    found = text(value)
    if found is None or not re.fullmatch(r"#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?", found):
        return None
    return found[:7].lower()
