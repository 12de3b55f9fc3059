"""Constants of the Shared Calendars integration."""

import logging
from typing import Final

DOMAIN: Final = "shared_calendars"
LOGGER = logging.getLogger(__package__)

CONF_GROUP_NAME: Final = "name"
