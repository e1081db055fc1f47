"""Renderers: they turn results into text and never do I/O beyond returning or writing it."""
