"""The rule set as people and scripts read it."""

from __future__ import annotations

import json

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from protectcalc.render.labels import plain
from protectcalc.rules import RuleSet


def render_rules_json(rule_set: RuleSet) -> str:
    """Every rule with value, unit, meaning, sources and alternative readings."""
    data = {
        "name": rule_set.name,
        "title": rule_set.title,
        "rules": {
            rule_id: rule.model_dump(mode="json", exclude={"reading"}, exclude_none=True)
            for rule_id, rule in rule_set.items()
        },
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


WIDE = 120
"""From this many columns the four-column table; below, rule and value share one column."""


def render_rules_table(rule_set: RuleSet) -> RenderableType:
    """One row per rule, alternatives beneath it; two columns below WIDE, so words stay whole."""
    from protectcalc.render.fit import Fit

    return Fit(_four_columns(rule_set), _two_columns(rule_set), WIDE)


def _two_columns(rule_set: RuleSet) -> Table:
    title = Text(plain(f"Rule set {rule_set.name}: {rule_set.title}"))
    table = Table(title=title, title_justify="left")
    table.add_column("Rule and value", no_wrap=True)
    table.add_column("Meaning and source")
    for rule_id, rule in rule_set.items():
        sources = "\n".join(f'{src.seed[:3]} "{src.quote}"' for src in rule.sources)
        table.add_row(*_cells(f"{rule_id}\n{rule.describe()}", f"{rule.meaning}\n{sources}"))
        for name, alt in rule.alternatives.items():
            alt_sources = "\n".join(f'{src.seed[:3]} "{src.quote}"' for src in alt.sources)
            table.add_row(
                *_cells(f"  or {name}\n  {alt.describe()}", f"{alt.meaning}\n{alt_sources}"),
                style="dim",
            )
    return table


def _four_columns(rule_set: RuleSet) -> Table:
    # Every cell is Text: a rule file's title, meanings and quotes are never Rich markup.
    title = Text(plain(f"Rule set {rule_set.name}: {rule_set.title}"))
    table = Table(title=title, title_justify="left")
    table.add_column("Rule", no_wrap=True)
    table.add_column("Value", no_wrap=True)
    table.add_column("Meaning")
    table.add_column("Source")
    for rule_id, rule in rule_set.items():
        sources = "\n".join(f'{src.seed[:3]} "{src.quote}"' for src in rule.sources)
        table.add_row(*_cells(rule_id, rule.describe(), rule.meaning, sources))
        for name, alt in rule.alternatives.items():
            alt_sources = "\n".join(f'{src.seed[:3]} "{src.quote}"' for src in alt.sources)
            table.add_row(
                *_cells(f"  or {name}", alt.describe(), alt.meaning, alt_sources), style="dim"
            )
    return table


def _cells(*texts: str) -> list[Text]:
    return [Text("\n".join(plain(line) for line in text.split("\n"))) for text in texts]
