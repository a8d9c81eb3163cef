"""docs/commands.md is the command reference generated from the CLI; every command has help text; --help is clean."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from putwheel.cli.app import app
from putwheel.cli.docs import commands, reference

DOC = Path(__file__).resolve().parents[2] / "docs" / "commands.md"
ALL = [path for path, _ in commands()]
runner = CliRunner()


def test_docs_commands_md_is_the_generated_reference() -> None:
    assert DOC.read_text(encoding="utf-8") == reference(), \
        "docs/commands.md is stale: run `python -m putwheel.cli.docs > docs/commands.md`"


def test_every_command_has_help_text_and_a_docs_entry() -> None:
    doc = DOC.read_text(encoding="utf-8")
    assert len(ALL) > 20
    for path, cmd in commands():
        assert (cmd.help or "").strip(), f"{' '.join(path)} has no help text"
        assert f"\n## {' '.join(path)}\n" in doc, f"{' '.join(path)} has no entry in docs/commands.md"
        for p in cmd.params:
            assert (getattr(p, "help", None) or "").strip(), f"{' '.join(path)} {p.name}: no help text"


def test_no_flag_of_any_command_shows_a_type_tag() -> None:
    for path, cmd in commands():
        ctx = cmd.context_class(cmd, info_name=path[-1])
        for p in cmd.get_params(ctx):
            if getattr(p, "is_flag", False):
                assert not p.display_type_rich(ctx), f"{' '.join(path)} {p.opts}: {p.display_type_rich(ctx)}"


@pytest.mark.parametrize("path", [("manage",), ("backtest", "wheel"), ("trade", "deposit"), ("backtest",)], ids=" ".join)
def test_help_has_no_type_tags_on_flags_and_no_eaten_brackets(path: tuple[str, ...]) -> None:
    res = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "<bool>" not in res.output
    assert "()" not in res.output and "( ," not in res.output  # what rich leaves of "[rules]" read as markup
