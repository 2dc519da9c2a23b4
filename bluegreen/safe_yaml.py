"""Reading YAML that a user hands us (playbooks, manifests), bounded before anything validates it.

PyYAML's safe loader shares an aliased node instead of copying it, so a 2 KB
"billion laughs" document loads quickly and then explodes in whatever walks it
(validation, a digest, json). It also lets a repeated key silently win and
recurses once per nesting level. This loader refuses all three while it
composes: duplicate keys (naming the key and both lines), documents deeper
than `MAX_DEPTH`, and documents whose *expanded* size (every alias counted as
the nodes it stands for) passes `MAX_NODES`. Bytes are checked first: size,
UTF-16/32 and binary data are refused with a message instead of a decode
error. Every refusal is a `PlaybookError` naming the file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bluegreen.errors import PlaybookError

MAX_BYTES = 8 * 1024 * 1024  # a large CRD bundle is a few MB; a playbook a few KB
MAX_DEPTH = 200  # Kubernetes objects nest about 20 deep; PyYAML recurses per level
MAX_NODES = 2_000_000  # expanded (aliases counted in full): bounds what validation walks
MAX_ALIASES = 10_000

_BOMS = {
    b"\xff\xfe\x00\x00": "UTF-32", b"\x00\x00\xfe\xff": "UTF-32",
    b"\xff\xfe": "UTF-16", b"\xfe\xff": "UTF-16",
}


class _Refused(yaml.YAMLError):
    """A bound was passed; `mark` says where."""

    def __init__(self, message: str, mark: Any = None) -> None:
        super().__init__(message)
        self.problem = message  # the attributes of yaml.MarkedYAMLError, which callers read
        self.problem_mark = self.mark = mark
        self.context_mark = None

    def __str__(self) -> str:
        where = f" (line {self.mark.line + 1}, column {self.mark.column + 1})" if self.mark is not None else ""
        return self.problem + where


class _StrictKeys:
    """A repeated key is refused (naming it and both lines) instead of silently winning."""

    construct_object: Callable[..., Any]

    def construct_mapping(self, node: Node, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, MappingNode):
            seen: dict[Any, Node] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(key_node, ScalarNode):
                    continue  # merged keys may be overridden; complex keys the base class refuses
                key = self.construct_object(key_node)
                first = seen.setdefault(key, key_node)
                if first is not key_node:
                    raise _Refused(f"duplicate key {key!r} (lines {first.start_mark.line + 1} and "
                                   f"{key_node.start_mark.line + 1})")
        return super().construct_mapping(node, deep=deep)  # type: ignore[misc]


class BoundedLoader(_StrictKeys, yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys and bounds depth, aliases and expanded size while composing."""

    max_depth = MAX_DEPTH
    max_nodes = MAX_NODES
    max_aliases = MAX_ALIASES

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0
        self._weight: dict[int, int] = {}  # id(node) -> nodes it expands to; nodes live as long as the loader

    def fetch_flow_collection_start(self, token_class: Any) -> None:
        # The scanner runs ahead of the composer, and its cost grows with the square of the flow depth.
        if self.flow_level >= self.max_depth:
            raise _Refused(f"nested more than {self.max_depth} levels deep", self.get_mark())
        super().fetch_flow_collection_start(token_class)

    def compose_document(self) -> Any:
        node = super().compose_document()
        self._weight.clear()
        return node

    def compose_node(self, parent: Node | None, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            target = self.anchors.get(event.anchor)
            if target is not None:
                self._aliases += 1
                if self._aliases > self.max_aliases:
                    raise _Refused(f"more than {self.max_aliases} aliases", event.start_mark)
                if id(target) not in self._weight:
                    raise _Refused(f"alias *{event.anchor} refers to a node that contains it", event.start_mark)
            return super().compose_node(parent, index)
        start = self.peek_event().start_mark
        self._depth += 1
        if self._depth > self.max_depth:
            raise _Refused(f"nested more than {self.max_depth} levels deep", start)
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        weight = 1
        if isinstance(node, SequenceNode):
            weight += sum(self._weight[id(child)] for child in node.value)
        elif isinstance(node, MappingNode):
            weight += sum(self._weight[id(k)] + self._weight[id(v)] for k, v in node.value)
        if weight > self.max_nodes:
            raise _Refused(f"expands to more than {self.max_nodes} values (aliases counted in full)", start)
        self._weight[id(node)] = weight
        return node


if getattr(yaml, "__with_libyaml__", False):

    class _LibyamlLoader(_StrictKeys, yaml.CSafeLoader):
        """libyaml's parser and composer, for a document already seen to stay within every bound."""

else:  # pragma: no cover - PyYAML built without libyaml
    _LibyamlLoader = None  # type: ignore[assignment,misc]

_OPEN = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSE = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


def _within_bounds(text: str | bytes) -> bool:
    """Whether libyaml may load the text as it is: no anchor or alias (nothing to expand), nesting and size
    within the bounds. Read from libyaml's event stream, which recurses nowhere; anything else (an error
    included) goes to BoundedLoader, which refuses it with the precise reason."""
    depth = events = 0
    try:
        for event in yaml.parse(text, Loader=yaml.CSafeLoader):
            events += 1
            if isinstance(event, _OPEN):
                depth += 1
                if event.anchor is not None or depth > MAX_DEPTH:
                    return False
            elif isinstance(event, _CLOSE):
                depth -= 1
            elif isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
                return False
    except yaml.YAMLError:
        return False
    return events <= MAX_NODES


def open_loader(text: str | bytes) -> Any:
    """A loader for the text, strict about repeated keys and bounded: libyaml where the text was seen to stay
    within every bound (a kubeconfig, most manifests: several times faster), BoundedLoader otherwise."""
    if _LibyamlLoader is not None and _within_bounds(text):
        return _LibyamlLoader(text)
    return BoundedLoader(text)


def read_text(path: Path, *, max_bytes: int = MAX_BYTES, what: str = "file") -> str:
    """The file's text, refusing what is too big, binary, UTF-16/32 or not UTF-8; errors name the file."""
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise PlaybookError(f"cannot read {what}: {exc.strerror or exc}", field=str(path)) from exc
    return decode(data, str(path), max_bytes=max_bytes, what=what)


def decode(data: bytes, where: str, *, max_bytes: int = MAX_BYTES, what: str = "file") -> str:
    if len(data) > max_bytes:
        raise PlaybookError(f"the {what} is larger than {max_bytes // 1024} KiB", field=where)
    for bom, encoding in _BOMS.items():
        if data.startswith(bom):
            raise PlaybookError(f"the {what} is {encoding}; save it as UTF-8", field=where)
    if b"\x00" in data:
        raise PlaybookError(f"the {what} is binary (it holds NUL bytes), not YAML text", field=where)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PlaybookError(f"the {what} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})",
                            field=where) from None


def _parse(text: str, where: str, parse: Callable[[Any], Any]) -> Any:
    loader = None
    try:
        loader = open_loader(text)  # the reader refuses control characters here already
        return parse(loader)
    except yaml.YAMLError as exc:
        raise PlaybookError(f"not valid YAML: {exc}", field=where) from None
    except RecursionError:
        raise PlaybookError("not valid YAML: nested too deeply", field=where) from None
    finally:
        if loader is not None:
            loader.dispose()


def load(text: str, where: str) -> Any:
    """One YAML document, bounded; `where` (the file) is named in every error."""
    return _parse(text, where, lambda loader: loader.get_single_data())


def load_all(text: str, where: str) -> list[Any]:
    """Every document of a multi-document YAML stream, bounded as a whole."""

    def documents(loader: Any) -> list[Any]:
        out = []
        while loader.check_data():
            out.append(loader.get_data())
        return out

    return _parse(text, where, documents)


def load_file(path: Path, *, max_bytes: int = MAX_BYTES, what: str = "file") -> Any:
    return load(read_text(path, max_bytes=max_bytes, what=what), str(path))


def load_all_file(path: Path, *, max_bytes: int = MAX_BYTES, what: str = "file") -> list[Any]:
    return load_all(read_text(path, max_bytes=max_bytes, what=what), str(path))
