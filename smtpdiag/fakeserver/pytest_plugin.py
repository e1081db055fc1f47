"""The pytest plugin ``pip install smtpdiag`` registers (entry point ``pytest11``: ``smtpdiag``).

It gives a test the embedded fake server, so a developer tests their own mail code against a
greylisting server, a 421 greeting, TLS required, a full mailbox… and then asserts on what the
server received::

    @pytest.mark.smtp_server("greylist", tls="starttls")
    def test_my_mailer_retries_later(smtp_server):
        ...  # connect to smtp_server.host, smtp_server.port; trust smtp_server.ca_file
        assert smtp_server.commands[-1] == "QUIT"

The scenario comes from the ``smtp_server`` marker (scenario, ``tls=``), or from indirect
parametrization (``@pytest.mark.parametrize("smtp_server", ["healthy", "greylist"],
indirect=True)``; a dict gives ``tls`` too); the default is ``healthy`` without TLS.
``smtp_server_factory`` starts more than one.

Loading this module costs pytest nothing it does not already have: the fake server, aiosmtpd
and the certificate machinery are imported only when a test asks for the fixture, so test suites
that never use it (this project's own included) are not slowed down.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from .scenarios import DEMO_PASSWORD, DEMO_USER, SCENARIOS

if TYPE_CHECKING:
    import ssl
    from email.message import EmailMessage

    from .recorded import Envelope
    from .server import FakeServer

__all__ = ["SmtpTestServer", "smtp_server", "smtp_server_factory"]

TLS_CHOICES = ("none", "starttls", "implicit")
MARKER = (
    "smtp_server(scenario='healthy', *, tls='none'): the fake SMTP server the smtp_server "
    f"fixture starts; tls is one of {', '.join(TLS_CHOICES)}; scenarios: {', '.join(SCENARIOS)}"
)


class SmtpTestServer:
    """A running fake server as a test sees it: where it listens and what it received."""

    user = DEMO_USER
    password = DEMO_PASSWORD

    def __init__(self, server: FakeServer) -> None:
        self._server = server

    @property
    def scenario(self) -> str:
        return self._server.scenario

    @property
    def tls(self) -> str:
        """none, starttls (offered after EHLO) or implicit (TLS from the first byte)."""
        return self._server.tls

    @property
    def host(self) -> str:
        return self._server.host

    @property
    def port(self) -> int:
        return self._server.port

    @property
    def ca_file(self) -> str | None:
        """The PEM file of the throw-away CA that signed the server's certificate (None: no TLS).

        The certificate names ``localhost``, ``127.0.0.1`` and ``::1``.
        """
        return self._server.certs.ca_file if self._server.certs is not None else None

    def client_context(self) -> ssl.SSLContext:
        """A client-side TLS context that trusts this server's certificate (and only its CA)."""
        if self.ca_file is None:
            raise ValueError(f"the {self.scenario} server was started with tls='none'")
        import ssl

        return ssl.create_default_context(cafile=self.ca_file)

    @property
    def commands(self) -> list[str]:
        """Every command line received, in order (AUTH secrets shown as ``<redacted>``)."""
        return list(self._server.recorded.commands)

    @property
    def envelopes(self) -> list[Envelope]:
        """Every message that reached the end of DATA: sender, recipients, content, reply."""
        return list(self._server.recorded.envelopes)

    @property
    def envelope(self) -> Envelope | None:
        """The last message's envelope, or None when no message got through DATA."""
        envelopes = self._server.recorded.envelopes
        return envelopes[-1] if envelopes else None

    @property
    def messages(self) -> list[EmailMessage]:
        """Every received message, parsed (``email.policy.default``, CRLF read as LF)."""
        return [_parse(envelope.content) for envelope in self.envelopes]

    @property
    def message(self) -> EmailMessage | None:
        """The last received message, parsed; None when none arrived."""
        envelope = self.envelope
        return _parse(envelope.content) if envelope is not None else None

    @property
    def tls_sessions(self) -> int:
        """How many TLS sessions were established (STARTTLS or implicit)."""
        return self._server.recorded.tls_sessions

    def __repr__(self) -> str:
        return f"<SmtpTestServer {self.scenario} {self.tls} on {self.host}:{self.port}>"


def _parse(content: bytes) -> EmailMessage:
    from email import message_from_bytes, policy
    from email.message import EmailMessage

    # Line ends as Python code writes them (LF); ``Envelope.content`` keeps the wire's CRLF.
    message = message_from_bytes(content.replace(b"\r\n", b"\n"), policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def _settings(args: tuple[Any, ...], kwargs: dict[str, Any], where: str) -> tuple[str, str]:
    """(scenario, tls) from a marker's or a parameter's arguments; a clear failure otherwise."""
    unknown = set(kwargs) - {"scenario", "tls"}
    if len(args) > 1 or unknown or (args and "scenario" in kwargs):
        pytest.fail(f"{where}: expected (scenario, tls=...), got args={args!r} "
                    f"kwargs={sorted(kwargs)!r}", pytrace=False)
    scenario = args[0] if args else kwargs.get("scenario", "healthy")
    tls = kwargs.get("tls", "none")
    if scenario not in SCENARIOS:
        pytest.fail(f"{where}: unknown scenario {scenario!r}; known: {', '.join(SCENARIOS)}",
                    pytrace=False)
    if tls not in TLS_CHOICES:
        pytest.fail(f"{where}: tls must be one of {', '.join(TLS_CHOICES)}, not {tls!r}",
                    pytrace=False)
    return scenario, tls


@pytest.fixture
def smtp_server_factory() -> Iterator[Callable[..., SmtpTestServer]]:
    """Start fake servers on demand: ``smtp_server_factory("greylist", tls="starttls")``.

    Each listens on 127.0.0.1 on a port of its own; all are stopped when the test ends.
    """
    from .server import FakeServer

    started: list[FakeServer] = []

    def start(*args: Any, **kwargs: Any) -> SmtpTestServer:
        scenario, tls = _settings(args, kwargs, "smtp_server_factory")
        server = FakeServer(scenario, host="127.0.0.1", tls=tls)  # type: ignore[arg-type]
        server.start()
        started.append(server)
        return SmtpTestServer(server)

    try:
        yield start
    finally:
        for server in started:
            server.stop()


@pytest.fixture
def smtp_server(request: pytest.FixtureRequest,
                smtp_server_factory: Callable[..., SmtpTestServer]) -> SmtpTestServer:
    """A fake SMTP server for this test, chosen by marker or parameter (default: healthy)."""
    marker = request.node.get_closest_marker("smtp_server")
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = {}
    if marker is not None:
        args, kwargs = tuple(marker.args), dict(marker.kwargs)
    param = getattr(request, "param", None)
    if isinstance(param, str):
        args, kwargs = (param,), {k: v for k, v in kwargs.items() if k != "scenario"}
    elif isinstance(param, dict):
        kwargs = {**kwargs, **param}
        if "scenario" in param:
            args = ()
    elif param is not None:
        pytest.fail(f"smtp_server parameter: expected a scenario name or a dict, not {param!r}",
                    pytrace=False)
    return smtp_server_factory(*args, **kwargs)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER)
