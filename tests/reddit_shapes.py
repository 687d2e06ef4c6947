"""Compare the *shape* of JSON answers: which keys are present, absent or null, and each value's JSON type.

Why shapes, not values: the sandbox serves other posts than the recordings in
``tests/real_reddit/``, but a client (PRAW, the bot) breaks on a key that is missing, absent where
Reddit sends null, or a string where Reddit sends a number. Items are compared by *profile*: over
all recorded items of one kind (every image post of a page, say), a key is always present, never
present, or sometimes present, and has a set of JSON types; an answer's items must fit that profile.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RECORDINGS = Path(__file__).with_name("real_reddit")
#: Dicts whose keys are ids (media ids), not field names: their values are profiled together.
ID_KEYED = frozenset({"media_metadata"})
#: Every recorded key path a comparison has looked at in this process (for reporting how much is pinned).
CHECKED: set[str] = set()


def recording(name: str) -> Any:
    """A recorded body: parsed JSON, or the text of an .html/.xml file."""
    with gzip.open(RECORDINGS / f"{name}.gz", "rt", encoding="utf-8") as handle:
        return json.load(handle) if name.endswith(".json") else handle.read()


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    return {int: "int", float: "float", str: "str", list: "list", dict: "dict"}.get(type(value), type(value).__name__)


@dataclass
class KeyProfile:
    """One key over a set of items: in how many it appears, with which types, and what its dict/list values hold."""

    present: int = 0
    types: set[str] = field(default_factory=set)
    dicts: list[dict[str, Any]] = field(default_factory=list)  # the dict values (or dicts inside list values)


def profile(items: Iterable[Mapping[str, Any]]) -> tuple[int, dict[str, KeyProfile]]:
    """How many items, and each key's :class:`KeyProfile` over them."""
    count, keys = 0, {}
    for item in items:
        count += 1
        for key, value in item.items():
            entry = keys.setdefault(key, KeyProfile())
            entry.present += 1
            entry.types.add(json_type(value))
            entry.dicts += _nested_dicts(key, value)
    return count, keys


def _nested_dicts(key: str, value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        return [v for v in value.values() if isinstance(v, dict)] if key in ID_KEYED else [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return []


def shape_problems(recorded: Iterable[Mapping[str, Any]], answered: Iterable[Mapping[str, Any]], where: str = "",
                   *, omitted: Mapping[str, str] | None = None) -> list[str]:
    """Every way the ``answered`` items break the profile of the ``recorded`` ones, one line each ([] when they fit).

    A key the recording always has must always be there; one it never has must never be; its types
    must be among the recorded ones; nested dicts are compared the same way. ``omitted`` (dotted
    path → reason) names deliberate differences, which are not reported.
    """
    omitted = omitted or {}
    n_rec, rec = profile(recorded)
    n_ans, ans = profile(answered)
    if n_rec == 0 or n_ans == 0:
        return [f"{where or '(top)'}: nothing to compare ({n_rec} recorded, {n_ans} answered)"]
    problems = []
    for key in sorted(set(rec) | set(ans)):
        path = f"{where}.{key}" if where else key
        if path in omitted:
            continue
        r, a = rec.get(key), ans.get(key)
        if r is not None:
            CHECKED.add(path)
        if r is None:
            problems.append(f"{path}: sent, but never in the recording")
            continue
        if a is None or (r.present == n_rec and a.present < n_ans):
            if r.present == n_rec:
                problems.append(f"{path}: missing (always in the recording, types {sorted(r.types)})")
            continue
        if extra := a.types - r.types:
            problems.append(f"{path}: type {sorted(extra)} where the recording has {sorted(r.types)}")
        if r.dicts and a.dicts:
            problems += shape_problems(r.dicts, a.dicts, path, omitted=omitted)
    return problems


def absent_keys(live: Iterable[Mapping[str, Any]], gone: Mapping[str, Any]) -> set[str]:
    """Keys every ``live`` item has that the ``gone`` (deleted or removed) item lacks."""
    n, keys = profile(live)
    return {key for key, entry in keys.items() if entry.present == n and key not in gone}
