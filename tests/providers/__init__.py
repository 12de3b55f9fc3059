"""Contract tests that every calendar provider passes."""
