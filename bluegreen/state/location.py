"""Where a remote run record lives: an account, a container and a prefix, with their rules.

Pure: no Azure SDK here, so the playbook can validate a `state:` block and
`--state URL` can be parsed without loading azure-storage-blob. A SAS token
or an account key in the URL is refused: they are secrets, and the URL is
shown in messages (credentials come from DefaultAzureCredential, or the
CLI's `AZURE_STORAGE_KEY`).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

# Azure Storage: container names are 3-63 lower-case letters, digits and single hyphens, starting with a
# letter or digit; account names are 3-24 lower-case letters and digits.
_CONTAINER = re.compile(r"[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}")
_ACCOUNT = re.compile(r"[a-z0-9]{3,24}")
_PREFIX_PART = re.compile(r"[A-Za-z0-9._-]{1,200}")
BLOB_SUFFIX = ".blob.core.windows.net"


def container_problem(value: str) -> str | None:
    if not _CONTAINER.fullmatch(value):
        return ("a blob container name is 3-63 lower-case letters, digits and single hyphens, starting and "
                "ending with a letter or digit")
    return None


def prefix_problem(value: str) -> str | None:
    if value == "":
        return None
    parts = value.split("/")
    if len(value) > 512 or not all(_PREFIX_PART.fullmatch(p) and p not in (".", "..") for p in parts):
        return ("a prefix is blob path segments separated by '/' (letters, digits, '.', '_', '-'; no empty, "
                "'.' or '..' segment, no leading or trailing '/'), at most 512 characters")
    return None


def _path_style(host: str) -> bool:
    """Whether the account is the URL's first path segment (an emulator on an address), not its host name."""
    if host == "localhost":
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def account_url_problem(value: str) -> str | None:
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        return f"not a URL ({exc})"
    del port
    if parts.query or parts.fragment or parts.username or parts.password:
        return "give the account URL without a SAS token, user or fragment: credentials never go in the playbook"
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "an account URL looks like https://ACCOUNT.blob.core.windows.net"
    if parts.scheme == "http" and not _path_style(parts.hostname):
        return "plain http is only for an emulator on an address (e.g. http://127.0.0.1:10000/devstoreaccount1)"
    path = parts.path.strip("/")
    if _path_style(parts.hostname):
        if not _ACCOUNT.fullmatch(path):
            return "an emulator's account URL ends with the account name, e.g. http://127.0.0.1:10000/devstoreaccount1"
    elif path:
        return "the account URL has no path: put the container and prefix in their own fields"
    return None


@dataclass(frozen=True)
class StateLocation:
    """A remote state home: blobs `<prefix>/<playbook>/journal.json` and `.../lock` in one container."""

    account_url: str
    container: str
    prefix: str = ""

    def blob_name(self, playbook: str, name: str) -> str:
        return "/".join(p for p in (self.prefix, playbook, name) if p)

    def describe(self, playbook: str, name: str) -> str:
        return f"{self.account_url.rstrip('/')}/{self.container}/{self.blob_name(playbook, name)}"

    @property
    def account_name(self) -> str:
        return account_name(self.account_url)


def account_name(account_url: str) -> str:
    """The storage account an account URL names (host-style, or an emulator's path-style)."""
    parts = urlsplit(account_url)
    host = parts.hostname or ""
    return parts.path.strip("/") if _path_style(host) else host.split(".", 1)[0]


def parse_state_url(url: str) -> StateLocation:
    """`azblob://ACCOUNT/CONTAINER[/PREFIX]`, `https://ACCOUNT.blob.core.windows.net/CONTAINER[/PREFIX]`, or an
    emulator's path-style `http://127.0.0.1:10000/ACCOUNT/CONTAINER[/PREFIX]`; raises ValueError saying why not."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a bad port raises here
    except ValueError as exc:
        raise ValueError(f"not a URL ({exc})") from None
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError("give the URL without a SAS token, user or fragment: credentials never go in the URL")
    segments = [s for s in parts.path.split("/")] if parts.path else []
    segments = segments[1:] if segments and segments[0] == "" else segments
    if parts.scheme == "azblob":
        account = parts.hostname or ""
        if not _ACCOUNT.fullmatch(account):
            raise ValueError(f"{account!r} is not a storage account name (3-24 lower-case letters and digits)")
        account_url = f"https://{account}{BLOB_SUFFIX}"
    elif parts.scheme in ("https", "http") and parts.hostname:
        base = f"{parts.scheme}://{parts.netloc}"
        if _path_style(parts.hostname):
            if not segments:
                raise ValueError("an emulator URL names the account first: http://127.0.0.1:10000/ACCOUNT/CONTAINER")
            base, segments = f"{base}/{segments[0]}", segments[1:]
        problem = account_url_problem(base)
        if problem:
            raise ValueError(problem)
        account_url = base
    else:
        raise ValueError("use azblob://ACCOUNT/CONTAINER[/PREFIX] or https://ACCOUNT.blob.core.windows.net/CONTAINER"
                         "[/PREFIX]")
    if not segments or not segments[0]:
        raise ValueError("the URL names no container: add /CONTAINER after the account")
    container, prefix = segments[0], "/".join(segments[1:]).strip("/")
    for problem in (container_problem(container), prefix_problem(prefix)):
        if problem:
            raise ValueError(problem)
    return StateLocation(account_url, container, prefix)
