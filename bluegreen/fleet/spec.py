"""The fleet file: which pairs, and in what order they are cut over.

A fleet names its pairs either as a list of playbook files or as one template
playbook plus a table of per-pair values (`${key}` in the template's text), and
a rollout of ordered stages, each made of groups that run side by side. Every
problem is reported with its field path (`rollout.stages[1].groups[0].pairs[2]`),
as the playbook's are, so bad input exits 2 naming what to fix.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bluegreen.durations import parse_duration
from bluegreen.errors import PlaybookError
from bluegreen.playbook import (
    MAX_PLAYBOOK_BYTES,
    LoadedPlaybook,
    Playbook,
    file_problems,
    load_playbook,
    pydantic_problems,
    validation_problems,
)

_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PairsSpec(_Model):
    """A list of playbooks, or a template and a table of values (one row a pair, its `name` included)."""

    playbooks: list[str] = Field(default_factory=list)
    template: str | None = None
    table: list[dict[str, str | int | float | bool]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_way(self) -> PairsSpec:
        if self.playbooks and (self.template or self.table):
            raise ValueError("give either playbooks or template + table, not both")
        if not self.playbooks and not self.template:
            raise ValueError("name the pairs: playbooks, or template + table")
        if self.template and not self.table:
            raise ValueError("a template needs a table with one row per pair")
        for i, row in enumerate(self.table):
            if "name" not in row:
                raise ValueError(f"table[{i}] has no name (the pair's name, as stages name it)")
        return self


class GroupSpec(_Model):
    name: str
    pairs: list[str] = Field(min_length=1)


class StageSpec(_Model):
    name: str
    groups: list[GroupSpec] = Field(min_length=1)
    approval: Literal["none", "manual"] = "none"
    failure_budget: int = Field(default=1, ge=1, description="stop the fleet once this many pairs failed")

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME.match(v):
            raise ValueError("use lowercase letters, digits and '-' (it names CI jobs and environments)")
        return v


class RolloutSpec(_Model):
    stages: list[StageSpec] = Field(min_length=1)
    max_concurrency: int = Field(default=4, ge=1, le=256)
    after_stage_wait: str | float = 0
    skip_stopped: bool = True  # a stopped blue is not cut over: nothing runs on it to move
    skip_retired: bool = True  # a pair whose blue is gone or decommissioned is done already

    @field_validator("after_stage_wait")
    @classmethod
    def _wait(cls, v: str | float) -> str | float:
        parse_duration(v)
        return v

    @property
    def wait_seconds(self) -> float:
        return parse_duration(self.after_stage_wait)


class FleetSpec(_Model):
    apiVersion: Literal["bluegreen/v1"]
    kind: Literal["Fleet"]
    name: str
    pairs: PairsSpec
    rollout: RolloutSpec
    state: str | None = None  # remote state URL the pipelines pass to `bluegreen run --state`

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME.match(v):
            raise ValueError("use lowercase letters, digits and '-'")
        return v


@dataclass
class Pair:
    """One pair of the fleet: its playbook, and where the rollout puts it."""

    name: str
    loaded: LoadedPlaybook
    stage: str
    group: str
    source: str  # the playbook file, or the template and its table row, for messages and pipelines
    values: dict[str, str] = field(default_factory=dict)  # the table row (template fleets)


@dataclass
class LoadedFleet:
    spec: FleetSpec
    path: Path
    pairs: list[Pair]

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    @property
    def name(self) -> str:
        return self.spec.name

    def stage_pairs(self, stage: str) -> list[Pair]:
        return [p for p in self.pairs if p.stage == stage]

    def pair(self, name: str) -> Pair:
        for p in self.pairs:
            if p.name == name:
                return p
        raise PlaybookError(f"the fleet has no pair {name!r}", field="pair")

    def template_path(self) -> Path | None:
        t = self.spec.pairs.template
        return (self.base_dir / t).resolve() if t else None


def load_fleet(path: str | Path) -> LoadedFleet:
    """Read and validate a fleet file and every pair's playbook; PlaybookError lists each bad field."""
    from bluegreen import safe_yaml

    path = Path(path).resolve()
    if path.is_dir():
        raise PlaybookError("is a folder, not a fleet file", field=str(path))
    raw = safe_yaml.load_file(path, max_bytes=MAX_PLAYBOOK_BYTES, what="fleet")
    if not isinstance(raw, dict):
        raise PlaybookError("the document must be a mapping", field="(fleet)")
    try:
        spec = FleetSpec.model_validate(raw)
    except ValidationError as exc:
        _refuse(pydantic_problems(exc, raw))
    pairs, problems = _load_pairs(spec, path.parent)
    problems += _rollout_problems(spec, pairs)
    _refuse(problems)
    placed = {p: (s.name, g.name) for s in spec.rollout.stages for g in s.groups for p in g.pairs}
    out = []
    for name, (loaded, source, values) in pairs.items():
        stage, group = placed[name]
        out.append(Pair(name, loaded, stage, group, source, values))
    order = [p for s in spec.rollout.stages for g in s.groups for p in g.pairs]
    out.sort(key=lambda p: order.index(p.name))
    return LoadedFleet(spec, path, out)


