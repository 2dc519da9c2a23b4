"""The naming rules Azure and Kubernetes enforce, checked before anything is sent to them.

A name that Azure or a cluster would reject (or, worse, read as a path: `x/../shop`)
must fail `validate`, not a request half way through a cutover. Each check returns
None when the name is fine, or a message saying what the rule is. Patterns use
`fullmatch`, so a trailing newline never slips past a `$`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable

# Kubernetes: RFC 1123 label (namespaces), RFC 1035 label (Service names), RFC 1123 subdomain (most objects).
_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
# AKS managed cluster: 1-63 letters, digits, '-' and '_', starting and ending with a letter or digit.
_AKS_CLUSTER = re.compile(r"[A-Za-z0-9]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?")
# AKS dnsPrefix: 1-54 letters, digits and '-', starting and ending with a letter or digit.
_DNS_PREFIX = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,52}[A-Za-z0-9])?")
# Resource group: 1-90 letters, digits, '_', '-', '.', '(' and ')', not ending in '.'.
_RESOURCE_GROUP = re.compile(r"[\w().-]{0,89}[\w()-]", re.ASCII)
# AKS agent pool (Linux): 1-12 lower-case letters and digits, starting with a letter.
_AGENT_POOL = re.compile(r"[a-z][a-z0-9]{0,11}")
# One DNS label in Azure DNS: letters, digits, '-' and '_' (underscores for SRV/TXT-style names), 1-63.
_DNS_LABEL = re.compile(r"[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?")
_GUID = re.compile(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
# The playbook's own name: it names a directory (the journal), so no path characters.
_PLAYBOOK = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,62}")
_TAG_FORBIDDEN = set("<>%&\\?/")


def namespace(value: str) -> str | None:
    if len(value) > 63 or not _DNS1123_LABEL.fullmatch(value):
        return "a Kubernetes namespace is 1-63 lower-case letters, digits and '-', starting and ending " \
               "with a letter or digit"
    return None


def service(value: str) -> str | None:
    if len(value) > 63 or not _DNS1035_LABEL.fullmatch(value):
        return "a Kubernetes Service name is 1-63 lower-case letters, digits and '-', starting with a letter " \
               "and ending with a letter or digit"
    return None


def aks_cluster(value: str) -> str | None:
    if not _AKS_CLUSTER.fullmatch(value):
        return "an AKS cluster name is 1-63 letters, digits, '-' and '_', starting and ending with a letter or digit"
    return None


def dns_prefix(value: str) -> str | None:
    if not _DNS_PREFIX.fullmatch(value):
        return "an AKS DNS prefix is 1-54 letters, digits and '-', starting and ending with a letter or digit"
    return None


def resource_group(value: str) -> str | None:
    if not _RESOURCE_GROUP.fullmatch(value):
        return "a resource group name is 1-90 letters, digits, '_', '-', '.', '(' and ')', not ending in '.'"
    return None


def agent_pool(value: str) -> str | None:
    if not _AGENT_POOL.fullmatch(value):
        return "an agent pool name is 1-12 lower-case letters and digits, starting with a letter"
    return None


def playbook_name(value: str) -> str | None:
    if not _PLAYBOOK.fullmatch(value):
        return "use letters, digits, '-' and '_' (max 63), starting with a letter or digit"
    return None


def subscription_id(value: str) -> str | None:
    if not _GUID.fullmatch(value):
        return "a subscription id is a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)"
    return None


def dns_zone(value: str) -> str | None:
    """An Azure DNS zone: at least two labels, each 1-63 characters, at most 253 in all, no trailing dot."""
    labels = value.split(".")
    if len(value) > 253 or len(labels) < 2 or not all(_DNS_LABEL.fullmatch(label) for label in labels):
        return "a DNS zone name is two or more dot-separated labels (letters, digits, '-', '_'; 1-63 each), " \
               "at most 253 characters, e.g. contoso.internal"
    return None


def record_set(value: str) -> str | None:
    """A record set name relative to its zone: '@' (the apex), or labels, the first of which may be '*'."""
    if value == "@":
        return None
    labels = value.split(".")
    if labels[0] == "*":
        labels = labels[1:] or ["x"]
    if len(value) > 253 or not all(_DNS_LABEL.fullmatch(label) for label in labels):
        return "a record name is '@' or dot-separated labels relative to the zone (letters, digits, '-', '_'; " \
               "1-63 each; the first may be '*')"
    return None


def host_name(value: str) -> str | None:
    """A fully qualified host name, as a CNAME target holds (a trailing dot allowed)."""
    name = value[:-1] if value.endswith(".") else value
    labels = name.split(".")
    if len(name) > 253 or len(labels) < 2 or not all(_DNS_LABEL.fullmatch(label) for label in labels) \
            or labels[-1].isdigit():  # an IP address is no host name: a CNAME cannot point at one
        return "expected a host name such as app.contoso.com"
    return None


def url_host(value: str) -> str | None:
    """The host of a URL: an IP address or dot-separated labels (one label, as `localhost`, is fine)."""
    try:
        ipaddress.ip_address(value)
        return None
    except ValueError:
        pass
    labels = value[:-1].split(".") if value.endswith(".") else value.split(".")
    if not value or len(value) > 253 or not all(_DNS_LABEL.fullmatch(label) for label in labels):
        return f"{value!r} is not a host name or an IP address"
    return None


def ipv4(value: str) -> str | None:
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        return "expected an IPv4 address such as 10.0.0.4"
    return None


def tag(key: str, value: str) -> str | None:
    """An Azure tag: name 1-512 characters without <>%&\\?/, value at most 256."""
    if not key or len(key) > 512 or _TAG_FORBIDDEN & set(key):
        return "an Azure tag name is 1-512 characters without < > % & \\ ? /"
    if len(value) > 256:
        return "an Azure tag value is at most 256 characters"
    return None


def each(rule: Callable[[str], str | None], values: list[str]) -> list[str]:
    """`values` when `rule` finds nothing wrong with any; else a validation error at the bad item's index, so
    the message names e.g. `workloads.namespaces[1]`."""
    from pydantic_core import PydanticCustomError

    for i, value in enumerate(values):
        problem = rule(value)
        if problem:
            raise PydanticCustomError("at_key", "{why}", {"key": i, "why": f"{value!r}: {problem}"})
    return values
