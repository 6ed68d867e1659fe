"""The command line. Each command is a thin shell over the Python API; every
StoryagentError becomes one red line and a non-zero exit, never a traceback."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from storyagent.errors import StoryagentError

app = typer.Typer(
    name="storyagent",
    help=(
        "Turn one line into a finished, narrated animated short.\n\n"
        "Quick start:\n\n"
        '  storyagent make "polar bear visits penguins"\n\n'
        "Edit the storyboard.json it writes, then `storyagent render` it again:\n"
        "only what your edit touched is re-rendered.\n\n"
        "Check a storyboard you edited by hand with `storyagent validate` (is it a\n"
        "valid file?) and `storyagent lint` (is it good film grammar?)."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)
out = Console()
err = Console(stderr=True)

StoryboardFile = Annotated[Path, typer.Argument(help="A storyboard JSON file.", show_default=False)]


@app.command()
def schema() -> None:
    """Print the storyboard JSON Schema: every field, its type and what it means."""
    from storyagent.storyboard import json_schema

    sys.stdout.write(json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n")


@app.command()
def validate(path: StoryboardFile) -> None:
    """Check that a storyboard file is well formed: types, names, references.

    Errors name the JSON path, e.g. scenes[2].shots[1].camera.movment.
    """
    from storyagent.storyboard import Storyboard

    board = Storyboard.load(path)
    out.print(f"[green]ok[/green] {path}: {len(board.scenes)} scenes, {len(board.shots())} shots")


@app.command()
def lint(
    path: StoryboardFile,
    as_json: Annotated[bool, typer.Option("--json", help="Print the issues as a JSON list.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Fail on warnings too.")] = False,
) -> None:
    """Review a storyboard's film grammar: narration that cannot fit its shot,
    jump cuts, missing establishing shots, 180-degree flips, duration.

    Exits 1 when there are errors (or warnings with --strict).
    """
    from storyagent.lint import lint as run_lint
    from storyagent.storyboard import Storyboard

    issues = run_lint(Storyboard.load(path))
    if as_json:
        sys.stdout.write(json.dumps([i.model_dump() for i in issues], indent=2, ensure_ascii=False) + "\n")
    else:
        for issue in issues:
            colour = "red" if issue.level == "error" else "yellow"
            out.print(f"[{colour}]{issue.level}[/{colour}] {_where(issue.shot)}{issue.message} [dim]({issue.code})[/dim]")
        errors = sum(i.level == "error" for i in issues)
        out.print(f"{path}: {errors} error(s), {len(issues) - errors} warning(s)")
    failing = [i for i in issues if i.level == "error" or strict]
    if failing:
        raise typer.Exit(1)


def _where(shot: str | None) -> str:
    return f"shot [bold]{shot}[/bold]: " if shot else ""


def main() -> None:
    try:
        app()
    except StoryagentError as error:
        err.print(f"[red]error:[/red] {error}", highlight=False, soft_wrap=True)
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted; finished work is kept, run the same command again to resume")
        sys.exit(130)
