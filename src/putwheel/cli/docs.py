"""The command reference, generated from the CLI itself: `python -m putwheel.cli.docs > docs/commands.md`.

Stages: the typer app as a click command tree -> every command, depth first in the order `putwheel --help` lists
them -> one markdown section each (usage, help text, a table of arguments and options with type and default).
tests/cli/test_commands_doc.py checks that docs/commands.md is this output and that every command has help text.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import typer

from putwheel.cli.app import app

Command = Any  # typer's click command (typer >= 0.20 ships its own click: duck-typed here, not imported)

HEADER = ("# putwheel command reference\n\n"
          "Generated from the CLI by `python -m putwheel.cli.docs > docs/commands.md` (a test keeps it current);\n"
          "`putwheel COMMAND --help` prints the same. Tables print at the terminal's width: `--wide` shows every "
          "column.\n")


def _is_group(cmd: Command) -> bool:
    return hasattr(cmd, "list_commands")


def commands(group: Command | None = None, path: tuple[str, ...] = ("putwheel",)) \
        -> Iterator[tuple[tuple[str, ...], Command]]:
    """Every command under `group` (default: the putwheel app), groups first, then their subcommands."""
    cmd = group or typer.main.get_command(app)
    yield path, cmd
    if _is_group(cmd):
        ctx = cmd.context_class(cmd, info_name=path[-1])
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                yield from commands(sub, (*path, name))


def _plain(text: str | None) -> str:
    return " ".join((text or "").replace("\\[", "[").split())


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _param_row(p: Any) -> str:
    if p.param_type_name == "option":
        names = " / ".join(f"`{n}`" for n in (*p.opts, *p.secondary_opts))
        kind = "flag" if p.is_flag else p.bare_type()
        default = p.default if p.default not in (None, (), []) and not callable(p.default) else ""
        if p.is_flag and p.secondary_opts:
            default = p.opts[0] if p.default else p.secondary_opts[0]
        elif p.is_flag:
            default = ""
        return (f"| {_cell(names)} | {kind} | {'yes' if p.required else ''} | {_cell(str(default))} "
                f"| {_cell(_plain(p.help))} |")
    arg = p  # a positional argument
    help_text = _plain(getattr(arg, "help", ""))
    nargs = "..." if arg.nargs != 1 else ""
    return (f"| `{(arg.name or '').upper()}{nargs}` | {arg.bare_type()} | {'yes' if arg.required else ''} | "
            f"| {_cell(help_text)} |")


def section(path: tuple[str, ...], cmd: Command) -> str:
    ctx = cmd.context_class(cmd, info_name=" ".join(path))
    lines = [f"## {' '.join(path)}", "", _plain(cmd.help) or "(no help text)", ""]
    if _is_group(cmd):
        ctx_names = cmd.list_commands(ctx)
        lines += ["| command | what it does |", "|---|---|"]
        for name in ctx_names:
            sub = cmd.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                lines.append(f"| `{' '.join((*path, name))}` | {_cell(_plain(sub.get_short_help_str(200)))} |")
        return "\n".join(lines) + "\n"
    params = [p for p in cmd.params if not getattr(p, "hidden", False)]
    args = [f"{(p.name or '').upper()}{'...' if p.nargs != 1 else ''}" for p in params if p.param_type_name == "argument"]
    lines += [f"`{' '.join((*path, '[OPTIONS]', *args))}`", ""]
    if params:
        lines += ["| argument / option | type | required | default | help |", "|---|---|---|---|---|"]
        lines += [_param_row(p) for p in params]
    return "\n".join(lines) + "\n"


def reference() -> str:
    return HEADER + "".join("\n" + section(path, cmd) for path, cmd in commands())


def main() -> None:
    sys.stdout.write(reference())


if __name__ == "__main__":
    main()
