"""Label and field selectors, parsed from query strings as the API server does."""

from __future__ import annotations

import re
from collections.abc import Callable

Predicate = Callable[[dict], bool]


class SelectorError(ValueError):
    """An unparsable selector; the server answers 400 BadRequest."""


def _split_top(text: str) -> list[str]:
    """Split on commas that are not inside parentheses (`a in (x,y),b`)."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p.strip() for p in parts if p.strip()]


_SET_RE = re.compile(r"^([A-Za-z0-9_./-]+)\s+(in|notin)\s+\((.*)\)$")
_OP_RE = re.compile(r"^([A-Za-z0-9_./-]+)\s*(==|!=|=)\s*([A-Za-z0-9_.-]*)$")
_KEY_RE = re.compile(r"^(!?)\s*([A-Za-z0-9_./-]+)$")


def _set_test(key: str, values: set[str], inside: bool) -> Predicate:
    def test(labels: dict) -> bool:
        return (labels.get(key) in values) == inside

    return test


def _eq_test(get: Callable[[dict], object], value: str, equal: bool) -> Predicate:
    def test(obj: dict) -> bool:
        return (get(obj) == value) == equal

    return test


def _label_getter(key: str) -> Callable[[dict], object]:
    def get(labels: dict) -> object:
        return labels.get(key)

    return get


def _exists_test(key: str, present: bool) -> Predicate:
    def test(labels: dict) -> bool:
        return (key in labels) == present

    return test


def parse_label_selector(text: str | None) -> Predicate:
    """`app=x,tier!=db,env in (a,b),!legacy,team` -> predicate over a labels dict."""
    if not text:
        return lambda labels: True
    tests: list[Predicate] = []
    for req in _split_top(text):
        if m := _SET_RE.match(req):
            key, op, values = m.group(1), m.group(2), {v.strip() for v in m.group(3).split(",") if v.strip()}
            tests.append(_set_test(key, values, op == "in"))
        elif m := _OP_RE.match(req):
            key, op, value = m.group(1), m.group(2), m.group(3)
            tests.append(_eq_test(_label_getter(key), value, op != "!="))
        elif m := _KEY_RE.match(req):
            neg, key = m.group(1) == "!", m.group(2)
            tests.append(_exists_test(key, not neg))
        else:
            raise SelectorError(f"unable to parse requirement: {req!r}")
    return lambda labels: all(t(labels) for t in tests)


def match_label_selector_object(selector: dict | None, labels: dict) -> bool:
    """A LabelSelector object (matchLabels + matchExpressions), as in Deployment.spec.selector."""
    if not selector:
        return False
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), set(expr.get("values") or [])
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


_FIELD_PATHS = {"metadata.name": ("metadata", "name"), "metadata.namespace": ("metadata", "namespace")}


def parse_field_selector(text: str | None) -> Predicate:
    """Field selectors the server supports for every kind: metadata.name and metadata.namespace."""
    if not text:
        return lambda obj: True
    tests: list[Predicate] = []
    for req in _split_top(text):
        m = _OP_RE.match(req)
        if not m or m.group(1) not in _FIELD_PATHS:
            raise SelectorError(f"field label not supported: {req.split('=')[0].rstrip('!')}")
        path, op, value = _FIELD_PATHS[m.group(1)], m.group(2), m.group(3)

        def get(obj: dict, p: tuple[str, str] = path) -> str:
            return str((obj.get(p[0]) or {}).get(p[1]) or "")

        tests.append(_eq_test(get, value, op != "!="))
    return lambda obj: all(t(obj) for t in tests)
