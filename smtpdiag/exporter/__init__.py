"""``smtpdiag exporter``: a Prometheus exporter in the blackbox_exporter multi-target pattern.

``GET /probe?target=mx.example.com:25&module=NAME`` runs one dry-run probe with the module's
options and answers with its metrics; ``/metrics`` is the exporter's own; ``/`` a short page.

    config.py   the TOML file: modules (probe options, expectations) and exporter settings
    allow.py    the target allow-list (host patterns, CIDRs): not an open SMTP-probing proxy
    metrics.py  a judged report as Prometheus metric families (names are a public interface)
    server.py   the aiohttp application: timeouts, bounded concurrency, secrets kept out

Everything here loads only for ``smtpdiag exporter``: prometheus-client and aiohttp are the
``smtpdiag[exporter]`` extra.
"""
