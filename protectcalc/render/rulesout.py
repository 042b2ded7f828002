"""The rule set as people and scripts read it."""

from __future__ import annotations

import json

from rich.table import Table

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


def render_rules_table(rule_set: RuleSet) -> Table:
    """One row per rule, alternatives indented beneath it."""
    table = Table(title=f"Rule set {rule_set.name}: {rule_set.title}", title_justify="left")
    table.add_column("Rule", no_wrap=True)
    table.add_column("Value", no_wrap=True)
    table.add_column("Meaning")
    table.add_column("Source")
    for rule_id, rule in rule_set.items():
        sources = "\n".join(f'{src.short} "{src.quote or src.says}"' for src in rule.sources)
        table.add_row(rule_id, rule.describe(), rule.meaning, sources)
        for name, alt in rule.alternatives.items():
            alt_sources = "\n".join(f'{src.short} "{src.quote or src.says}"' for src in alt.sources)
            table.add_row(f"  or {name}", alt.describe(), alt.meaning, alt_sources, style="dim")
    return table
