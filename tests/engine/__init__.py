"""Unit tests of the pure sync engine."""
