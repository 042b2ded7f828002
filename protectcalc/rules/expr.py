"""The small expression language of rule sets: parsed once, compiled to Python functions.

Why a language and not Python: a rule set is data that users write and share, so it must be
safe to load (its text is never given to ``eval``), checkable before it runs (every name it
reads is known after parsing, which builds the dependency graph), and cheap per order
(compiled once per process: the parsed tree, never the text, is turned into the source of
one Python function per expression). The same parsed tree is compiled to column expressions
for batch.

Grammar (lowest binding first)::

    expr    := and ('or' and)*
    and     := not ('and' not)*
    not     := 'not' not | compare
    compare := sum (('<' | '<=' | '>' | '>=' | '==' | '!=') sum)?
    sum     := unary (('+' | '-') unary)*
    unary   := '-' unary | postfix
    postfix := primary ('.' NAME | '[' expr ']')*
    primary := NUMBER | STRING | 'true' | 'false' | 'null' | NAME | NAME '(' args ')' | '(' expr ')'

Values are None (absent), bool, int, str, instants (aware ``datetime``), dates, durations
(``timedelta``), tuples (repeatable events) and whatever the evaluation context gives for a
name (milestones, rules). Absent propagates: arithmetic with None is None, and an ordering
comparison with None is false. Instants compare as instants (in UTC), never as wall clocks.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import CodeType
from typing import Any, Protocol

from protectcalc.clock import add_elapsed, format_span, time_between, utc, wall


class ExpressionError(ValueError):
    """An expression that does not parse, or names something unknown; says where."""


class Scope(Protocol):
    """What an expression reads while it is evaluated."""

    @property
    def locals(self) -> Mapping[str, Any]:
        """The :data:`LOCAL_NAMES` bound now; a name found here is not read from ``env``."""

    @property
    def env(self) -> Mapping[str, Any]:
        """Every name but the :data:`LOCAL_NAMES`, already resolved by precedence (None or
        missing: absent)."""

    @property
    def now(self) -> datetime:
        """The moment judged."""


Compiled = Callable[[Scope], Any]
"""A compiled expression: give it a scope, get a value."""

Condition = Callable[[Scope], bool]
"""A compiled condition: its expression's value as a bool (absent and false are false)."""

FirstHolding = Callable[[Scope, int], int]
"""Compiled conditions tried in turn: given a scope and where to start, the index of the first
that holds, or -1 (see :func:`compile_first`)."""


class Durational(Protocol):
    """A value that can stand for a duration (a rule of days or hours)."""

    def as_duration(self) -> timedelta | None:
        """The elapsed time it stands for, or None."""


class Numeric(Protocol):
    """A value that can stand for a number (a count rule)."""

    def as_number(self) -> int | None:
        """The number it stands for, or None."""


class Instantive(Protocol):
    """A value that can stand for an instant (a milestone)."""

    def as_instant(self) -> datetime | None:
        """The instant it stands for, or None."""


_TOKEN = re.compile(
    r"\s*(?:(?P<number>\d+)|(?P<string>'[^']*'|\"[^\"]*\")|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op><=|>=|==|!=|[-+<>().,\[\]]))"
)
_KEYWORDS = {"and", "or", "not", "true", "false", "null"}


