"""Ask one DNS resolver what a name resolves to, with dnspython (no cache, no system configuration).

Why: from inside the network, the resolver clients use is the truth about when
they start reaching green; Azure's API only says what the zone holds.
"""

from __future__ import annotations

import dns.exception
import dns.rdatatype
import dns.resolver


def ask(fqdn: str, record_type: str, resolver: str, port: int, *, timeout: float = 5.0) -> tuple[list[str], str | None]:
    """(the values the resolver answers, why there are none); A answers follow a CNAME chain as resolvers do."""
    r = dns.resolver.Resolver(configure=False)
    r.nameservers = [resolver]
    r.port = port
    r.lifetime = timeout
    r.cache = None
    try:
        answer = r.resolve(fqdn, dns.rdatatype.from_text(record_type), raise_on_no_answer=False, search=False)
    except dns.resolver.NXDOMAIN:
        return [], "NXDOMAIN"
    except (dns.exception.DNSException, OSError) as exc:
        return [], f"{type(exc).__name__}: {exc}"
    if answer.rrset is None:
        return [], "no answer"
    return sorted(r.to_text().rstrip(".") for r in answer.rrset), None
