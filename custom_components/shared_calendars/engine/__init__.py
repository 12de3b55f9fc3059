"""The sync engine: pure Python, no I/O and no Home Assistant import.

It turns the changes seen in calendars, the ledger of copies and the members'
policies into the actions that make every combined calendar what it should be.
"""
