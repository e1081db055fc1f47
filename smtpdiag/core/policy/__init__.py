"""Policy evaluation for ``audit``: pure judgements over DNS records, HTTPS policies and probe
results that the I/O edge (``smtpdiag.net.audit``) already fetched.

Each module reads one area and returns ``Hit`` values (a catalogue id, a subject and the facts
seen); ``findings.describe`` turns them into ``AuditFinding`` records with the catalogue's texts.
Nothing here opens a socket, so every rule is tested with plain data.
"""
