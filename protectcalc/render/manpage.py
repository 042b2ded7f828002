"""The manual page: ``protectcalc --help`` and every command's help as roff (man(7)).

Pure: the command tree goes in (click's objects, as Typer builds them), the text of a
section-1 manual page comes out, so the page never drifts from ``--help``. Rich markup in the
help (``[cyan]...[/cyan]``) is dropped; indented example lines stay as example lines.
"""

from __future__ import annotations

import re
from typing import Any

_HEADING = re.compile(r"\[bold\](.*?)\[/bold\](.*)")
_MARKUP = re.compile(r"\[/?(?:bold|cyan|red|green|yellow|dim|italic|b|i|magenta|blue)\]")

EXIT_STATUS = (
    ("0", "success."),
    ("1", "replay found a scenario whose deadlines differ from its expectations."),
    (
        "2",
        "bad input or usage: one line on standard error names the option or file, the value "
        "and what is wrong; nothing is written.",
    ),
    ("3", "status, due: one of your deadlines falls within --within."),
    ("130", "interrupted."),
)
ENVIRONMENT = (
    ("PROTECTCALC_ORDERS", "The order book folder (--orders wins over it)."),
    (
        "XDG_DATA_HOME",
        "The book defaults to $XDG_DATA_HOME/protectcalc/orders, else "
        "~/.local/share/protectcalc/orders.",
    ),
    ("TZ", "The system time zone, used when an order names none."),
    ("NO_COLOR", "No colour in tables, even on a terminal."),
)


def escape(text: str) -> str:
    """Text safe in roff: backslashes, hyphens of options, and a leading dot or quote."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    if text.startswith((".", "'")):
        text = "\\&" + text
    return text


def plain(text: str) -> str:
    """Help text without Rich markup."""
    return _MARKUP.sub("", text)


def _paragraphs(text: str) -> list[str]:
    """Help text as roff: paragraphs, and indented lines (examples) as no-fill blocks."""
    out: list[str] = []
    for raw in re.split(r"\n\s*\n", text.strip("\n")):
        heading = _HEADING.fullmatch(raw.strip())
        if heading is not None:
            out += [".PP", f"\\fB{escape(heading.group(1))}\\fR{escape(heading.group(2))}"]
            continue
        block = plain(raw)
        lines = block.split("\n")
        if all(line.startswith("    ") for line in lines if line.strip()):
            out += [".RS 4", ".nf", *(escape(line.strip()) for line in lines), ".fi", ".RE"]
        else:
            out += [".PP", escape(" ".join(line.strip() for line in lines))]
    return out


def _metavar(param: Any, context: Any) -> str:
    if getattr(param, "is_flag", False):
        return ""
    metavar = getattr(param, "metavar", None)
    if metavar:
        return str(metavar)
    try:
        shown = str(param.display_type(context)).strip("<>")
    except (AttributeError, TypeError):
        return "VALUE"
    return shown.upper() if "|" not in shown else shown


def _usage(name: str, command: Any) -> str:
    parts = [f"\\fBprotectcalc {escape(name)}\\fR"]
    for param in command.params:
        if getattr(param, "param_type_name", "") == "argument":
            shown = escape(str(param.name).upper())
            many = "..." if param.nargs == -1 else ""
            parts.append(f"\\fI{shown}\\fR{many}" if param.required else f"[\\fI{shown}\\fR{many}]")
    if any(getattr(p, "param_type_name", "") == "option" for p in command.params):
        parts.append("[\\fIOPTIONS\\fR]")
    return " ".join(parts)


def _options(command: Any, context: Any) -> list[str]:
    out: list[str] = []
    for param in command.params:
        if getattr(param, "param_type_name", "") != "option" or getattr(param, "hidden", False):
            continue
        names = ", ".join(f"\\fB{escape(opt)}\\fR" for opt in [*param.opts, *param.secondary_opts])
        metavar = _metavar(param, context)
        head = names + (f" \\fI{escape(metavar)}\\fR" if metavar else "")
        out += [".TP", head, escape(" ".join(plain(param.help or "").split()))]
    return out


def render_man(root: Any, commands: list[tuple[str, Any]], version: str, context: Any) -> str:
    """A section-1 manual page for the program and each of its commands.

    ``root`` and ``commands`` are click commands as Typer builds them; ``context`` is a click
    context of the root (the option types need one to show their values).
    """
    lines = [
        f'.TH PROTECTCALC 1 "" "protectcalc {escape(version)}" "User Commands"',
        ".SH NAME",
        "protectcalc \\- buyer\\-protection deadlines for marketplace orders",
        ".SH SYNOPSIS",
        ".B protectcalc",
        "\\fICOMMAND\\fR [\\fIARGUMENTS\\fR] [\\fIOPTIONS\\fR]",
        ".br",
        ".B protectcalc",
        "\\fB\\-\\-version\\fR | \\fB\\-\\-help\\fR",
        ".SH DESCRIPTION",
        *_paragraphs(root.help or ""),
        ".PP",
        "Every command prints its own help with \\fB\\-\\-help\\fR; this page is made from it.",
        ".SH COMMANDS",
    ]
    for name, command in commands:
        lines += [".SS " + escape(name), _usage(name, command)]
        lines += _paragraphs(command.help or "")
        options = _options(command, context)
        if options:
            lines += [".PP", "Options:", ".RS 4", *options, ".RE"]
    lines.append(".SH EXIT STATUS")
    for code, meaning in EXIT_STATUS:
        lines += [".TP", f"\\fB{code}\\fR", escape(meaning)]
    lines.append(".SH ENVIRONMENT")
    for name, meaning in ENVIRONMENT:
        lines += [".TP", f"\\fB{name}\\fR", escape(meaning)]
    lines += [
        ".SH FILES",
        ".TP",
        "\\fI~/.local/share/protectcalc/orders/NAME.yaml\\fR",
        escape("One order of the book: the order-file format (a scenario without expect)."),
        ".SH SEE ALSO",
        "The README of protectcalc: the rules with their sources, the JSON contract, recipes.",
    ]
    return "\n".join(lines) + "\n"