@dataclass(frozen=True)
class Node:
    """One node of a parsed expression."""

    kind: str
    value: Any = None
    children: tuple[Node, ...] = ()

    def names(self) -> set[str]:
        """Every name the expression reads (functions excluded): the graph's edges."""
        found: set[str] = set()
        if self.kind == "name":
            found.add(self.value)
        for child in self.children:
            found |= child.names()
        return found


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise ExpressionError(f"cannot read {text[position:].strip()[:20]!r} in {text!r}")
        kind = match.lastgroup
        assert kind is not None
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.index = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            wanted = f"{value!r}" if value else "more"
            raise ExpressionError(f"expected {wanted} in {self.text!r}")
        self.index += 1
        return token

    def at(self, *values: str) -> bool:
        token = self.peek()
        return token is not None and token[1] in values and token[0] in ("op", "name")

    def parse(self) -> Node:
        node = self.disjunction()
        if self.peek() is not None:
            raise ExpressionError(f"unexpected {self.peek()[1]!r} in {self.text!r}")  # type: ignore[index]
        return node

    def disjunction(self) -> Node:
        node = self.conjunction()
        while self.at("or"):
            self.take()
            node = Node("or", children=(node, self.conjunction()))
        return node

    def conjunction(self) -> Node:
        node = self.negation()
        while self.at("and"):
            self.take()
            node = Node("and", children=(node, self.negation()))
        return node

    def negation(self) -> Node:
        if self.at("not"):
            self.take()
            return Node("not", children=(self.negation(),))
        return self.comparison()

    def comparison(self) -> Node:
        node = self.sum()
        if self.at("<", "<=", ">", ">=", "==", "!="):
            operator = self.take()[1]
            node = Node("compare", operator, (node, self.sum()))
        return node

    def sum(self) -> Node:
        node = self.unary()
        while self.at("+", "-"):
            operator = self.take()[1]
            node = Node("arith", operator, (node, self.unary()))
        return node

    def unary(self) -> Node:
        if self.at("-"):
            self.take()
            return Node("negate", children=(self.unary(),))
        return self.postfix()

    def postfix(self) -> Node:
        node = self.primary()
        while self.at(".", "["):
            if self.take()[1] == ".":
                kind, name = self.take()
                if kind != "name":
                    raise ExpressionError(f"expected a name after '.' in {self.text!r}")
                node = Node("attr", name, (node,))
            else:
                key = self.disjunction()
                self.take("]")
                node = Node("index", children=(node, key))
        return node

    def primary(self) -> Node:
        kind, value = self.take()
        if kind == "number":
            return Node("const", int(value))
        if kind == "string":
            return Node("const", value[1:-1])
        if kind == "op" and value == "(":
            node = self.disjunction()
            self.take(")")
            return node
        if kind != "name":
            raise ExpressionError(f"unexpected {value!r} in {self.text!r}")
        if value in ("true", "false"):
            return Node("const", value == "true")
        if value == "null":
            return Node("const", None)
        if value in _KEYWORDS:
            raise ExpressionError(f"unexpected {value!r} in {self.text!r}")
        if self.at("("):
            self.take()
            args: list[Node] = []
            if not self.at(")"):
                args.append(self.disjunction())
                while self.at(","):
                    self.take()
                    args.append(self.disjunction())
            self.take(")")
            if value not in FUNCTIONS:
                known = ", ".join(sorted(FUNCTIONS))
                raise ExpressionError(f"unknown function {value!r} (known: {known})")
            return Node("call", value, tuple(args))
        return Node("name", value)


@functools.lru_cache(maxsize=4096)
def parse(text: str) -> Node:
    """Parse an expression; :class:`ExpressionError` says what is wrong and where.

    Kept per text (nodes are immutable): a rule set says ``from`` or ``protection_end`` many
    times, and half of the parsing at start-up was of texts already parsed.
    """
    if not text.strip():
        raise ExpressionError("empty expression")
    node = _Parser(text).parse()
    if _nesting(node) > MAX_NESTING:
        raise ExpressionError(f"{text!r} is nested more than {MAX_NESTING} levels deep")
    return node


MAX_NESTING = 32
"""How deep an expression may nest (a chain of ``and`` or of ``or`` counts once): its
generated code must stay well inside what Python compiles (some 200 nested parentheses), so
that a rule set too deep is refused as it is read, with the place."""


def _nesting(node: Node) -> int:
    parts = list(node.children)
    if node.kind in ("and", "or"):  # generated as one flat chain
        pending, parts = parts, []
        while pending:
            item = pending.pop()
            if item.kind == node.kind:
                pending.extend(item.children)
            else:
                parts.append(item)
    return 1 + max((_nesting(part) for part in parts), default=0)


