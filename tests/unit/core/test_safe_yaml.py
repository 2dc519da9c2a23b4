"""The bounded YAML loader and the naming rules, below the CLI.

Covers: duplicate keys name the key and both lines (block, flow, nested; merge keys may be
overridden); an alias bomb, a recursive alias and deep nesting are refused fast, naming the
file; ordinary anchors still work; UTF-16/32, binary, non-UTF-8 and oversized files are refused
before parsing; multi-document streams load; durations refuse negative, NaN, infinite and huge
values; the name rules use whole-string matches (a trailing newline never passes).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bluegreen import names, safe_yaml
from bluegreen.durations import MAX_DURATION, parse_duration
from bluegreen.errors import PlaybookError


def _refusal(text: str) -> str:
    with pytest.raises(PlaybookError) as info:
        safe_yaml.load(text, "p.yaml")
    assert info.value.field == "p.yaml"
    return str(info.value)


@pytest.mark.parametrize(("text", "key", "lines"), [
    ("a: 1\nb: 2\na: 3\n", "'a'", "lines 1 and 3"),
    ("x:\n  y: 1\n  y: 2\n", "'y'", "lines 2 and 3"),
    ("{a: 1, a: 2}\n", "'a'", "lines 1 and 1"),
])
def test_duplicate_keys_name_the_key_and_both_lines(text: str, key: str, lines: str) -> None:
    message = _refusal(text)
    assert f"duplicate key {key}" in message and lines in message


def test_anchors_and_merge_keys_still_work() -> None:
    doc = safe_yaml.load("base: &b {q: 1, r: 2}\nuse:\n  <<: *b\n  q: 3\nagain: *b\n", "p.yaml")
    assert doc == {"base": {"q": 1, "r": 2}, "use": {"q": 3, "r": 2}, "again": {"q": 1, "r": 2}}


def test_an_alias_bomb_is_refused_before_it_expands() -> None:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 9):
        prev, name = chr(96 + i), chr(97 + i)
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    text = "\n".join(lines)
    assert len(text) < 2048
    started = time.process_time()
    assert "aliases counted in full" in _refusal(text)
    assert time.process_time() - started < 1.0


def test_recursive_alias_and_deep_nesting_are_refused() -> None:
    assert "contains it" in _refusal("a: &a [*a]\n")
    started = time.process_time()
    assert "nested more than" in _refusal("[" * 20_000 + "]" * 20_000)
    assert "nested more than" in _refusal("".join("  " * i + "k:\n" for i in range(300)))
    assert time.process_time() - started < 2.0


@pytest.mark.parametrize(("data", "says"), [
    (b"\xff\xfea\x00:\x00 \x001\x00", "UTF-16"),
    (b"\xfe\xff\x00a\x00:", "UTF-16"),
    ("a: 1".encode("utf-32"), "UTF-32"),
    (b"a: \x00\x01\x02", "binary"),
    ("a: café".encode("latin-1"), "not UTF-8"),
    (b"a: \x07", "not valid YAML"),
])
def test_files_that_are_not_utf8_text_are_refused_naming_the_file(tmp_path: Path, data: bytes, says: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_bytes(data)
    with pytest.raises(PlaybookError) as info:
        safe_yaml.load_file(path)
    assert info.value.field == str(path) and says in str(info.value)


def test_size_is_checked_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("a: " + "x" * 2000)
    with pytest.raises(PlaybookError, match="larger than 1 KiB"):
        safe_yaml.load_file(path, max_bytes=1024)


def test_multi_document_streams_load() -> None:
    assert safe_yaml.load_all("a: 1\n---\nb: 2\n", "m.yaml") == [{"a": 1}, {"b": 2}]


@pytest.mark.parametrize("value", [-1, -0.5, "-5m", math.nan, math.inf, "99999999999d", MAX_DURATION + 1, True,
                                   "15 minutes", [1]])
def test_durations_refuse_what_cannot_be_waited_for(value: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(value)


def test_durations_accept_the_documented_forms() -> None:
    assert [parse_duration(v) for v in (0, 90, "90s", "10m", "2h", "1d", "500ms", " 15m ")] == \
        [0, 90, 90, 600, 7200, 86400, 0.5, 900]


@pytest.mark.parametrize(("rule", "good", "bad"), [
    (names.namespace, ["shop", "a-1", "x" * 63], ["Bad_NS!", "x/../shop", "a/b", "shop\n", "-a", "x" * 64, ""]),
    (names.service, ["storefront", "a1"], ["1svc", "Store", "a_b", "shop\n"]),
    (names.aks_cluster, ["aks-shop_blue", "A1", "a" * 63], ["-a", "a_", "a/b", "a" * 64, "a\n", ""]),
    (names.resource_group, ["rg-shop", "rg.(x)_1", "r" * 90], ["rg.", "rg/x", "rg x", "r" * 91, "rg\n", ""]),
    (names.dns_zone, ["contoso.internal", "a.b.c"], ["internal", "a..b", "a.b.", "a/b.c"]),
    (names.record_set, ["@", "shop", "*.shop", "_dmarc", "a.b"], ["", "a/b", "-a", "shop\n", "a..b"]),
    (names.agent_pool, ["system", "pool1"], ["System", "1pool", "poolnumberthirteen"]),
    (names.host_name, ["green.contoso.com", "g.example."], ["10.0.0.1", "nodot", "a..b"]),
    (names.url_host, ["shop", "shop.contoso.internal", "127.0.0.1", "::1"], ["", "sh op", "a..b"]),
])
def test_name_rules(rule: Callable[[str], str | None], good: list[str], bad: list[str]) -> None:
    assert [v for v in good if rule(v)] == []
    assert [v for v in bad if not rule(v)] == []


# --- two loaders, one result ------------------------------------------------------------------------------
# libyaml loads what its event stream shows to be within every bound; BoundedLoader takes everything else.

_PLAIN = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, labels: {x: 'y'}}\ndata:\n  k: |\n    line\n"


def _both(text: str) -> tuple[object, object]:
    def everything(loader: object) -> list[object]:
        out = []
        while loader.check_data():  # type: ignore[attr-defined]
            out.append(loader.get_data())  # type: ignore[attr-defined]
        loader.dispose()  # type: ignore[attr-defined]
        return out

    return everything(safe_yaml.open_loader(text)), everything(safe_yaml.BoundedLoader(text))


def _yaml_files() -> list[Path]:
    root = Path(__file__).resolve().parents[3]
    found = [*root.glob("playbooks/**/*.yaml"), *root.glob("bluegreen/demo/**/*.yaml"), *root.glob("tests/data/**/*.yaml")]
    return sorted(found)


def test_every_yaml_file_of_the_repository_loads_the_same_through_either_loader() -> None:
    files = _yaml_files()
    assert len(files) > 20
    fast = 0
    for file in files:
        text = file.read_text()
        try:
            via_open, via_bounded = _both(text)
        except Exception:  # noqa: BLE001 - a fixture that is meant to be refused: both must refuse it
            with pytest.raises(PlaybookError):
                safe_yaml.load_all(text, str(file))
            continue
        assert via_open == via_bounded, file
        fast += safe_yaml._within_bounds(text)
    assert fast > len(files) // 2  # the fast path is the common one


@pytest.mark.parametrize(("text", "plain"), [
    (_PLAIN, True),
    ("a: &x {b: 1}\nc: 2\n", False),  # an anchor: aliases could follow
    ("a: &x 1\nb: *x\n", False),
    ("base: &b {x: 1}\nmore: {<<: *b, y: 2}\n", False),
    ("[" * 300 + "]" * 300, False),  # deeper than MAX_DEPTH
    ("a: [1, 2\n", False),  # libyaml refuses it: BoundedLoader words the refusal
    ("---\na: 1\n---\nb: 2\n", True),
])
def test_which_loader_a_document_gets(text: str, plain: bool) -> None:
    loader = safe_yaml.open_loader(text)
    try:
        assert isinstance(loader, safe_yaml.BoundedLoader) is not plain
    finally:
        loader.dispose()


def test_the_libyaml_path_still_refuses_a_repeated_key_naming_both_lines() -> None:
    text = "a: 1\nb:\n  c: 1\n  c: 2\n"
    assert safe_yaml._within_bounds(text)
    message = _refusal(text)
    assert "duplicate key 'c'" in message and "lines 3 and 4" in message


def test_too_many_values_go_to_the_bounded_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safe_yaml, "MAX_NODES", 10)
    assert not safe_yaml._within_bounds("[" + ", ".join(["1"] * 20) + "]")
    assert safe_yaml._within_bounds("[1, 2]")
