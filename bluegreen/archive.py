"""The decommission archive: every object of blue's namespaces, on disk, before anything is deleted.

Why: retiring blue must never lose a manifest (field notes §2), and a rollback
needs the objects exactly as they were, Secrets included. So Secrets are written
in full, but into files that are 0600 from their first byte, in a 0700
directory, and nothing this module returns or raises ever quotes an object's
content: only kinds, namespaces, names, counts and paths.

Layout of one run::

    <directory>/<cluster>-<YYYYMMDDTHHMMSSZ>-<run id, 8 chars>/     0700
        <namespace>.yaml     one multi-document YAML file per namespace, 0600
        _cluster.yaml        cluster-scoped objects (Namespaces, StorageClasses, ...), 0600
        index.json           the run id; kind/namespace/name/uid/file per object, counts, sha256 per
                             file; written last

An archive belongs to one run (its id is in the index): a run adopts only its
own archive, and decommission deletes an object only after `verify_archived`
found it in this run's archive, so two playbooks that share a cluster name and
an archive directory never take each other's archive for their own.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from .clock import Clock
from .errors import BluegreenError, RefusedError
from .private_files import private_dir

__all__ = ["ArchiveError", "ArchiveExistsError", "ArchiveInfo", "NotArchivedError", "archive_run", "read_archive",
           "run_dir_name", "verify_archived", "write_archive"]

FORMAT = 1
INDEX = "index.json"
CLUSTER_FILE = "_cluster.yaml"
DIR_MODE = 0o700
FILE_MODE = 0o600

_CLUSTER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
_NAMESPACE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


class ArchiveError(BluegreenError):
    """The archive cannot be written or read back; the message names objects, never their content."""


class ArchiveExistsError(RefusedError):
    """The archive path is already taken; an archive is never overwritten."""


class NotArchivedError(RefusedError):
    """Something is about to be deleted that this run's archive does not hold."""


@dataclass(frozen=True)
class ArchiveInfo:
    """What was archived: counts and paths only, safe to log and show."""

    path: Path  # the archive directory of this run
    files: int  # manifest files (index.json not counted)
    objects: int
    secrets: int
    sha256: str  # of index.json, which in turn pins the sha256 of every manifest file


def _ref(obj: Any, position: int) -> str:
    """Kind/namespace/name of an object for messages; never its content."""
    if not isinstance(obj, dict):
        return f"object #{position} ({type(obj).__name__})"
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        meta = {}
    kind, ns, name = obj.get("kind"), meta.get("namespace"), meta.get("name")
    parts = [str(p) for p in (kind, ns, name) if isinstance(p, str) and p]
    return "/".join(parts) if parts else f"object #{position}"


def _identity(obj: Any, position: int) -> tuple[str, str, str | None, str]:
    """(apiVersion, kind, namespace or None, name), validated so file names are safe."""
    if not isinstance(obj, dict):
        raise ArchiveError(f"{_ref(obj, position)} is not a Kubernetes object")
    meta = obj.get("metadata")
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    name = meta.get("name") if isinstance(meta, dict) else None
    if not (isinstance(api_version, str) and api_version and isinstance(kind, str) and kind
            and isinstance(name, str) and name):
        raise ArchiveError(f"{_ref(obj, position)} lacks apiVersion, kind or metadata.name")
    namespace = meta.get("namespace") if isinstance(meta, dict) else None
    if namespace in (None, ""):
        return api_version, kind, None, name
    if not isinstance(namespace, str) or not _NAMESPACE.match(namespace):
        raise ArchiveError(f"{_ref(obj, position)} has an invalid namespace")
    return api_version, kind, namespace, name


def _dump(obj: dict[str, Any], position: int) -> str:
    """One YAML document; on failure name the object and the value's type, never the value."""
    try:
        return yaml.safe_dump(obj, sort_keys=False, default_flow_style=False, allow_unicode=True,
                              explicit_start=True)
    except yaml.YAMLError as exc:
        # PyYAML's error carries the offending value (maybe a Secret's): keep only its type.
        bad = exc.args[1] if len(exc.args) > 1 else None
        raise ArchiveError(f"{_ref(obj, position)} holds a value of type {type(bad).__name__} "
                           "that cannot be written as YAML") from None


