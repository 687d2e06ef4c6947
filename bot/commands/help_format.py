"""Plain help: click-style type names (TEXT, INTEGER, PATH, [a|b]) instead of typer's ``<list[str]>``.

Why: typer labels an option by its Python annotation (``<list[str]>``, ``<bool>``), which reads as
code; with ``rich_markup_mode=None`` the options keep their whole names at 80 columns, and this
gives each value-taking option the metavar click would have shown. Typer vendors click privately,
so the command tree is walked by its attributes (``params``, ``commands``, typer's ``type_descriptor``).
"""

from __future__ import annotations

from typing import Any

#: typer's annotation names → click's type names.
_PLAIN = {"str": "TEXT", "int": "INTEGER", "float": "FLOAT", "bool": "BOOL", "Path": "PATH", "PosixPath": "PATH",
          "datetime": "DATETIME", "UUID": "UUID"}


def plain_metavars(command: Any) -> Any:
    """Set a click-style metavar on every value-taking option of ``command`` and its subcommands."""
    for param in getattr(command, "params", ()):
        if not _takes_value(param):
            continue
        if getattr(param, "opts", None) and param.opts[0].startswith("-"):
            param.metavar = _type_name(param)
        else:  # an argument keeps its name ("inputs..."); only the type beside it changes
            param.display_type_rich = lambda ctx, param=param: _type_name(param)
    for sub in getattr(command, "commands", {}).values():
        plain_metavars(sub)
    return command


def _takes_value(param: Any) -> bool:
    return not getattr(param, "is_flag", False) and not getattr(param, "count", False) and param.metavar is None


def _type_name(param: Any) -> str:
    kind = getattr(param, "type_descriptor", None)
    if kind is not None and kind.is_choice and kind.choices:
        return "[" + "|".join(str(getattr(c, "value", c)) for c in kind.choices) + "]"
    if kind is not None and kind.is_path:
        return "PATH"
    name = param.bare_type() if hasattr(param, "bare_type") else "str"
    name = name.removeprefix("list[").removesuffix("]")  # a repeatable option: the type of one value
    return _PLAIN.get(name, name.upper())
