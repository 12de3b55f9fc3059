"""Servers the tests run on loopback: Radicale (real CalDAV) and a fake Google Calendar API."""