def _write_new_file(directory: Path, name: str, data: bytes) -> None:
    """Create `name` 0600 from the start, atomically (temp + fsync + rename), never replacing a file."""
    final = directory / name
    temp = directory / f".{name}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(temp, flags, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)  # exact mode whatever the umask; never wider than 0600 at any moment
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    os.close(fd)
    if final.exists() or final.is_symlink():  # the run directory is ours alone; this is belt and braces
        os.unlink(temp)
        raise ArchiveExistsError(f"archive file {final} already exists; refusing to overwrite it")
    os.rename(temp, final)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def run_dir_name(cluster: str, moment: datetime, run_id: str | None) -> str:
    """The archive directory's name: the cluster, the moment it was started and the run's id."""
    name = f"{cluster}-{moment.astimezone(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}"
    return f"{name}-{run_id[:8]}" if run_id else name


def write_archive(directory: Path, cluster: str, objects: Sequence[dict[str, Any]], *, clock: Clock,
                  run_id: str | None = None) -> ArchiveInfo:
    """Archive `objects` (as read from `cluster`) under `directory` for run `run_id`; refuse if its path exists.

    Everything is validated and serialised before the first byte hits the disk,
    so a bad object leaves no half-written archive behind.
    """
    if not _CLUSTER_NAME.match(cluster):
        raise ArchiveError(f"cluster name {cluster!r} is not usable in a path")
    if run_id is not None and not re.fullmatch(r"[0-9a-f]{8,64}", run_id):
        raise ArchiveError("the run id is not usable in a path")
    stamp = clock.now().astimezone(timezone.utc)
    run_dir = Path(directory) / run_dir_name(cluster, stamp, run_id)

    groups: dict[str, list[str]] = {}
    entries: list[dict[str, Any]] = []
    seen: set[tuple[str, str, str | None, str]] = set()
    secrets = 0
    for position, obj in enumerate(objects):
        api_version, kind, namespace, name = _identity(obj, position)
        key = (api_version.split("/")[0] if "/" in api_version else "", kind, namespace, name)
        if key in seen:
            raise ArchiveError(f"{_ref(obj, position)} appears twice")
        seen.add(key)
        file = CLUSTER_FILE if namespace is None else f"{namespace}.yaml"
        docs = groups.setdefault(file, [])
        uid = (obj.get("metadata") or {}).get("uid")
        entries.append({"apiVersion": api_version, "kind": kind, "namespace": namespace, "name": name,
                        "file": file, "document": len(docs), **({"uid": uid} if isinstance(uid, str) else {})})
        docs.append(_dump(obj, position))
        if kind == "Secret":
            secrets += 1

    payloads = {file: "".join(docs).encode("utf-8") for file, docs in sorted(groups.items())}
    index = {
        "format": FORMAT,
        "run": run_id,
        "cluster": cluster,
        "created": stamp.isoformat(),
        "counts": {"files": len(payloads), "objects": len(entries), "secrets": secrets},
        "files": {file: {"sha256": hashlib.sha256(data).hexdigest(), "objects": len(groups[file])}
                  for file, data in payloads.items()},
        "objects": entries,
    }
    index_bytes = (json.dumps(index, indent=2, sort_keys=True) + "\n").encode("utf-8")

    private_dir(Path(directory))  # the archive holds Secret manifests
    try:
        os.mkdir(run_dir, DIR_MODE)
    except FileExistsError:
        raise ArchiveExistsError(f"archive {run_dir} already exists; refusing to overwrite it") from None
    os.chmod(run_dir, DIR_MODE)
    try:
        for file, data in payloads.items():
            _write_new_file(run_dir, file, data)
        _write_new_file(run_dir, INDEX, index_bytes)  # last: an archive without an index is incomplete
        _fsync_dir(run_dir)
        _fsync_dir(Path(directory))  # the run directory's own entry survives a crash too
    except OSError as exc:
        raise ArchiveError(f"cannot write archive {run_dir} ({exc.strerror or type(exc).__name__}); "
                           f"what was written is left there without {INDEX}") from None
    return ArchiveInfo(run_dir, len(payloads), len(entries), secrets, hashlib.sha256(index_bytes).hexdigest())


