"""The rule set as people and scripts read it."""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from protectcalc.render.jsontext import dumps_indented
from protectcalc.render.labels import plain
from protectcalc.rules import RuleSet
from protectcalc.rules.schema import to_json_data


def render_rules_json(rule_set: RuleSet) -> str:
    """Every rule with value, unit, meaning, sources and alternative readings."""
    data = {
        "name": rule_set.name,
        "title": rule_set.title,
        "rules": {
            rule_id: to_json_data(rule, exclude={"reading"}, exclude_none=True)
            for rule_id, rule in rule_set.items()
        },
    }
    return dumps_indented(data) + "\n"


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
        sources = "\n".join(f'{src.short} "{src.quote or src.says}"' for src in rule.sources)
        table.add_row(*_cells(f"{rule_id}\n{rule.describe()}", f"{rule.meaning}\n{sources}"))
        for name, alt in rule.alternatives.items():
            alt_sources = "\n".join(f'{src.short} "{src.quote or src.says}"' for src in alt.sources)
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
        sources = "\n".join(f'{src.short} "{src.quote or src.says}"' for src in rule.sources)
        table.add_row(*_cells(rule_id, rule.describe(), rule.meaning, sources))
        for name, alt in rule.alternatives.items():
            alt_sources = "\n".join(f'{src.short} "{src.quote or src.says}"' for src in alt.sources)
            table.add_row(
                *_cells(f"  or {name}", alt.describe(), alt.meaning, alt_sources), style="dim"
            )
    return table


def _cells(*texts: str) -> list[Text]:
    return [Text("\n".join(plain(line) for line in text.split("\n"))) for text in texts]


def render_show(rule_set: RuleSet, item: str) -> str:
    """One milestone (its cases, rules, readings and sources) or one rule, as text."""
    from protectcalc.errors import InputError

    plan = rule_set.plan_for(None)
    lines: list[str] = []
    specs = rule_set.data.milestones
    if item in specs and specs[item].cycle is None:
        spec = specs[item]
        lines.append(f"milestone {item}: {spec.label} ({spec.actor}, {spec.kind.value})")
        for number, case in enumerate(spec.all_cases(), start=1):
            lines.append(f"  case {number}: when {case.when or 'always'}")
            if case.event:
                lines.append(f"    the given event {case.event}")
            else:
                step = case.add or case.add_days or (f"- {case.subtract}" if case.subtract else "")
                lines.append(f"    from {case.from_}" + (f" + {step}" if step else ""))
            if case.floor:
                lines.append(f"    never earlier than {case.floor}")
            for rule_id in case.rules or ((case.add or case.subtract or "").split(".")[0],):
                if rule_id and not rule_id.startswith("@") and rule_id in rule_set:
                    lines.extend(_rule_lines(rule_set, rule_id, indent="    "))
        if spec.done:
            lines.append(f"  done when {spec.done}")
        if spec.effective_from or spec.effective_until:
            lines.append(
                f"  in force {spec.effective_from or '...'} to {spec.effective_until or '...'}"
            )
    elif item in plan.labels:
        node = next(n for n in plan.nodes if not hasattr(n, "spec") or item in _outputs(n))
        lines.append(f"milestone {item}: {plan.labels[item]} (part of the cycle {node.id})")
        cycle = specs[node.id].cycle
        assert cycle is not None
        lines.append(f"  rounds: {cycle.rounds}; stops at: {', '.join(cycle.stop) or 'nothing'}")
        for cycle_step in cycle.steps:
            lines.append(
                f"  step {cycle_step.id}: + {cycle_step.add}; reply {cycle_step.reply}; "
                f"planned {cycle_step.plan}"
            )
            lines.extend(_rule_lines(rule_set, cycle_step.add, indent="    "))
    elif item in rule_set:
        lines.extend(_rule_lines(rule_set, item, indent=""))
    else:
        known = ", ".join([*plan.milestone_ids(), *(rule for rule, _ in rule_set.items())])
        raise InputError("ITEM", item, f"is neither a milestone nor a rule (known: {known})")
    return "\n".join(lines) + "\n"


def _outputs(node: object) -> list[str]:
    outputs = getattr(node, "outputs", None)
    return list(outputs()) if outputs is not None else [getattr(node, "id", "")]


def _rule_lines(rule_set: RuleSet, rule_id: str, indent: str) -> list[str]:
    rule = rule_set[rule_id]
    lines = [f"{indent}rule {rule_id} = {rule.describe()}: {rule.meaning}"]
    for src in rule.sources:
        lines.append(f'{indent}  source {src.seed or src.url}: "{src.quote or src.says}"')
    for name, alt in rule.alternatives.items():
        shown = ", ".join(src.short for src in alt.sources)
        lines.append(f"{indent}  reading {name}: {alt.describe()} ({shown}): {alt.meaning}")
    return lines
