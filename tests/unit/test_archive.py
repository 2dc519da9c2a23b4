"""The decommission archive: layout, modes, round-trip, secrecy, refusal to overwrite."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import stat
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from bg_shared import DATA

from bluegreen.archive import ArchiveError, ArchiveExistsError, ArchiveInfo, read_archive, write_archive
from bluegreen.errors import RefusedError
from bluegreen.sim.clock import SimClock

MANIFESTS = DATA / "manifests"  # the project's own; tests/conformance archives ../shared's corpus
SEEDED_SECRET = "hunter2-do-not-leak-3f9a"


def manifest(name: str, namespace: str | None, folder: Path = MANIFESTS) -> list[dict[str, Any]]:
    """Objects from a manifest file, placed in `namespace` the way the API server would return them."""
    docs = [d for d in yaml.safe_load_all((folder / name).read_text()) if d]
    for doc in docs:
        if namespace and doc["kind"] not in ("StorageClass", "Namespace", "ClusterRole"):
            doc.setdefault("metadata", {})["namespace"] = namespace
    return docs


def secret(namespace: str = "store") -> dict[str, Any]:
    return {
        "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
        "metadata": {"name": "db-credentials", "namespace": namespace},
        "stringData": {"password": SEEDED_SECRET},
        "data": {"token": "aHVudGVyMi1kby1ub3QtbGVhay0zZjlh"},
    }


@pytest.fixture
def clock() -> SimClock:
    return SimClock(datetime(2026, 3, 14, 9, 26, 53, tzinfo=timezone.utc))


@pytest.fixture
def objects() -> list[dict[str, Any]]:
    return (
        [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "store"}}]
        + manifest("orders.yaml", "store")
        + manifest("ledger-statefulset.yaml", "db")
        + [secret()]
    )


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_layout_and_counts(tmp_path: Path, clock: SimClock, objects: list[dict[str, Any]]) -> None:
    info = write_archive(tmp_path / "archives", "aks-blue", objects, clock=clock)
    assert info.path == tmp_path / "archives" / "aks-blue-20260314T092653Z"
    assert sorted(p.name for p in info.path.iterdir()) == ["_cluster.yaml", "db.yaml", "index.json", "store.yaml"]
    assert info.files == 3
    assert info.objects == len(objects)
    assert info.secrets == 3  # two from the order pipeline, one seeded
    assert info.sha256 == hashlib.sha256((info.path / "index.json").read_bytes()).hexdigest()


def test_cluster_scoped_objects_go_to_cluster_file(tmp_path: Path, clock: SimClock,
                                                   objects: list[dict[str, Any]]) -> None:
    info = write_archive(tmp_path, "aks-blue", objects, clock=clock)
    cluster_docs = list(yaml.safe_load_all((info.path / "_cluster.yaml").read_text()))
    assert sorted((d["kind"], d["metadata"]["name"]) for d in cluster_docs) == [
        ("Namespace", "store"), ("StorageClass", "ledger-ssd")]
    db_docs = list(yaml.safe_load_all((info.path / "db.yaml").read_text()))
    assert [(d["kind"], d["metadata"]["namespace"]) for d in db_docs] == [("Service", "db"), ("StatefulSet", "db")]


def test_index_lists_every_object_with_file_and_hashes(tmp_path: Path, clock: SimClock,
                                                       objects: list[dict[str, Any]]) -> None:
    info = write_archive(tmp_path, "aks-blue", objects, clock=clock)
    index = json.loads((info.path / "index.json").read_text())
    assert index["cluster"] == "aks-blue"
    assert index["counts"] == {"files": 3, "objects": len(objects), "secrets": 3}
    assert [(e["kind"], e["namespace"], e["name"]) for e in index["objects"]] == [
        (o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]) for o in objects]
    assert {e["file"] for e in index["objects"] if e["namespace"] is None} == {"_cluster.yaml"}
    for file, meta in index["files"].items():
        assert meta["sha256"] == hashlib.sha256((info.path / file).read_bytes()).hexdigest()


def test_modes_are_private(tmp_path: Path, clock: SimClock, objects: list[dict[str, Any]]) -> None:
    old = os.umask(0)  # even with a permissive umask nothing becomes group/world readable
    try:
        info = write_archive(tmp_path / "archives", "aks-blue", objects, clock=clock)
    finally:
        os.umask(old)
    assert mode(info.path) == 0o700
    assert mode(tmp_path / "archives") == 0o700  # created by us, so ours to make private
    for path in info.path.iterdir():
        assert mode(path) == 0o600, path.name


def test_files_are_created_0600_from_the_start(tmp_path: Path, clock: SimClock,
                                               objects: list[dict[str, Any]],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    created: list[tuple[int, int]] = []
    real_open = os.open

    def spy(path: Any, flags: int, mode: int = 0o777, *args: Any, **kw: Any) -> int:
        if flags & os.O_CREAT:
            created.append((flags, mode))
        return real_open(path, flags, mode, *args, **kw)

    monkeypatch.setattr(os, "open", spy)
    write_archive(tmp_path, "aks-blue", objects, clock=clock)
    assert len(created) == 4
    assert all(m == 0o600 and f & os.O_EXCL for f, m in created)
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]  # temps renamed into place


def test_round_trip(tmp_path: Path, clock: SimClock, objects: list[dict[str, Any]]) -> None:
    expected = copy.deepcopy(objects)
    info = write_archive(tmp_path, "aks-blue", objects, clock=clock)
    assert read_archive(info.path) == expected
    assert objects == expected  # the caller's objects are not modified


def test_round_trip_of_every_manifest_file(tmp_path: Path, clock: SimClock) -> None:
    objects: list[dict[str, Any]] = []
    for number, file in enumerate(sorted(MANIFESTS.glob("*.yaml"))):
        objects += manifest(file.name, f"ns{number}")
    info = write_archive(tmp_path, "aks-blue", objects, clock=clock)
    assert read_archive(info.path) == objects
    assert info.objects == len(objects) > 40


def test_secret_values_never_in_returned_or_raised_text(tmp_path: Path, clock: SimClock,
                                                       objects: list[dict[str, Any]]) -> None:
    info = write_archive(tmp_path, "aks-blue", objects, clock=clock)
    texts = [repr(info), str(info), str(info.path)]
    # ...yet archived in full, since a rollback needs it
    assert SEEDED_SECRET in (info.path / "store.yaml").read_text()
    # Raised texts: a refusal, an unserialisable value inside a Secret, a duplicate Secret, a tampered file.
    with pytest.raises(ArchiveExistsError) as refused:
        write_archive(tmp_path, "aks-blue", objects, clock=clock)
    texts.append(str(refused.value))
    bad = secret()
    bad["data"]["blob"] = object()
    bad["stringData"]["weird"] = {SEEDED_SECRET: object()}
    with pytest.raises(ArchiveError) as unserialisable:
        write_archive(tmp_path / "x", "aks-blue", [bad], clock=clock)
    texts.append(str(unserialisable.value))
    assert unserialisable.value.__cause__ is None and unserialisable.value.__suppress_context__
    with pytest.raises(ArchiveError) as duplicate:
        write_archive(tmp_path / "y", "aks-blue", [secret(), secret()], clock=clock)
    texts.append(str(duplicate.value))
    store = info.path / "store.yaml"
    os.chmod(store, 0o600)
    store.write_text(store.read_text().replace(SEEDED_SECRET, SEEDED_SECRET + "!"))
    with pytest.raises(ArchiveError) as tampered:
        read_archive(info.path)
    texts.append(str(tampered.value))
    for text in texts:
        assert SEEDED_SECRET not in text
        assert "aHVudGVyMi1kby1ub3QtbGVhay0zZjlh" not in text
        assert "bm90LWEtcmVhbC1wYXNzd29yZA==" not in text  # the order pipeline's secret value
    assert "Secret/store/db-credentials appears twice" in str(duplicate.value)
    assert str(unserialisable.value).startswith("Secret/store/db-credentials holds a value of type object")


def test_refuses_to_overwrite_existing_archive(tmp_path: Path, clock: SimClock,
                                               objects: list[dict[str, Any]]) -> None:
    info = write_archive(tmp_path, "aks-blue", objects, clock=clock)
    before = {p.name: p.read_bytes() for p in info.path.iterdir()}
    with pytest.raises(ArchiveExistsError, match="already exists; refusing to overwrite") as err:
        write_archive(tmp_path, "aks-blue", objects[:1], clock=clock)
    assert isinstance(err.value, RefusedError)
    assert {p.name: p.read_bytes() for p in info.path.iterdir()} == before
    clock.advance(1)
    later = write_archive(tmp_path, "aks-blue", objects[:1], clock=clock)
    assert later.path.name == "aks-blue-20260314T092654Z"


def test_refuses_when_path_is_a_symlink(tmp_path: Path, clock: SimClock) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "aks-blue-20260314T092653Z").symlink_to(elsewhere)
    with pytest.raises(ArchiveExistsError):
        write_archive(tmp_path, "aks-blue", [secret()], clock=clock)
    assert list(elsewhere.iterdir()) == []


def test_empty_selection_still_writes_an_index(tmp_path: Path, clock: SimClock) -> None:
    info = write_archive(tmp_path, "aks-blue", [], clock=clock)
    assert (info.files, info.objects, info.secrets) == (0, 0, 0)
    assert read_archive(info.path) == []


@pytest.mark.parametrize("obj", [
    {"kind": "ConfigMap", "metadata": {"name": "x", "namespace": "a"}},
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"namespace": "a"}},
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "../etc"}},
    "not an object",
])
def test_invalid_objects_are_rejected_before_anything_is_written(tmp_path: Path, clock: SimClock,
                                                                 obj: Any) -> None:
    with pytest.raises(ArchiveError):
        write_archive(tmp_path / "a", "aks-blue", [secret(), obj], clock=clock)
    assert not (tmp_path / "a").exists()


@pytest.mark.parametrize("cluster", ["", "../x", "a/b", ".hidden"])
def test_cluster_name_must_be_path_safe(tmp_path: Path, clock: SimClock, cluster: str) -> None:
    with pytest.raises(ArchiveError):
        write_archive(tmp_path, cluster, [], clock=clock)


def test_read_archive_refuses_incomplete_archive(tmp_path: Path, clock: SimClock) -> None:
    info = write_archive(tmp_path, "aks-blue", [secret()], clock=clock)
    (info.path / "index.json").unlink()
    with pytest.raises(ArchiveError, match="no index.json"):
        read_archive(info.path)


def test_info_is_frozen_counts_and_paths_only() -> None:
    fields = set(ArchiveInfo.__dataclass_fields__)
    assert fields == {"path", "files", "objects", "secrets", "sha256"}


@pytest.mark.parametrize("index", [{"format": 1, "files": [], "objects": []},
                                   {"format": 1, "files": {"a.yaml": "x"}, "objects": []},
                                   {"format": 2, "files": {}, "objects": []}])
def test_read_archive_refuses_malformed_index(tmp_path: Path, index: dict[str, Any]) -> None:
    (tmp_path / "index.json").write_text(json.dumps(index))
    with pytest.raises(ArchiveError):
        read_archive(tmp_path)


def test_read_archive_refuses_index_pointing_outside(tmp_path: Path, clock: SimClock) -> None:
    info = write_archive(tmp_path / "a", "aks-blue", [secret()], clock=clock)
    index_path = info.path / "index.json"
    index = json.loads(index_path.read_text())
    index["files"] = {"../../etc.yaml": index["files"]["store.yaml"]}
    os.chmod(index_path, 0o600)
    index_path.write_text(json.dumps(index))
    with pytest.raises(ArchiveError, match="bad file name"):
        read_archive(info.path)


def test_disk_full_is_an_archive_error_and_leaves_no_index(tmp_path: Path, clock: SimClock,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    def full(fd: int, data: Any) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(ArchiveError, match="No space left on device") as err:
        write_archive(tmp_path, "aks-blue", [secret()], clock=clock)
    monkeypatch.undo()
    assert SEEDED_SECRET not in str(err.value)
    run_dir = tmp_path / "aks-blue-20260314T092653Z"
    assert list(run_dir.iterdir()) == []  # the temp file was removed, no index: visibly incomplete
    with pytest.raises(ArchiveError, match="no index.json"):
        read_archive(run_dir)
