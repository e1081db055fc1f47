"""The MTA-STS policy fetch (RFC 8461 §3.3): HTTPS to ``mta-sts.DOMAIN``, certificate
verified for that name, no redirects followed, a size bound, and every failure named.

The host is resolved through the audit's own resolver (so ``--nameserver`` decides where the
connection goes, as it does for SMTP); the TLS server name and the Host header stay
``mta-sts.DOMAIN``, so the certificate is checked for the name a sender would check.
"""

from __future__ import annotations

import re
import ssl

from ..core.policy.mtasts import MAX_POLICY_BYTES
from ..core.policy.records import HttpsPolicy
from .lookups import PolicyResolver
from .tlsinfo import make_context

__all__ = ["fetch_policy"]

PATH = "/.well-known/mta-sts.txt"


def _cert_problem(exc: BaseException) -> str | None:
    """The verification message when ``exc`` was caused by a certificate failure."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return str(seen.verify_message or seen)
        if "CERTIFICATE_VERIFY_FAILED" in str(seen):  # OpenSSL's text, without its codes
            return re.sub(r"^\[SSL: [A-Z_]+\]\s*|\s*\(_ssl\.c:\d+\)$", "", str(seen))
        seen = seen.__cause__ or seen.__context__
    return None


async def _address(resolver: PolicyResolver, host: str) -> tuple[str | None, str]:
    for rdtype in ("A", "AAAA"):
        answer = await resolver.ask(host, rdtype)
        if answer.records:
            return answer.records[0], ""
        if answer.status in ("nxdomain", "error"):
            return None, answer.error or f"{host}: {answer.status}"
    return None, f"{host} has no A or AAAA record"


async def fetch_policy(resolver: PolicyResolver, domain: str, *, port: int, timeout: float,
                       ca_file: str | None) -> HttpsPolicy:
    """GET the policy; never raises for anything the network or the server does."""
    import httpx

    host = f"mta-sts.{domain}"
    url = f"https://{host}{'' if port == 443 else f':{port}'}{PATH}"
    address, why = await _address(resolver, host)
    if address is None:
        return HttpsPolicy(url, error="connect", error_detail=why)
    literal = f"[{address}]" if ":" in address else address
    try:
        async with httpx.AsyncClient(verify=make_context(ca_file), trust_env=False,
                                     follow_redirects=False, timeout=timeout) as client:
            request = client.build_request(
                "GET", f"https://{literal}:{port}{PATH}",
                headers={"Host": host if port == 443 else f"{host}:{port}",
                         "Accept": "text/plain"},
                extensions={"sni_hostname": host})
            response = await client.send(request, stream=True)
            try:
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_POLICY_BYTES:
                        return HttpsPolicy(url, response.status_code,
                                           response.headers.get("content-type"),
                                           error="too-large", error_detail=f"more than "
                                           f"{MAX_POLICY_BYTES} bytes")
            finally:
                await response.aclose()
    except httpx.TimeoutException:
        return HttpsPolicy(url, error="timeout",
                           error_detail=f"no answer within {timeout:g} s from {address}:{port}")
    except (httpx.HTTPError, OSError, ssl.SSLError) as exc:
        problem = _cert_problem(exc)
        if problem is not None:
            return HttpsPolicy(url, error="certificate", error_detail=problem)
        return HttpsPolicy(url, error="connect",
                           error_detail=f"{address}:{port}: {exc or type(exc).__name__}")
    status = response.status_code
    if 300 <= status < 400:
        return HttpsPolicy(url, status, response.headers.get("content-type"), error="redirect",
                           location=response.headers.get("location", "")[:200])
    return HttpsPolicy(url, status, response.headers.get("content-type"),
                       body.decode("utf-8", "replace"))
