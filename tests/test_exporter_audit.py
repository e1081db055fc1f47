"""Modules with ``audit = true``: /probe of a mail domain also audits it, through a real DNS
server and real fake MX hosts on loopback (tests/auditkit.py)."""

from __future__ import annotations

import pytest

from tests.auditkit import World
from tests.exporterproc import ExporterProcess, samples


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    w = World(str(tmp_path_factory.mktemp("audit")))
    try:
        w.smtp("127.0.0.2", "mx1.good.test")
        w.mx("good.test", (10, "mx1.good.test", "127.0.0.2"))
        w.sts("good.test", "127.0.0.30", "mx1.good.test")
        w.sender_policies("good.test")
        w.smtp("127.0.0.12", "rcpt.refuse.test", scenario="unknown-user")
        w.mx("refuse.test", (10, "rcpt.refuse.test", "127.0.0.12"))
        # an MX target that is an alias (CNAME) of a host whose certificate names both
        w.smtp("127.0.0.3", "mx.alias.test", cert_names=("mx.alias.test", "mail.alias.test"))
        w.add("alias.test", "MX", "10 mail.alias.test.")
        w.add("mail.alias.test", "CNAME", "mx.alias.test.")
        w.add("mx.alias.test", "A", "127.0.0.3")
        w.start_dns()
        yield w
    finally:
        w.close()


@pytest.fixture(scope="module")
def exporter(world, tmp_path_factory):
    dns = world.start_dns()
    config = f"""
[exporter]
allow = ["good.test", "refuse.test", "alias.test", "127.0.0.2"]
[modules.audited]
audit = true
audit_https_port = {world.https_port}
nameserver = "{dns.host}:{dns.port}"
port = {world.port}
ca_file = "{world.ca_file}"
helo = "client.test"
timeout = 20
"""
    with ExporterProcess(tmp_path_factory.mktemp("exporter"), config) as running:
        yield running


def get(exporter, target):
    status, _, body = exporter.get(f"/probe?target={target}&module=audited")
    assert status == 200, body
    return samples(body)


def test_a_clean_domain_audits_as_pass(exporter, world):
    found = get(exporter, "good.test")
    assert found["smtpdiag_probe_success"] == 1
    assert found["smtpdiag_audit_complete"] == 1
    assert found['smtpdiag_audit_verdict_info{area="",verdict="pass"}'] == 1
    assert found['smtpdiag_audit_verdict_info{area="mx",verdict="pass"}'] == 1
    bad = [k for k, v in found.items() if k.startswith("smtpdiag_audit_findings") and v
           and 'severity="info"' not in k]
    assert bad == []
    assert found['smtpdiag_audit_findings{area="smtp",severity="critical"}'] == 0


def test_audit_findings_come_with_their_catalogue_ids(exporter, world):
    found = get(exporter, "refuse.test")
    assert found["smtpdiag_probe_success"] == 0
    assert found["smtpdiag_audit_complete"] == 1
    finding = [k for k in found if k.startswith("smtpdiag_audit_finding_info")
               and 'id="addr.postmaster-refused"' in k]
    assert len(finding) == 1 and 'area="' in finding[0] and 'severity="' in finding[0]
    assert not any(k.startswith('smtpdiag_audit_verdict_info{area="",verdict="pass"')
                   for k in found)


def test_a_host_port_target_is_probed_without_an_audit(exporter, world):
    found = get(exporter, f"127.0.0.2:{world.port}")
    assert found['smtpdiag_step_reply_code{step="greeting"}'] == 220  # probed
    assert not any(k.startswith("smtpdiag_audit") for k in found)


def test_a_finding_about_the_mx_set_is_a_warning_state_and_counted(exporter, world):
    found = get(exporter, "alias.test")
    assert found['smtpdiag_probe_state{state="WARNING"}'] == 1
    assert found['smtpdiag_findings{severity="warning"}'] == 1  # the MX set's, as check says
    finding = [k for k in found if k.startswith("smtpdiag_audit_finding_info")
               and 'id="mx.cname"' in k]
    assert len(finding) == 1