def _refuse(problems: list[tuple[str, str]]) -> None:
    if problems:
        summary = "; ".join(f"{f}: {m}" for f, m in problems[:5]) + (" ..." if len(problems) > 5 else "")
        raise PlaybookError(summary, problems=problems)


def _load_pairs(spec: FleetSpec, base: Path) -> tuple[dict[str, tuple[LoadedPlaybook, str, dict[str, str]]],
                                                       list[tuple[str, str]]]:
    """Each pair's playbook by the pair's name (the playbook's `name`), and the problems found loading them."""
    pairs: dict[str, tuple[LoadedPlaybook, str, dict[str, str]]] = {}
    problems: list[tuple[str, str]] = []

    def add(where: str, loaded: LoadedPlaybook, source: str, values: dict[str, str]) -> None:
        name = loaded.playbook.name
        if name in pairs:
            problems.append((where, f"a second pair named {name!r} (pair names are playbook names; "
                                    "each pair needs its own run record)"))
        else:
            pairs[name] = (loaded, source, values)

    if spec.pairs.playbooks:
        for i, rel in enumerate(spec.pairs.playbooks):
            where = f"pairs.playbooks[{i}]"
            file = (base / rel).resolve()
            if not file.is_file():
                problems.append((where, f"no such playbook: {rel}"))
                continue
            try:
                add(where, load_playbook(file), rel, {})
            except PlaybookError as exc:
                problems += [(f"{where} ({rel}) {f}", m) for f, m in (exc.problems or [(exc.field or "", str(exc))])]
        return pairs, problems
    assert spec.pairs.template is not None
    template = (base / spec.pairs.template).resolve()
    if not template.is_file():
        return pairs, [("pairs.template", f"no such playbook: {spec.pairs.template}")]
    from bluegreen import safe_yaml

    text = safe_yaml.read_text(template, max_bytes=MAX_PLAYBOOK_BYTES, what="playbook")
    for i, row in enumerate(spec.pairs.table):
        where = f"pairs.table[{i}]"
        values = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in row.items()}
        try:
            loaded = render_pair(template, text, values)
        except PlaybookError as exc:
            problems += [(f"{where} {f}", m) for f, m in (exc.problems or [(exc.field or "", str(exc))])]
            continue
        add(where, loaded, f"{spec.pairs.template} [{values['name']}]", values)
    return pairs, problems


def render_pair(template: Path, text: str, values: dict[str, str]) -> LoadedPlaybook:
    """The template with one row's values put in, validated as a playbook (its files resolve beside the template)."""
    from bluegreen import safe_yaml

    try:
        rendered = string.Template(text).substitute(values)
    except KeyError as exc:
        raise PlaybookError(f"the template uses ${{{exc.args[0]}}}, which this row does not give",
                            field="(template)") from None
    except ValueError as exc:
        raise PlaybookError(f"the template has a bad placeholder ({exc}); write $$ for a literal $",
                            field="(template)") from None
    raw = safe_yaml.load(rendered, str(template))
    problems = validation_problems(raw)
    if problems:
        raise PlaybookError("; ".join(f"{f}: {m}" for f, m in problems), problems=problems)
    loaded = LoadedPlaybook(Playbook.model_validate(raw), template, raw)
    problems = file_problems(loaded)
    if problems:
        raise PlaybookError("; ".join(f"{f}: {m}" for f, m in problems), problems=problems)
    return loaded


def rendered_text(fleet: LoadedFleet, pair: Pair) -> str:
    """A template pair's playbook as YAML text (what a pipeline job runs)."""
    template = fleet.template_path()
    if template is None:
        raise PlaybookError(f"{pair.name} is a playbook file ({pair.source}), not a template row", field="pair")
    return string.Template(template.read_text()).substitute(pair.values)


def _rollout_problems(spec: FleetSpec, pairs: dict[str, Any]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    seen: dict[str, str] = {}
    stage_names: set[str] = set()
    for s, stage in enumerate(spec.rollout.stages):
        if stage.name in stage_names:
            problems.append((f"rollout.stages[{s}].name", f"a second stage named {stage.name!r}"))
        stage_names.add(stage.name)
        groups: set[str] = set()
        for g, group in enumerate(stage.groups):
            if group.name in groups:
                problems.append((f"rollout.stages[{s}].groups[{g}].name", f"a second group named {group.name!r}"))
            groups.add(group.name)
            for p, name in enumerate(group.pairs):
                where = f"rollout.stages[{s}].groups[{g}].pairs[{p}]"
                if name in seen:
                    problems.append((where, f"{name!r} is already in {seen[name]}"))
                elif pairs and name not in pairs:
                    problems.append((where, f"no pair named {name!r} (pairs: {', '.join(sorted(pairs)[:8])}"
                                            + (", ..." if len(pairs) > 8 else "") + ")"))
                seen[name] = f"stage {stage.name}"
    for name in pairs:
        if name not in seen:
            problems.append(("rollout.stages", f"pair {name!r} is in no stage"))
    return problems
