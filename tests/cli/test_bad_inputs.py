"""The bad-input corpus (issue 7, acceptance 2): every case is refused up front, the same way.

Covers, for each case of `tests/data/bad_inputs/cases.yaml` (playbook fields, whole files,
saved plans, command-line arguments, and values only preflight can check): exit 2; the field,
argument or file named; no traceback; `validate -o json` answers JSON; the simulated world saw
no mutating request; the state directory is untouched (a case only preflight can find may
leave the lock file, which holds no run state: the lock is taken before anything is read).
All cases share one simulated world, so one case that changed it would fail the cases after it too.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from bluegreen_cli.app import app
from typer.testing import CliRunner

from bluegreen.plan import PLAN_FORMAT, seal
from tests.scenarios.conftest import DEMO

CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).resolve().parents[1] / "data" / "bad_inputs" / "cases.yaml").read_text())
GOOD: dict[str, Any] = yaml.safe_load((DEMO / "playbook.yaml").read_text())
DEMO_TEXT = (DEMO / "playbook.yaml").read_text()


def _nested_block(levels: int) -> str:
    return "".join("  " * i + f"k{i}:\n" for i in range(levels)) + "  " * levels + "v\n"


def _alias_bomb() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        prev, name = chr(96 + i), chr(97 + i)
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "name: shop\ngreen:\n  tags: {}\n" + "\n".join(lines) + "\n"


MAKERS: dict[str, Any] = {
    "alias_bomb": lambda: _alias_bomb().encode(),
    "recursive_alias": lambda: b"name: &a [*a]\n",
    "nested_flow": lambda: b"name: " + b"[" * 20_000 + b"]" * 20_000 + b"\n",
    "nested_block": lambda: _nested_block(300).encode(),
    "utf16_le": lambda: b"\xff\xfe" + DEMO_TEXT.encode("utf-16-le"),
    "utf16_be": lambda: b"\xfe\xff" + DEMO_TEXT.encode("utf-16-be"),
    "utf32": lambda: DEMO_TEXT.encode("utf-32"),
    "binary": lambda: bytes(range(256)) * 4,
    "latin1": lambda: DEMO_TEXT.replace("shop-1-31", "café").encode("latin-1"),
    "too_large": lambda: (DEMO_TEXT + "# " + "x" * (1024 * 1024 + 10) + "\n").encode(),
    "control_character": lambda: DEMO_TEXT.replace("name: shop-1-31", "name: shop\x07").encode(),
    "nested_json": lambda: b"[" * 100_000 + b"]" * 100_000,
    "utf16_json": lambda: '{"format": 1}'.encode("utf-16"),
    # Sealed, so it passes the digest check and reaches the shape check (an unsealed one is refused as edited).
    "plan_steps_string": lambda: json.dumps(seal({"format": PLAN_FORMAT, "playbook": "shop-1-31",
                                                  "playbook_digest": "x", "created_at": "x", "steps": "abc",
                                                  "fingerprint": {}})).encode(),
}


def _set(doc: dict[str, Any], path: str, value: Any) -> None:
    """Set `a.b[1].c` in `doc`, creating mappings on the way."""
    parts: list[str | int] = []
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", path):
        parts.append(int(index) if index else name)
    node: Any = doc
    for part in parts[:-1]:
        node = node[part] if isinstance(part, int) else node.setdefault(part, {})
    node[parts[-1]] = value


def _delete(doc: dict[str, Any], path: str) -> None:
    *parents, last = path.split(".")
    node = doc
    for part in parents:
        node = node[part]
    del node[last]


def _mutated(case: dict[str, Any], key: str = "set") -> bytes:
    doc = copy.deepcopy(GOOD)
    for path, value in (case.get(key) or {}).items():
        _set(doc, path, value)
    for path in case.get("delete") or []:
        _delete(doc, path)
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True).encode()


@dataclass
class Corpus:
    root: Path
    world: Path
    state: Path

    def cli(self, *args: str) -> Any:
        return CliRunner().invoke(app, list(args), catch_exceptions=False)

    def mutations(self) -> int:
        result = self.cli("sim", "show", str(self.world), "--output", "json")
        assert result.exit_code == 0, result.output
        return int(json.loads(result.stdout)["mutations"]["total"])


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Corpus]:
    root = tmp_path_factory.mktemp("bad-inputs")
    shutil.copy(DEMO / "playbook.yaml", root / "playbook.yaml")
    shutil.copytree(DEMO / "manifests", root / "manifests")
    (root / "tmp").mkdir()
    corpus = Corpus(root, root / "world", root / "state")
    result = corpus.cli("sim", "init", str(corpus.world), "--playbook", str(root / "playbook.yaml"))
    assert result.exit_code == 0, result.output
    yield corpus


def _tree(directory: Path) -> dict[str, bytes | None]:
    """Every path under `directory` with its content (None for folders)."""
    if not directory.exists():
        return {}
    return {str(p.relative_to(directory)): (p.read_bytes() if p.is_file() else None)
            for p in sorted(directory.rglob("*"))}


def _stamp(directory: Path) -> list[tuple[str, int, int]]:
    return [(str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(directory.rglob("*")) if p.is_file()]


def _write(corpus: Corpus, case: dict[str, Any], name: str, content: bytes | None, make: str | None) -> Path:
    path = corpus.root / name
    if make == "folder":
        path.mkdir(exist_ok=True)
    elif make == "missing":
        path = corpus.root / f"missing-{name}"
    else:
        path.write_bytes(content if content is not None else MAKERS[str(make)]())
    return path


def _commands(corpus: Corpus, case: dict[str, Any]) -> tuple[list[tuple[list[str], int]], str | None]:
    """The command lines to run for a case with the exit code each must end in, and the file it is about."""
    world, state = ["--simulate", str(corpus.world)], ["--state-dir", str(corpus.state)]
    if "args" in case:
        if "file_set" in case:
            file = _write(corpus, case, f"{case['id']}.yaml", _mutated(case, "file_set"), None)
        elif "file_make" in case:
            file = _write(corpus, case, f"{case['id']}.yaml", None, case["file_make"])
        else:
            file = _write(corpus, case, f"{case['id']}.txt", b"a file, not a folder\n", None)
        args = [str(a).replace("PLAYBOOK", str(corpus.root / "playbook.yaml")).replace("WORLD", str(corpus.world))
                .replace("TMP", str(corpus.root / "tmp")).replace("FILE", str(file)).replace("STATE", str(corpus.state))
                for a in case["args"]]
        return [(args, 2)], file.name
    if "plan_text" in case or "plan_make" in case:
        text = case["plan_text"].encode() if "plan_text" in case else None
        plan = _write(corpus, case, f"{case['id']}.json", text, case.get("plan_make"))
        good = str(corpus.root / "playbook.yaml")
        return [([*world, *state, "run", good, "--plan", str(plan), "--yes"], 2)], plan.name
    if "text" in case:
        playbook = _write(corpus, case, f"{case['id']}.yaml", case["text"].encode(), None)
    elif "make" in case:
        playbook = _write(corpus, case, f"{case['id']}.yaml", None, case["make"])
    else:
        playbook = _write(corpus, case, f"{case['id']}.yaml", _mutated(case), None)
    return [
        (["validate", str(playbook), "--output", "json"], 0 if case.get("preflight") else 2),
        ([*world, *state, "plan", str(playbook)], 2),
        ([*world, *state, "run", str(playbook), "--yes"], 2),
    ], playbook.name


def test_the_corpus_is_large_and_spread() -> None:
    assert len(CASES) >= 120
    assert len({c["id"] for c in CASES}) == len(CASES)
    kinds = {k for c in CASES for k in ("set", "text", "make", "plan_text", "plan_make", "args", "preflight")
             if k in c}
    assert kinds == {"set", "text", "make", "plan_text", "plan_make", "args", "preflight"}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_bad_input_is_refused_up_front(corpus: Corpus, case: dict[str, Any]) -> None:
    commands, file = _commands(corpus, case)
    names = case["names"] if isinstance(case["names"], list) else [case["names"]]
    names = [file if n == "FILE" else n for n in names]
    state_before, world_before = _tree(corpus.state), _stamp(corpus.world)
    mutations_before = corpus.mutations() if case.get("preflight") else None
    for args, code in commands:
        result = corpus.cli(*args)
        shown = f"{args}\n{result.output}"
        assert result.exit_code == code, shown
        assert "Traceback" not in result.output, shown
        if args[0] == "validate":
            report = json.loads(result.stdout)  # JSON whatever went wrong
            assert report["valid"] is (code == 0), shown
            if code == 0:
                continue
        for name in names:
            assert name in result.output, (name, shown)
        # Said once: the field is not repeated in front of itself.
        assert "failed: preflight failed" not in result.output and " None" not in result.output, shown
    state_after = _tree(corpus.state)
    if case.get("preflight"):  # the lock is taken (and its file left) before preflight reads anything
        state_before, state_after = (
            {p: c for p, c in tree.items() if not (p == "shop-1-31" or p.endswith("/lock"))}
            for tree in (state_before, state_after))
    assert state_after == state_before
    if _stamp(corpus.world) != world_before or mutations_before is not None:
        # The world was opened (to plan against it): it answered reads only.
        assert corpus.mutations() == (mutations_before if mutations_before is not None else 0)
    assert sorted(p.name for p in (corpus.root / "tmp").iterdir()) == []  # no world seeded, no plan saved