# --- values -----------------------------------------------------------------------------


def instant_of(value: Any) -> datetime | None:
    """The instant a value stands for (a milestone's moment), or None."""
    if isinstance(value, datetime):
        return value
    as_instant = getattr(value, "as_instant", None)
    if as_instant is not None:
        result: datetime | None = as_instant()
        return result
    return None


def duration_of(value: Any) -> timedelta | None:
    """The duration a value stands for (a rule of days or hours), or None."""
    if isinstance(value, timedelta):
        return value
    as_duration = getattr(value, "as_duration", None)
    if as_duration is not None:
        result: timedelta | None = as_duration()
        return result
    return None


def number_of(value: Any) -> int | None:
    """The number a value stands for (a count rule), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    as_number = getattr(value, "as_number", None)
    if as_number is not None:
        result: int | None = as_number()
        return result
    return None


def _comparable(value: Any) -> Any:
    kind = type(value)
    if kind is datetime:  # the common cases first: an event's instant, a count, absent
        return utc(value)
    if kind is int or value is None:
        return value
    # instant_of, inline: a milestone (first: no bool, str, date or timedelta has as_instant)
    as_instant = getattr(value, "as_instant", None)
    if as_instant is not None:
        moment = as_instant()
        if moment is not None:
            return utc(moment)
    if isinstance(value, bool | str | date | timedelta):
        if isinstance(value, datetime):
            return utc(value)
        return value
    number = number_of(value)
    if number is not None:
        return number
    duration = duration_of(value)
    if duration is not None:
        return duration
    return value


def _compare(operator: str, left: Any, right: Any) -> bool:
    a, b = _comparable(left), _comparable(right)
    if operator == "==":
        return bool(a == b)
    if operator == "!=":
        return bool(a != b)
    if a is None or b is None:
        return False
    try:
        match operator:
            case "<":
                return bool(a < b)
            case "<=":
                return bool(a <= b)
            case ">":
                return bool(a > b)
            case _:
                return bool(a >= b)
    except TypeError:
        return False


def _arith(operator: str, left: Any, right: Any) -> Any:
    if left is None or right is None:
        return None
    moment = instant_of(left)
    if moment is not None:
        span = duration_of(right)
        if span is not None:
            return add_elapsed(moment, span if operator == "+" else -span)
        other = instant_of(right)
        if other is not None and operator == "-":
            return time_between(other, moment)
        return None
    a, b = number_of(left), number_of(right)
    if a is not None and b is not None:
        return a + b if operator == "+" else a - b
    da, db = duration_of(left), duration_of(right)
    if da is not None and db is not None:
        return da + db if operator == "+" else da - db
    return None


def _present(value: Any) -> bool:
    return value is not None and value != ()


def _count(value: Any) -> int:
    if isinstance(value, tuple):
        return len(value)
    return 0 if value is None else 1


def _sum(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, tuple):
        return sum(number_of(item) or 0 for item in value)
    return number_of(value) or 0


def _item(value: Any, position: Any) -> Any:
    if not isinstance(value, tuple) or not isinstance(position, int):
        return None
    return value[position - 1] if 1 <= position <= len(value) else None


def _pick(values: tuple[Any, ...], latest: bool) -> Any:
    moments = [(instant_of(item), item) for item in values if item is not None]
    found = [(utc(moment), item) for moment, item in moments if moment is not None]
    if not found:
        return None
    chosen = max(found, key=lambda pair: pair[0]) if latest else min(found, key=lambda p: p[0])
    return chosen[1]


def _date(value: Any) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    day = getattr(value, "day", None)
    if isinstance(day, date) and not isinstance(day, datetime):
        return day
    moment = instant_of(value)
    return moment.date() if moment is not None else None


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "present": lambda scope, value: _present(value),
    "absent": lambda scope, value: not _present(value),
    "count": lambda scope, value: _count(value),
    "sum": lambda scope, value: _sum(value),
    "item": lambda scope, value, position: _item(value, position),
    "days": lambda scope, n: None if number_of(n) is None else timedelta(days=number_of(n) or 0),
    "hours": lambda scope, n: None if number_of(n) is None else timedelta(hours=number_of(n) or 0),
    "min": lambda scope, *values: _pick(values, latest=False),
    "max": lambda scope, *values: _pick(values, latest=True),
    "date": lambda scope, value: _date(value),
    "left": lambda scope, value: (
        None if instant_of(value) is None else time_between(scope.now, instant_of(value))  # type: ignore[arg-type]
    ),
}
"""The functions an expression may call; each takes the scope first."""


def _attribute(value: Any, name: str) -> Any:
    if value is None:
        return None
    if isinstance(value, datetime | date) and name == "day":
        return value.date() if isinstance(value, datetime) else value
    getter = getattr(value, "attribute", None)
    if getter is not None:
        return getter(name)
    return None


def _index(value: Any, key: Any) -> Any:
    if value is None or key is None:
        return None
    if isinstance(value, Mapping):
        return value.get(str(key))
    return None


LOCAL_NAMES = frozenset({"from", "count", "k", "at", "due", "start", "from_label", "rounds"})
"""Names an evaluation context binds for one part only (a case's anchor, a cycle's round).

