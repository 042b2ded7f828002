"""One error type for everything the user can get wrong.

The shell turns an :class:`InputError` into one line on stderr and exit code 2; the
core never prints. ``field`` is the order field (``confirmed``), so each caller can name
it in its own words (``--confirmed`` on the command line, ``order.confirmed`` in a file).
"""

from __future__ import annotations


def option_label(field: str) -> str:
    """How the command line spells an order field: ``dispute_opened`` -> ``--dispute-opened``.

    Upper-case names (``ORDER_FILE``, ``TZ``) are arguments or variables and stay as they are.
    """
    if not field or field.isupper() or not field.replace("_", "").isalnum():
        return field
    return "--" + field.replace("_", "-")


class InputError(ValueError):
    """Bad input: names the field, the value and what is wrong with it."""

    def __init__(self, field: str, value: object, problem: str) -> None:
        self.field = field
        self.value = value
        self.problem = problem
        super().__init__(self.describe(option_label(field)))

    def describe(self, label: str) -> str:
        """The one-line message, naming the input as ``label``."""
        if self.value is None or self.value == "":
            shown = "" if self.value is None else " ''"
            return f"{label}{shown}: {self.problem}"
        shown = str(self.value)
        if not shown.isprintable():  # a newline or control character would break the one line
            shown = repr(shown)
        return f"{label} {shown}: {self.problem}"


class InputErrors(InputError):
    """Several problems found at once (an order file with more than one bad value).

    The shell prints one line per problem; code that handles one :class:`InputError` sees
    the first.
    """

    def __init__(self, errors: list[InputError]) -> None:
        self.errors = tuple(errors)
        first = errors[0]
        super().__init__(first.field, first.value, first.problem)
        self.args = (str(first),)

    def lines(self) -> list[str]:
        """One line per problem."""
        return [str(error) for error in self.errors]


def error_lines(error: Exception) -> list[str]:
    """The lines an error prints: one per problem."""
    if isinstance(error, InputErrors):
        return error.lines()
    return [str(error)]


def raise_all(errors: list[InputError]) -> None:
    """Raise the problems found, one or several; nothing when there are none."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise InputErrors(errors)


class RuleSetError(ValueError):
    """A rule set file that cannot be read or does not validate."""
