"""Calendar providers: the I/O adapters for Google and CalDAV behind one protocol.

Providers read and write events; they never decide what to sync.
"""