A scope keeps every other name in one flat mapping, ``env``, already resolved by precedence,
so a compiled name reads one dict entry; these are read from ``locals`` first.
"""

_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
_FILTERS = ("date", "time", "span", "capitalize")


def _show(value: Any) -> str | None:
    """A value as text: instants on the wall clock, dates ISO, rules described."""
    kind = type(value)
    if kind is datetime:  # the common kinds first: an instant, a label, a round's number
        return wall(value)
    if kind is str:
        return value  # type: ignore[no-any-return]
    if kind is int:
        return str(value)
    if value is None:
        return None
    # A rule, then a milestone or a fact, before the isinstance tests: no bool, datetime, date
    # or timedelta has ``describe`` or ``as_instant``, so the order of the answers is kept.
    describe = getattr(value, "describe", None)
    if describe is not None:
        return str(describe())
    as_instant = getattr(value, "as_instant", None)
    if as_instant is not None:
        moment = as_instant()
        if moment is not None:
            return wall(moment)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return wall(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return format_span(value)
    return str(value)


def _filtered(value: Any, name: str) -> str | None:
    if value is None:
        return None
    match name:
        case "date":
            day = _date(value)
            return day.isoformat() if day is not None else None
        case "time":
            moment = instant_of(value)
            return moment.strftime("%Y-%m-%d %H:%M") if moment is not None else None
        case "span":
            span = duration_of(value)
            return format_span(span) if span is not None else None
        case _:
            text = _show(value)
            return text.capitalize() if text is not None else None


_BOOLEAN_KINDS = frozenset({"not", "and", "or", "compare"})
_BOOLEAN_CALLS = frozenset({"present", "absent"})


def _returns_bool(node: Node) -> bool:
    if node.kind in _BOOLEAN_KINDS:
        return True
    if node.kind == "call" and node.value in _BOOLEAN_CALLS:
        return True
    return node.kind == "const" and isinstance(node.value, bool)


def _ordered(ordering: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    """An ordering of two comparable values: false when one is absent or they do not order."""

    def ordered(a: Any, b: Any) -> bool:
        if a is None or b is None:
            return False
        try:
            return bool(ordering(a, b))
        except TypeError:
            return False

    return ordered


_GENERATED_NAMESPACE: dict[str, Any] = {
    "__builtins__": {},
    "utc": utc,
    "datetime": datetime,
    "_attribute": _attribute,
    "_index": _index,
    "_arith": _arith,
    "_comparable": _comparable,
    "_present": _present,
    "_count": _count,
    "_sum": _sum,
    "_item": _item,
    "_date": _date,
    "_show": _show,
    "_filtered": _filtered,
    "wall": wall,
    "type": type,
    "str": str,
    "tuple": tuple,
    "int": int,
    "_lt": _ordered(operator.lt),
    "_le": _ordered(operator.le),
    "_gt": _ordered(operator.gt),
    "_ge": _ordered(operator.ge),
    **{f"_call_{name}": function for name, function in FUNCTIONS.items()},
}
"""What generated code may name: the helpers below, never a builtin (it reads no input)."""

_ORDERING_HELPERS = {"<": "_lt", "<=": "_le", ">": "_gt", ">=": "_ge"}
_SCOPE_FREE_CALLS = {"count": "_count", "sum": "_sum", "item": "_item", "date": "_date"}
"""Functions that ignore the scope, called directly (FUNCTIONS wraps them in a lambda)."""
_SELF_COMPARABLE = (int, str, bool, type(None))
"""Constants :func:`_comparable` returns as they are (so generated code skips the call)."""


class _Source:
    """Python source for one parsed expression or template, to compile into one function.

    A tree of closures costs a Python call per node; one generated function per expression
    evaluates the same nodes inline (a name is one dict read, ``and`` is Python's ``and``) and
    calls the same helpers as the closures did for everything else, so values and errors are
    the same. Only validated names (``[A-Za-z_][A-Za-z0-9_]*``) and constants the parser made
    (ints, strings, booleans, None; written with ``repr``) reach the source.
    """

    def __init__(self) -> None:
        self.temporaries = 0
        self.reads_env = False
        self.reads_locals = False

    def temporary(self) -> str:
        self.temporaries += 1
        return f"_t{self.temporaries}"

    def value(self, node: Node) -> str:
        match node.kind:
            case "const":
                return repr(node.value)
            case "name":
                self.reads_env = True
                name = repr(node.value)
                if node.value in LOCAL_NAMES:  # a local first, then ``env``
                    self.reads_locals = True
                    return f"(bound[{name}] if {name} in bound else get({name}))"
                return f"get({name})"
            case "attr":
                return f"_attribute({self.value(node.children[0])}, {node.value!r})"
            case "index":
                base, key = (self.value(child) for child in node.children)
                return f"_index({base}, {key})"
            case "not":
                return f"(not {self.condition(node.children[0])})"
            case "and" | "or":
                return self.chain(node)
            case "compare":
                return self.compare(node)
            case "arith":
                left, right = (self.value(child) for child in node.children)
                return f"_arith({node.value!r}, {left}, {right})"
            case "negate":
                return f"_arith('-', 0, {self.value(node.children[0])})"
            case "call":
                return self.call(node)
        raise ExpressionError(f"cannot compile {node.kind}")  # pragma: no cover

    def condition(self, node: Node) -> str:
        """A child of and/or/not as a bool: absent (None or an empty list) and false are
        false, anything else true."""
        code = self.value(node)
        if _returns_bool(node):
            return code
        held = self.temporary()
        return (
            f"(({held} := {code}) is True or ({held} is not False and {held} is not None "
            f"and {held} != ()))"
        )

    def chain(self, node: Node) -> str:
        parts: list[Node] = []
        pending = [node]
        while pending:  # flatten left-nested chains of the same operator, keeping their order
            item = pending.pop()
            if item.kind == node.kind:
                pending.extend(reversed(item.children))
            else:
                parts.append(item)
        joined = f" {node.kind} ".join(self.condition(part) for part in parts)
        return f"({joined})"

    def comparable(self, node: Node) -> str:
        code = self.value(node)
        if node.kind == "const" and isinstance(node.value, _SELF_COMPARABLE):
            return code
        held, kind = self.temporary(), self.temporary()
        return (  # _comparable's commonest kinds without the call: an instant, a count, absent
            f"(utc({held}) if ({kind} := type({held} := {code})) is datetime "
            f"else {held} if {kind} is int or {held} is None else _comparable({held}))"
        )

    def compare(self, node: Node) -> str:
        left, right = (self.comparable(child) for child in node.children)
        if node.value in ("==", "!="):
            return f"({left} {node.value} {right})"
        return f"{_ORDERING_HELPERS[node.value]}({left}, {right})"

    def call(self, node: Node) -> str:
        name = node.value
        if name in _BOOLEAN_CALLS:
            (argument,) = node.children
            held = self.temporary()
            code = self.value(argument)
            # ``!= ()`` only for a tuple: no other value is equal to (), and a milestone's
            # dataclass __eq__ is a Python call
            if name == "present":
                return (
                    f"(({held} := {code}) is not None "
                    f"and (type({held}) is not tuple or {held} != ()))"
                )
            return f"(({held} := {code}) is None or (type({held}) is tuple and {held} == ()))"
        args = [self.value(child) for child in node.children]
        if name in _SCOPE_FREE_CALLS:
            return f"{_SCOPE_FREE_CALLS[name]}({', '.join(args)})"
        return f"_call_{name}({', '.join(['scope', *args])})"

    def function(
        self, body: list[str], label: str, parameters: str = "scope"
    ) -> Callable[..., Any]:
        """Compile ``body`` (lines of a function of ``parameters``) into that function."""
        lines = [f"def _generated({parameters}):"]
        if self.reads_env:
            lines.append("    get = scope.env.get")
        if self.reads_locals:
            lines.append("    bound = scope.locals")
        lines.extend(f"    {line}" for line in body)
        return _compile_function("\n".join(lines), label)


GeneratedKey = tuple[str, str]
"""A generated source and its label (the file name its code object carries)."""

_PRECOMPILED: dict[GeneratedKey, CodeType] = {}
"""Code objects of generated sources compiled when the package was built (the shipped rule
sets', see ``rules/codecache.py``): ``compile()`` of every source was a quarter of a
command's instructions. Keyed by the whole source text, so a stale entry is never used."""

_compiled_now: dict[GeneratedKey, CodeType] | None = None
"""Where :func:`record_compiled` collects what is compiled (None: nowhere)."""


def use_precompiled(codes: Mapping[GeneratedKey, CodeType]) -> None:
    """Take code objects compiled earlier from these sources, in place of ``compile()``."""
    _PRECOMPILED.update(codes)


def record_compiled() -> dict[GeneratedKey, CodeType]:
    """From now on, collect in the mapping returned what is compiled for want of a
    precompiled code object: what a shipped set's code cache stores, and what its test
    expects to stay empty. :func:`stop_recording` ends it."""
    global _compiled_now
    _compiled_now = {}
    return _compiled_now


def stop_recording() -> None:
    """Collect no longer (see :func:`record_compiled`)."""
    global _compiled_now
    _compiled_now = None


def compile_generated(source: str, label: str) -> CodeType:
    """``compile()`` of a generated source, as every code object of it is made."""
    try:
        return compile(source, f"<{label}>", "exec", dont_inherit=True)
    except (SyntaxError, RecursionError, MemoryError):  # parse() refuses deep nesting first
        raise ExpressionError(f"a {label} is nested too deeply") from None


@functools.lru_cache(maxsize=4096)
def _compile_function(source: str, label: str) -> Callable[..., Any]:
    """The function a generated source defines (kept per source: texts repeat in rule sets)."""
    key = (source, label)
    code = _PRECOMPILED.get(key)
    if code is None:
        code = compile_generated(source, label)
        if _compiled_now is not None:
            _compiled_now[key] = code
    namespace: dict[str, Any] = {}
    exec(code, _GENERATED_NAMESPACE, namespace)
    function: Callable[..., Any] = namespace["_generated"]
    return function


def compile_node(node: Node) -> Compiled:
    """Turn a parsed expression into one Python function of a :class:`Scope`.

    Conditions run many times for every order: generated code evaluates a whole expression in
    one call, where a tree of closures made a call per node.
    """
    source = _Source()
    code = source.value(node)
    return source.function([f"return {code}"], "rule expression")


_BLOCK = 8
"""Conditions per block of a :func:`compile_first` function."""


def compile_first(conditions: Sequence[Node | None]) -> FirstHolding:
    """One function for a list of conditions tried in turn (a milestone's cases, the phases):
    the index of the first from ``start`` on that holds (None always holds), or -1.

    A call per condition cost more than most conditions themselves; the conditions are
    evaluated in the same order and stop at the same place.
    """
    source = _Source()
    body: list[str] = []
    for index, node in enumerate(conditions):
        if index % _BLOCK == 0:  # a later start passes a block with one test, not one a condition
            body.append(f"if start <= {index + _BLOCK - 1}:")
        test = f"start <= {index}" + (f" and {source.condition(node)}" if node else "")
        body.append(f"    if {test}: return {index}")
    body.append("return -1")
    return source.function(body, "rule conditions", "scope, start")


def compile_condition(node: Node) -> Condition:
    """Like :func:`compile_node`, for an expression used as a condition: the function returns
    a bool (see :meth:`_Source.condition`), so the engine need not judge the value."""
    source = _Source()
    code = source.condition(node)
    return source.function([f"return {code}"], "rule condition")


# --- templates --------------------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    """Text with ``{expression}`` or ``{expression|filter}`` placeholders, compiled once."""

    text: str
    parts: tuple[str | tuple[Node, str | None], ...]
    """The literal texts and the placeholders (parsed expression and filter), in order."""
    names: frozenset[str]
    render: Callable[[Scope], str | None] = field(repr=False, compare=False)
    """The text for a scope; None when a placeholder has no value (the text would mislead).
    One generated function (see :class:`_Source`): templates render many times an order."""


def template(text: str) -> Template:
    """Compile a template; :class:`ExpressionError` names the bad placeholder."""
    parts: list[str | tuple[Node, str | None]] = []
    names: set[str] = set()
    position = 0
    for match in _PLACEHOLDER.finditer(text):
        parts.append(text[position : match.start()])
        body, _, filter_name = match.group(1).partition("|")
        filter_name = filter_name.strip()
        if filter_name and filter_name not in _FILTERS:
            raise ExpressionError(
                f"unknown filter {filter_name!r} in {{{match.group(1)}}} (known: "
                f"{', '.join(_FILTERS)})"
            )
        node = parse(body)
        names |= node.names()
        parts.append((node, filter_name or None))
        position = match.end()
    parts.append(text[position:])
    kept = tuple(part for part in parts if part != "")
    return Template(text, kept, frozenset(names), _compile_template(kept))


def _compile_template(
    parts: tuple[str | tuple[Node, str | None], ...],
) -> Callable[[Scope], str | None]:
    """One function that shows each placeholder in turn and stops at the first without a
    value, as rendering part by part did."""
    source = _Source()
    body: list[str] = []
    pieces: list[str] = []
    for part in parts:
        if isinstance(part, str):
            pieces.append(repr(part))
            continue
        node, filter_name = part
        value, shown = source.temporary(), source.temporary()
        body.append(f"{value} = {source.value(node)}")
        if filter_name:
            body.append(f"{shown} = _filtered({value}, {filter_name!r})")
        else:  # _show's commonest kinds first, without the call
            body.append(
                f"{shown} = wall({value}) if type({value}) is datetime else {value} "
                f"if type({value}) is str else _show({value})"
            )
        body.append(f"if {shown} is None: return None")
        pieces.append(shown)
    body.append(f"return {' + '.join(pieces) if pieces else repr('')}")
    return source.function(body, "rule template")