def read_archive(path: Path) -> list[dict[str, Any]]:
    """The archived objects in their original order, after checking every file against the index."""
    path = Path(path)
    try:
        index = json.loads((path / INDEX).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArchiveError(f"{path} has no {INDEX}: not an archive, or an incomplete one") from None
    except (OSError, ValueError) as exc:
        raise ArchiveError(f"{path / INDEX} is unreadable ({type(exc).__name__})") from None
    if not isinstance(index, dict) or index.get("format") != FORMAT:
        raise ArchiveError(f"{path / INDEX}: unknown archive format")
    files, entries = index.get("files"), index.get("objects")
    if not (isinstance(files, dict) and all(isinstance(m, dict) for m in files.values())
            and isinstance(entries, list) and all(isinstance(e, dict) for e in entries)):
        raise ArchiveError(f"{path / INDEX}: malformed index")

    documents: dict[str, list[Any]] = {}
    for file, meta in files.items():
        if "/" in file or "\\" in file or file.startswith("."):
            raise ArchiveError(f"{path / INDEX}: bad file name in index")
        try:
            data = (path / file).read_bytes()
        except OSError as exc:
            raise ArchiveError(f"{path / file} is unreadable ({exc.strerror or type(exc).__name__})") from None
        if hashlib.sha256(data).hexdigest() != meta.get("sha256"):
            raise ArchiveError(f"{path / file} does not match its sha256 in the index")
        try:
            documents[file] = [doc for doc in yaml.safe_load_all(data.decode("utf-8")) if doc is not None]
        except (yaml.YAMLError, UnicodeDecodeError):
            raise ArchiveError(f"{path / file} is not valid YAML") from None
        if len(documents[file]) != meta.get("objects"):
            raise ArchiveError(f"{path / file} holds {len(documents[file])} objects, "
                               f"the index says {meta.get('objects')}")

    objects: list[dict[str, Any]] = []
    for entry in entries:
        try:
            obj = documents[entry["file"]][entry["document"]]
        except (KeyError, IndexError, TypeError):
            raise ArchiveError(f"{path / INDEX}: entry {entry.get('kind')}/{entry.get('name')} "
                               "points nowhere") from None
        meta = obj.get("metadata") if isinstance(obj, dict) else None
        if not isinstance(meta, dict) or (obj.get("kind"), meta.get("name")) != (entry.get("kind"), entry.get("name")):
            raise ArchiveError(f"{path / entry['file']}: document {entry['document']} is not "
                               f"{entry.get('kind')}/{entry.get('name')} as the index says")
        objects.append(obj)
    return objects


def _index(path: Path) -> dict[str, Any]:
    try:
        index = json.loads((Path(path) / INDEX).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArchiveError(f"{path} has no {INDEX}: not an archive, or an incomplete one") from None
    except (OSError, ValueError) as exc:
        raise ArchiveError(f"{Path(path) / INDEX} is unreadable ({type(exc).__name__})") from None
    if not isinstance(index, dict) or index.get("format") != FORMAT or not isinstance(index.get("objects"), list):
        raise ArchiveError(f"{Path(path) / INDEX}: unknown archive format")
    return index


def archive_run(path: Path) -> str | None:
    """The id of the run that wrote the (complete) archive at `path`; None for one written before run ids."""
    run = _index(path).get("run")
    return run if isinstance(run, str) else None


def verify_archived(path: Path, run_id: str, wanted: Sequence[tuple[str, str | None, str, str | None]]) -> None:
    """Refuse unless the archive at `path` is run `run_id`'s and holds every (kind, namespace, name, uid).

    A uid of None matches any archived uid; an archived object without a uid matches any uid. An archive
    from before run ids (a record migrated mid-decommission) is judged by its objects' uids alone.
    """
    index = _index(path)
    run = index.get("run")
    if run is not None and run != run_id:
        raise NotArchivedError(f"the archive {path} was written by another run ({run}), not this one ({run_id}); "
                               "refusing to delete what this run has not archived")
    held: dict[tuple[Any, Any, Any], Any] = {}
    if run is None:  # written before archives carried run ids: the objects' own uids say where they came from
        for obj in read_archive(path):
            meta = obj.get("metadata") or {}
            held[(obj.get("kind"), meta.get("namespace") or None, meta.get("name"))] = meta.get("uid")
    for entry in index["objects"] if run is not None else ():
        if isinstance(entry, dict):
            held[(entry.get("kind"), entry.get("namespace"), entry.get("name"))] = entry.get("uid")
    missing = []
    for kind, namespace, name, uid in wanted:
        key = (kind, namespace or None, name)
        if key not in held or (uid and held[key] and held[key] != uid):
            missing.append("/".join(p for p in (kind, namespace, name) if p) + (f" (uid {uid})" if uid else ""))
    if missing:
        raise NotArchivedError(f"this run's archive {path} does not hold {', '.join(missing)}; refusing to delete "
                               "what was not archived (created on blue after the archive was written?): save and "
                               "remove it yourself, then run decommission again")
