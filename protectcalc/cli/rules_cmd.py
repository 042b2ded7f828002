"""``protectcalc rules``: show, list, check and start rule sets (the rule language's tools).

Kept apart from the order commands: nothing here computes an order, and every import is
inside a command so that ``timeline`` pays nothing for it at start-up.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from protectcalc.cli import StatusFormat, StatusFormatOption

rules_app: typer.Typer = typer.Typer(
    rich_markup_mode="rich",
    invoke_without_command=True,
    no_args_is_help=False,
)

RulesOption = Annotated[
    str | None,
    typer.Option("--rules", help="Rule set name or TOML file.", show_default=False),
]


@rules_app.callback()
def rules(
    context: typer.Context,
    rule_set: RulesOption = None,
    output_format: StatusFormatOption = StatusFormat.TABLE,
) -> None:
    """Show a rule set: each rule's value, meaning, sources, and the other readings.

    [bold]Examples[/bold]

        [cyan]protectcalc rules[/cyan]

        [cyan]protectcalc rules --format json[/cyan]

        [cyan]protectcalc rules show protection_end[/cyan]

        [cyan]protectcalc rules check my_rules.toml[/cyan]
    """
    if context.invoked_subcommand is not None:
        return
    from protectcalc.cli import console_out, emit
    from protectcalc.render.rulesout import render_rules_json, render_rules_table
    from protectcalc.rules import load_rule_set

    loaded = load_rule_set(rule_set)
    if output_format is StatusFormat.JSON:
        emit(render_rules_json(loaded), None)
    else:
        console_out(render_rules_table(loaded))


@rules_app.command("list")
def list_rule_sets(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Your own rule-set files or folders of them.", show_default=False),
    ] = None,
) -> None:
    """List the shipped rule sets and your own: name, title, version, what they read."""
    from protectcalc.cli import emit
    from protectcalc.rules import load_rule_set
    from protectcalc.rules.loader import shipped_names

    lines = []
    sources: list[str] = list(shipped_names())
    for path in paths or []:
        found = sorted(path.glob("*.toml")) if path.is_dir() else [path]
        sources.extend(str(item) for item in found)
    for source in sources:
        loaded = load_rule_set(source)
        plan = loaded.plan_for(None)
        lines.append(
            f"{source}\t{loaded.title}\tversion {loaded.version}\t"
            f"{len(list(loaded.items()))} rules\t{len(plan.milestone_ids())} milestones"
        )
    emit("\n".join(lines) + "\n", None)


@rules_app.command("show")
def show(
    item: Annotated[str, typer.Argument(help="A milestone id or a rule id.")],
    rule_set: RulesOption = None,
) -> None:
    """Show one milestone (its cases: when, what it counts from, which rules) or one rule."""
    from protectcalc.cli import emit
    from protectcalc.render.rulesout import render_show
    from protectcalc.rules import load_rule_set

    emit(render_show(load_rule_set(rule_set), item), None)


@rules_app.command("check")
def check(
    files: Annotated[list[Path], typer.Argument(help="Rule-set TOML files to check.")],
) -> None:
    """Validate rule-set files without computing anything: one line per problem.

    Each problem is [cyan]file:line: key: problem[/cyan]: an unknown event, rule or
    milestone, a cycle in the graph, a rule without a source, a bad expression. Exit 0 when
    every file is sound, 2 otherwise.
    """
    import sys

    from protectcalc.errors import InputError, RuleSetError
    from protectcalc.rules import load_rule_set

    bad = 0
    for path in files:
        try:
            loaded = load_rule_set(str(path))
        except (InputError, RuleSetError) as error:
            bad += 1
            sys.stderr.write(f"protectcalc: {error}\n")
            continue
        typer.echo(f"{path}: ok ({loaded.name} {loaded.version})")
    if bad:
        raise typer.Exit(2)


STARTER = """# A rule set of your own. Check it with: protectcalc rules check {file}
# Use it with: protectcalc timeline --rules {file} ...
# The format: README, "The rule language". This file extends the shipped AliExpress set and
# adds one milestone; everything else (the dispute rounds, phases, warnings) comes from it.

schema = 2
name = "{name}"
title = "{name}: my own rules"
version = "1"
extends = "aliexpress"

# A number, with where it comes from: a public page (address, date read, our own words).
[rules.return_window]
value = 30
unit = "days"
meaning = "The shop takes returns for this long after delivery."

[[rules.return_window.sources]]
url = "https://example.com/returns"
read = 2026-01-01
says = "Returns are accepted within 30 days of delivery."

# A deadline: counted from the delivery, shown in timeline, status and the calendar.
[milestones.return_due]
label = "Return the item by"
actor = "buyer"
when = "present(delivered)"
from = "delivered"
add = "return_window"
explain = "delivered {{from}} + {{return_window}} to send it back"
"""


@rules_app.command("init")
def init(
    name: Annotated[str, typer.Argument(help="The new rule set's name (a-z, 0-9, _ and -).")],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="The file to write (default NAME.toml).", dir_okay=False
        ),
    ] = None,
) -> None:
    """Write a commented starting file that extends a shipped rule set; never overwrites."""
    import re

    from protectcalc.cli.shell import write_atomically
    from protectcalc.errors import InputError

    if not re.fullmatch(r"[a-z][a-z0-9_-]*", name):
        raise InputError("NAME", name, "is not a rule-set name (a-z, 0-9, _ and -, from a letter)")
    path = output or Path(f"{name}.toml")
    if path.exists():
        raise InputError("output", str(path), "exists already: choose another file")
    write_atomically(path, STARTER.format(name=name, file=path))
    typer.echo(f"wrote {path}", err=True)


@rules_app.command("schema")
def schema(
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to this file.", dir_okay=False),
    ] = None,
) -> None:
    """Print the JSON Schema of rule-set files, for editors (TOML language servers)."""
    from importlib import resources

    from protectcalc.cli import emit

    text = resources.files("protectcalc.rules").joinpath("rules.schema.json").read_text("utf-8")
    emit(text, output)
