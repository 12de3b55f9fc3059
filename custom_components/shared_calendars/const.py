"""Constants of the Shared Calendars integration."""

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "shared_calendars"
LOGGER = logging.getLogger(__package__)

CONF_GROUP_NAME: Final = "name"
SUBENTRY_ACCOUNT: Final = "account"
"""A Google service account or a CalDAV login; its unique id is the account id."""
CONF_ACCOUNT_TYPE: Final = "type"
ACCOUNT_GOOGLE: Final = "google"
ACCOUNT_CALDAV: Final = "caldav"
ACCOUNT_HA: Final = "ha_calendar"
"""Home Assistant's own calendar entities: no credentials, one such account a group."""
CONF_SERVICE_ACCOUNT: Final = "service_account"
"""The service-account key, as the JSON object Google issues."""
CONF_API_ROOT: Final = "api_root"
CONF_URL: Final = "url"
CONF_USERNAME: Final = "username"
CONF_PASSWORD: Final = "password"
CONF_VERIFY_SSL: Final = "verify_ssl"

SUBENTRY_MEMBER: Final = "member"
CONF_SOURCES: Final = "sources"
CONF_COMBINED: Final = "combined"
CONF_HA_SOURCES: Final = "ha_sources"
"""Member form only: Home Assistant calendars picked as entities, kept as sources."""
CONF_HA_COMBINED: Final = "ha_combined"
CONF_ACCOUNT: Final = "account"
CONF_CALENDAR_ID: Final = "calendar_id"
CONF_CALENDAR_NAME: Final = "name"
"""The calendar's name when it was picked: messages name it even when it is unreachable."""
CONF_RECEIVE_OWN: Final = "receive_own"
CONF_PRIVACY: Final = "privacy"
CONF_TITLE_PREFIX: Final = "title_prefix"
CONF_COLOR: Final = "color"
CONF_SKIP_ALL_DAY: Final = "skip_all_day"
CONF_SKIP_FREE: Final = "skip_free"
CONF_SKIP_TENTATIVE: Final = "skip_tentative"
CONF_INCLUDE_KEYWORDS: Final = "include_keywords"
CONF_EXCLUDE_KEYWORDS: Final = "exclude_keywords"
CONF_WORK_START: Final = "work_start"
CONF_WORK_END: Final = "work_end"
"""A member's working hours ("HH:MM:SS", local): when find_free_time may meet them."""

CONF_SYNC_INTERVAL: Final = "sync_interval"
CONF_WINDOW_PAST_DAYS: Final = "window_past_days"
CONF_WINDOW_FUTURE_DAYS: Final = "window_future_days"
CONF_CONCURRENCY: Final = "concurrency"
CONF_KEEP_COPIES_OF_REMOVED_MEMBERS: Final = "keep_copies_of_removed_members"
"""Keep (forget) the copies in a removed member's combined calendar instead of deleting them."""
CONF_TWO_WAY: Final = "two_way"
"""Members' edits of copies in their combined calendars change the originals."""
CONF_TWO_WAY_DELETE: Final = "two_way_delete"
"""With two-way sync, deleting a copy deletes its original."""

DEFAULT_SYNC_INTERVAL = timedelta(minutes=5)
DEFAULT_WINDOW_PAST_DAYS: Final = 30
DEFAULT_WINDOW_FUTURE_DAYS: Final = 365
DEFAULT_CONCURRENCY: Final = 4
DEFAULT_KEEP_COPIES_OF_REMOVED_MEMBERS: Final = False
DEFAULT_TWO_WAY: Final = False
DEFAULT_TWO_WAY_DELETE: Final = False

STORAGE_VERSION: Final = 1

CONF_ROOMS: Final = "rooms"
"""Room calendars: a list of {account, calendar_id, name}, in the group's options."""
CONF_PRIORITY_MARKER: Final = "priority_marker"
CONF_PRIORITY_ORGANIZERS: Final = "priority_organizers"
CONF_CLEAR_ROOMS_AFTER_SYNC: Final = "clear_rooms_after_sync"
CONF_NOTIFY_ENTITY: Final = "notify_entity"
CONF_NOTIFY_ACTION: Final = "notify_action"
CONF_NOTIFY_MESSAGE: Final = "notify_message"
DEFAULT_CLEAR_ROOMS_AFTER_SYNC: Final = False
DEFAULT_NOTIFY_MESSAGE: Final = (
    "Your booking {{ name }} of {{ calendar_name }} on {{ start }} was "
    "{{ 'cancelled' if is_cancelled else 'deleted' }}: it overlapped "
    "{% for other in overlap_events %}{{ other.name }} ({{ other.organizer }}){% "
    "if not loop.last %}, {% endif %}{% endfor %}."
)
CLEAR_WINDOW = timedelta(days=90)
"""How far ahead rooms are cleared unless a call says otherwise."""
EVENT_BOOKING_REMOVED: Final = "shared_calendars_booking_removed"
