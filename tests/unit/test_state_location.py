"""Where remote state lives: `--state URL` forms and the playbook's `state:` block.

Aspects: the three URL forms (azblob://, the https account URL, an emulator's path-style URL), what is
refused and why (SAS tokens, bad names, no container), blob names under the prefix, the account name.
"""

from __future__ import annotations

import pytest

from bluegreen.state.location import StateLocation, account_name, parse_state_url


@pytest.mark.parametrize(("url", "expected"), [
    ("azblob://acct1/runs", StateLocation("https://acct1.blob.core.windows.net", "runs", "")),
    ("azblob://acct1/runs/team/prod/", StateLocation("https://acct1.blob.core.windows.net", "runs", "team/prod")),
    ("https://acct1.blob.core.windows.net/runs/p", StateLocation("https://acct1.blob.core.windows.net", "runs", "p")),
    ("http://127.0.0.1:10000/devstoreaccount1/runs/x",
     StateLocation("http://127.0.0.1:10000/devstoreaccount1", "runs", "x")),
    ("http://localhost:10000/devstoreaccount1/runs", StateLocation("http://localhost:10000/devstoreaccount1", "runs", "")),
])
def test_state_urls(url: str, expected: StateLocation) -> None:
    assert parse_state_url(url) == expected


@pytest.mark.parametrize(("url", "why"), [
    ("https://acct1.blob.core.windows.net/runs?sv=1&sig=secret", "SAS"),
    ("https://user:pw@acct1.blob.core.windows.net/runs", "SAS token, user"),
    ("azblob://acct1", "no container"),
    ("azblob://a/runs", "storage account name"),
    ("azblob://acct1/Runs", "container name"),
    ("azblob://acct1/runs/a//b", "prefix"),
    ("azblob://acct1/runs/../b", "prefix"),
    ("http://acct1.blob.core.windows.net/runs", "plain http"),
    ("s3://bucket/runs", "azblob://"),
    ("http://127.0.0.1:10000/", "account"),
    ("http://127.0.0.1:10000/devstoreaccount1", "no container"),
])
def test_refused_state_urls(url: str, why: str) -> None:
    with pytest.raises(ValueError, match=why) as refused:
        parse_state_url(url)
    assert "secret" not in str(refused.value) and "pw" not in str(refused.value)


def test_blob_names_and_account() -> None:
    location = parse_state_url("azblob://acct1/runs/team")
    assert location.blob_name("shop", "journal.json") == "team/shop/journal.json"
    assert StateLocation("https://acct1.blob.core.windows.net", "runs").blob_name("shop", "lock") == "shop/lock"
    assert location.describe("shop", "lock") == "https://acct1.blob.core.windows.net/runs/team/shop/lock"
    assert location.account_name == "acct1"
    assert account_name("http://127.0.0.1:10000/devstoreaccount1") == "devstoreaccount1"


def test_playbook_state_block(tmp_path) -> None:
    import yaml

    from bluegreen.playbook import load_playbook
    from tests.scenarios.conftest import DEMO

    raw = yaml.safe_load((DEMO / "playbook.yaml").read_text())
    raw["state"] = {"backend": "azure_blob", "account_url": "https://acct1.blob.core.windows.net",
                    "container": "runs", "prefix": "prod"}
    (tmp_path / "manifests").mkdir()
    path = tmp_path / "playbook.yaml"
    path.write_text(yaml.safe_dump(raw))
    state = load_playbook(path).playbook.state
    assert state is not None
    assert state.location() == StateLocation("https://acct1.blob.core.windows.net", "runs", "prod")
