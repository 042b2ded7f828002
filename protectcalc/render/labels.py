"""Plain words for a milestone, for people reading a table or a calendar."""

from __future__ import annotations

import re

from protectcalc.model import Milestone


def label(item: Milestone) -> str:
    """The rule set's label of a milestone (its id in words when it has none)."""
    return item.label or item.id.replace("_", " ")


_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, screen clears
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: window titles, hyperlinks
    r"|\x1b[@-_]?"  # any other escape
    r"|[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]"  # controls, bidi overrides
)


def plain(text: str) -> str:
    """A name or title from a file, safe to print as text: no terminal escape sequence runs.

    Why: an order file's ``name`` is printed to the user's terminal; an escape sequence in it
    could recolour, retitle or clear the screen. Rich markup is neutralised separately, by
    printing the result as a Rich ``Text`` (never parsed as markup).
    """
    return _ESCAPES.sub(lambda found: " " if found.group() in "\t\n\r" else "", text)
