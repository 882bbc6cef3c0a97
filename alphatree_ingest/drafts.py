"""Updating a draft for a new arXiv version without touching anything a reviewer wrote.

A draft is YAML whose top-level keys start at column 0 (the template writes it so). The machine
remembers a hash of every field it wrote (`provenance.machine_fields`). For a new version, a field whose
value still has the machine's hash is replaced by the new machine value; every other field, and every
comment line, stays exactly as the reviewer left it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from .catalog import dump_yaml
from .draft import _value_hash, field_hashes
from .models import CatalogEntry

_KEY = re.compile(r"^([A-Za-z_][\w]*):(\s|$)")


@dataclass
class Block:
    key: str | None
    """The top-level key, or None for comment and blank lines."""
    lines: list[str] = field(default_factory=list)


def split_blocks(text: str) -> list[Block]:
    """Top-level key blocks (the key line and its indented or `- ` lines) and the lines between them."""
    blocks: list[Block] = []
    for line in text.splitlines(keepends=True):
        match = _KEY.match(line)
        if match:
            blocks.append(Block(match.group(1), [line]))
        elif blocks and blocks[-1].key is not None and line[:1] in (" ", "-", "\t"):
            blocks[-1].lines.append(line)
        elif blocks and blocks[-1].key is None:
            blocks[-1].lines.append(line)
        else:
            blocks.append(Block(None, [line]))
    return blocks


@dataclass
class Update:
    text: str
    refreshed: list[str]
    kept: list[str]


def update_draft(old_text: str, new: CatalogEntry) -> Update:
    """The draft text for `new` (a later version), keeping every field and comment a reviewer touched.

    Raises ValueError when the old draft is not valid YAML (an edit in progress is never guessed at).
    """
    current = yaml.safe_load(old_text)
    if not isinstance(current, dict):
        raise ValueError("the draft is not a YAML mapping")
    old_provenance = current.get("provenance") or {}
    machine: dict[str, str] = dict(old_provenance.get("machine_fields") or {})
    new_data = new.model_dump(mode="python", exclude_none=True, exclude={"provenance"})
    new_hashes = field_hashes(new)

    def untouched(key: str) -> bool:
        return key in current and key in machine and _value_hash(_jsonable(current[key])) == machine[key]

    refreshed, kept = [], []
    blocks = split_blocks(old_text)
    out: list[Block] = []
    for block in blocks:
        key = block.key
        if key is None or key == "provenance":
            out.append(block)
        elif untouched(key) and key in new_data:
            if _jsonable(current[key]) != _jsonable(new_data[key]):
                refreshed.append(key)
            out.append(Block(key, [dump_yaml({key: new_data[key]})]))
        elif untouched(key):
            refreshed.append(key)  # the machine no longer suggests a value: drop its old one
        else:
            if key in new_data and _jsonable(current.get(key)) != _jsonable(new_data[key]):
                kept.append(key)
            out.append(block)
    present = {b.key for b in blocks}
    missing = [k for k in new_data if k not in present and k not in machine]
    if missing:
        at = next((i for i, b in enumerate(out) if b.key == "provenance"), len(out))
        for key in missing:
            out.insert(at, Block(key, [dump_yaml({key: new_data[key]})]))
            at += 1
            refreshed.append(key)
    provenance: dict[str, Any] = dict(old_provenance)
    provenance.update(new.provenance)
    hashes = {k: v for k, v in machine.items() if k in new_hashes or not untouched(k)}
    for key in new_hashes:
        if untouched(key) or key in missing:
            hashes[key] = new_hashes[key]  # edited fields keep the old hash: they stay the reviewer's
    provenance["machine_fields"] = hashes
    provenance["new_version"] = {
        "version": new.version,
        "previous": current.get("version"),
        "refreshed": refreshed,
        "kept_reviewer_edits": kept,
    }
    provenance_text = dump_yaml({"provenance": provenance})
    if any(b.key == "provenance" for b in out):
        out = [Block("provenance", [provenance_text]) if b.key == "provenance" else b for b in out]
    else:
        out.append(Block("provenance", [provenance_text]))
    text = "".join("".join(b.lines) for b in out)
    if not text.endswith("\n"):
        text += "\n"
    CatalogEntry.model_validate(yaml.safe_load(text))  # never write what does not parse back
    return Update(text, refreshed, kept)


def _jsonable(value: Any) -> Any:
    """Values compared as YAML would store them (dates as dates, tuples as lists)."""
    return yaml.safe_load(dump_yaml({"v": value}))["v"]
