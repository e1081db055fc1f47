"""The I/O edge: DNS, the SMTP session, TLS facts, many probes at once.

Library and OS errors become ours here, and nowhere else.
"""
