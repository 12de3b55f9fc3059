"""Tests of the Shared Calendars integration."""
