"""TOML literals for the config files colorbot writes (`colorbot config`, `colorbot demo`)."""

from __future__ import annotations

import json
from typing import Any


def toml_literal(value: Any) -> str:
    """A TOML literal for a string, number, boolean or list of them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_literal(v) for v in value) + "]"
    text = str(value)
    if "\n" in text and "'''" not in text and all(c >= " " or c in "\n\t" for c in text):
        return "'''\n" + text + "'''"  # literal string: Markdown backslashes stay as written
    return json.dumps(text, ensure_ascii=False)  # JSON escapes are valid TOML basic-string escapes
