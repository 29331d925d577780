"""A tiny, safe condition language for "show this field / ask this document when ...".

Service forms and requirement lists say when something applies with expressions such as
`jenis_permohonan in ['perubahan','pecah']` or `umur(tanggal_lahir_anak) >= 5`. Those
expressions come from catalog data that regional admins edit, so they are parsed by hand
here and never handed to `eval`: the grammar has no attribute access, no indexing and no
calls other than `umur(...)`, and the evaluator only reads the context mapping.

`pwa/src/forms/conditions.js` implements the same language for the device; both run the
vectors in `tests/vectors/conditions.json`, so a change here needs the same change there.

Grammar (lowest precedence first)::

    expr       := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | comparison
    comparison := operand (("==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not" "in") operand)?
    operand    := literal | list | name | "umur" "(" name ")" | "(" expr ")"
    list       := "[" (literal ("," literal)*)? "]"
    literal    := string | number | "true" | "false" | "null"

Names start with an ASCII letter and continue with letters, digits or `_`; strings use single
or double quotes with `\\` escaping a backslash or a quote; numbers are `-?[0-9]+(.[0-9]+)?`.
Comparisons do not chain (`a < b < c` is a syntax error). Whitespace is space, tab, CR, LF.

Semantics:

- a name the context does not hold is `null`;
- `x == null` / `x != null` test for a missing value; every other comparison with a `null`
  side is false (so a question not answered yet never switches a requirement on);
- `==` never converts types: `'2' == 2` and `1 == true` are false;
- `in` / `not in` need a list on the right: a list literal, or a checkbox field's list value;
- `<`, `<=`, `>`, `>=` compare two numbers or two strings (ISO dates compare correctly),
  anything else is false;
- `umur(field)` is the age in whole years from an ISO date (`YYYY-MM-DD`, a `T...` time part
  is ignored) to the context's `_today`; someone born on 29 February turns a year older on
  1 March in common years. A missing or invalid date, or no `_today`, gives `null`;
- `and`, `or`, `not` and the result of `evaluate` use truthiness: null, false, 0, "" and
  [] are false.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Union

__all__ = [
    "ConditionSyntaxError",
    "Node",
    "age_in_years",
    "evaluate",
    "evaluate_lenient",
    "field_names",
    "parse",
    "parse_iso_date",
]

MAX_LENGTH = 1000  # code points; a `when` hint is one short line
MAX_DEPTH = 32  # nested parentheses / `not`; keeps the recursive parser far from the stack limit
MAX_DIGITS = 15  # integer digits of a number literal; beyond this JS doubles lose precision

KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false", "null"})
COMPARISONS = ("==", "!=", "<=", ">=", "<", ">")
WHITESPACE = " \t\r\n"
FUNCTIONS = frozenset({"umur"})


class ConditionSyntaxError(ValueError):
    """The expression is not in the condition language; `position` is a 0-based code point."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} (position {position})")
        self.reason = message
        self.position = position


# --- nodes -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Literal:
    value: Any  # str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class Name:
    name: str


@dataclass(frozen=True, slots=True)
class ListLiteral:
    items: tuple[Literal, ...]


@dataclass(frozen=True, slots=True)
class Umur:
    name: str


@dataclass(frozen=True, slots=True)
class Not:
    operand: Node


@dataclass(frozen=True, slots=True)
class BoolOp:
    op: str  # "and" | "or"
    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Compare:
    op: str  # one of COMPARISONS, "in", "not in"
    left: Node
    right: Node


Node = Union[Literal, Name, ListLiteral, Umur, Not, BoolOp, Compare]


# --- tokenizer ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # name kw str num op punct end
    value: Any
    pos: int


def _is_letter(c: str) -> bool:
    return ("a" <= c <= "z") or ("A" <= c <= "Z")


def _is_digit(c: str) -> bool:
    return "0" <= c <= "9"


def _describe(c: str) -> str:
    return repr(c) if c.isprintable() else f"U+{ord(c):04X}"


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in WHITESPACE:
            i += 1
        elif _is_letter(c):
            j = i + 1
            while j < n and (_is_letter(text[j]) or _is_digit(text[j]) or text[j] == "_"):
                j += 1
            word = text[i:j]
            tokens.append(_Token("kw" if word in KEYWORDS else "name", word, i))
            i = j
        elif _is_digit(c) or (c == "-" and i + 1 < n and _is_digit(text[i + 1])):
            j = i + 1
            while j < n and _is_digit(text[j]):
                j += 1
            whole = text[i:j]
            if len(whole.lstrip("-")) > MAX_DIGITS:
                raise ConditionSyntaxError("number has too many digits", i)
            if j + 1 < n and text[j] == "." and _is_digit(text[j + 1]):
                j += 1
                while j < n and _is_digit(text[j]):
                    j += 1
                tokens.append(_Token("num", float(text[i:j]), i))
            else:
                tokens.append(_Token("num", int(whole), i))
            i = j
        elif c in "'\"":
            j, chars = i + 1, []
            while True:
                if j >= n:
                    raise ConditionSyntaxError("unterminated string", i)
                d = text[j]
                if d == c:
                    break
                if d == "\\":
                    if j + 1 < n and text[j + 1] in "\\'\"":
                        chars.append(text[j + 1])
                        j += 2
                        continue
                    raise ConditionSyntaxError("unknown escape in string", j)
                chars.append(d)
                j += 1
            tokens.append(_Token("str", "".join(chars), i))
            i = j + 1
        elif c in "()[],":
            tokens.append(_Token("punct", c, i))
            i += 1
        elif c in "=!<>":
            two = text[i : i + 2]
            if two in ("==", "!=", "<=", ">="):
                tokens.append(_Token("op", two, i))
                i += 2
            elif c in "<>":
                tokens.append(_Token("op", c, i))
                i += 1
            else:
                raise ConditionSyntaxError(f"unexpected {_describe(c)}; use == or !=", i)
        else:
            raise ConditionSyntaxError(f"unexpected character {_describe(c)}", i)
    tokens.append(_Token("end", None, n))
    return tokens


# --- parser ------------------------------------------------------------------------------


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.i = 0
        self.depth = 0

    def peek(self, ahead: int = 0) -> _Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def next(self) -> _Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def at(self, kind: str, value: Any = None, ahead: int = 0) -> bool:
        tok = self.peek(ahead)
        return tok.kind == kind and (value is None or tok.value == value)

    def expect(self, kind: str, value: str, what: str) -> _Token:
        if not self.at(kind, value):
            raise self.unexpected(self.peek(), f"expected {what}")
        return self.next()

    @staticmethod
    def unexpected(tok: _Token, hint: str = "") -> ConditionSyntaxError:
        seen = "end of expression" if tok.kind == "end" else repr(tok.value)
        return ConditionSyntaxError(f"unexpected {seen}" + (f", {hint}" if hint else ""), tok.pos)

    def enter(self, tok: _Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ConditionSyntaxError("expression is nested too deeply", tok.pos)

    def parse(self) -> Node:
        if self.at("end"):
            raise ConditionSyntaxError("empty expression", 0)
        node = self.parse_or()
        if not self.at("end"):
            tok = self.peek()
            if tok.kind == "op" or self.at("kw", "in") or (self.at("kw", "not") and self.at("kw", "in", ahead=1)):
                raise ConditionSyntaxError("comparisons cannot be chained; use 'and'", tok.pos)
            raise self.unexpected(tok, "expected 'and', 'or' or the end")
        return node

    def parse_or(self) -> Node:
        operands = [self.parse_and()]
        while self.at("kw", "or"):
            self.next()
            operands.append(self.parse_and())
        return operands[0] if len(operands) == 1 else BoolOp("or", tuple(operands))

    def parse_and(self) -> Node:
        operands = [self.parse_not()]
        while self.at("kw", "and"):
            self.next()
            operands.append(self.parse_not())
        return operands[0] if len(operands) == 1 else BoolOp("and", tuple(operands))

    def parse_not(self) -> Node:
        if self.at("kw", "not"):
            tok = self.next()
            self.enter(tok)
            node = Not(self.parse_not())
            self.depth -= 1
            return node
        return self.parse_comparison()

    def parse_comparison(self) -> Node:
        left = self.parse_operand()
        tok = self.peek()
        if tok.kind == "op":
            self.next()
            op = tok.value
        elif self.at("kw", "in"):
            self.next()
            op = "in"
        elif self.at("kw", "not") and self.at("kw", "in", ahead=1):
            self.next()
            self.next()
            op = "not in"
        else:
            return left
        return Compare(op, left, self.parse_operand())

    def parse_literal(self) -> Literal | None:
        tok = self.peek()
        if tok.kind in ("str", "num"):
            self.next()
            return Literal(tok.value)
        if tok.kind == "kw" and tok.value in ("true", "false", "null"):
            self.next()
            return Literal({"true": True, "false": False, "null": None}[tok.value])
        return None

    def parse_operand(self) -> Node:
        literal = self.parse_literal()
        if literal is not None:
            return literal
        tok = self.peek()
        if tok.kind == "punct" and tok.value == "[":
            self.next()
            items: list[Literal] = []
            if not self.at("punct", "]"):
                while True:
                    item = self.parse_literal()
                    if item is None:
                        raise self.unexpected(self.peek(), "a list holds only strings, numbers, true, false or null")
                    items.append(item)
                    if not self.at("punct", ","):
                        break
                    self.next()
            self.expect("punct", "]", "',' or ']'")
            return ListLiteral(tuple(items))
        if tok.kind == "punct" and tok.value == "(":
            self.next()
            self.enter(tok)
            node = self.parse_or()
            self.expect("punct", ")", "')'")
            self.depth -= 1
            return node
        if tok.kind == "name":
            self.next()
            if not self.at("punct", "("):
                return Name(tok.value)
            if tok.value not in FUNCTIONS:
                raise ConditionSyntaxError(f"unknown function {tok.value!r}; only umur(...) exists", tok.pos)
            self.next()
            arg = self.peek()
            if arg.kind != "name":
                raise self.unexpected(arg, "umur(...) takes the id of a date field")
            self.next()
            self.expect("punct", ")", "')'")
            return Umur(arg.value)
        raise self.unexpected(tok, "expected a value, a field id or '('")


@lru_cache(maxsize=2048)
def _parse_cached(text: str) -> Node:
    return _Parser(text).parse()


def parse(expr: str) -> Node:
    """Parse `expr` into an immutable tree; raise ConditionSyntaxError with a position."""
    if not isinstance(expr, str):
        raise ConditionSyntaxError("expression must be a string", 0)
    if len(expr) > MAX_LENGTH:
        raise ConditionSyntaxError(f"expression is longer than {MAX_LENGTH} characters", MAX_LENGTH)
    return _parse_cached(expr)


# --- evaluation --------------------------------------------------------------------------


def parse_iso_date(value: object) -> dt.date | None:
    """`YYYY-MM-DD` (optionally followed by `T...`) as a date; None when it is not a real date."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or len(value) < 10 or (len(value) > 10 and value[10] != "T"):
        return None
    head = value[:10]
    if not (head[4] == "-" and head[7] == "-" and all(_is_digit(c) for i, c in enumerate(head) if i not in (4, 7))):
        return None
    try:
        return dt.date(int(head[:4]), int(head[5:7]), int(head[8:10]))
    except ValueError:
        return None


def age_in_years(birth: object, today: object) -> int | None:
    b, t = parse_iso_date(birth), parse_iso_date(today)
    if b is None or t is None:
        return None
    return t.year - b.year - ((t.month, t.day) < (b.month, b.day))


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, Mapping):
        return "object"
    return "other"


def _equal(a: object, b: object) -> bool:
    ka, kb = _kind(a), _kind(b)
    if ka != kb or ka == "other":
        return False
    if ka == "list":
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))  # type: ignore[arg-type]
    if ka == "object":
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)  # type: ignore[union-attr,index]
    return a == b


def _truthy(value: object) -> bool:
    kind = _kind(value)
    if kind == "null":
        return False
    if kind in ("bool", "number", "string", "list"):
        return bool(value)
    return True


def _value(node: Node, context: Mapping[str, Any]) -> Any:
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Name):
        return context.get(node.name)
    if isinstance(node, ListLiteral):
        return [item.value for item in node.items]
    if isinstance(node, Umur):
        return age_in_years(context.get(node.name), context.get("_today"))
    if isinstance(node, Not):
        return not _truthy(_value(node.operand, context))
    if isinstance(node, BoolOp):
        if node.op == "and":
            return all(_truthy(_value(o, context)) for o in node.operands)
        return any(_truthy(_value(o, context)) for o in node.operands)
    if isinstance(node, Compare):
        return _compare(node, context)
    raise TypeError(f"not a condition node: {node!r}")


def _is_null_literal(node: Node) -> bool:
    return isinstance(node, Literal) and node.value is None


def _compare(node: Compare, context: Mapping[str, Any]) -> bool:
    op = node.op
    if op in ("==", "!=") and (_is_null_literal(node.left) or _is_null_literal(node.right)):
        other = node.right if _is_null_literal(node.left) else node.left
        missing = _value(other, context) is None
        return missing if op == "==" else not missing
    a, b = _value(node.left, context), _value(node.right, context)
    if a is None or b is None:
        return False
    if op == "==":
        return _equal(a, b)
    if op == "!=":
        return not _equal(a, b)
    if op in ("in", "not in"):
        if _kind(b) != "list":
            return False
        found = any(_equal(a, item) for item in b)
        return found if op == "in" else not found
    ka, kb = _kind(a), _kind(b)
    if ka != kb or ka not in ("number", "string"):
        return False
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    return a >= b


def evaluate(expr: str | Node, context: Mapping[str, Any]) -> bool:
    """True when `expr` holds for the field values in `context` (plus `_today`, ISO)."""
    node = parse(expr) if isinstance(expr, str) else expr
    return _truthy(_value(node, context))


def evaluate_lenient(expr: str | Node | None, context: Mapping[str, Any]) -> bool:
    """Like evaluate, but a missing or unreadable condition means "applies" (catalog README)."""
    if expr is None:
        return True
    try:
        return evaluate(expr, context)
    except ConditionSyntaxError:
        return True


def field_names(expr: str | Node) -> set[str]:
    """The field ids an expression reads (including the argument of umur)."""
    names: set[str] = set()
    stack: list[Node] = [parse(expr) if isinstance(expr, str) else expr]
    while stack:
        node = stack.pop()
        if isinstance(node, (Name, Umur)):
            names.add(node.name)
        elif isinstance(node, Not):
            stack.append(node.operand)
        elif isinstance(node, BoolOp):
            stack.extend(node.operands)
        elif isinstance(node, Compare):
            stack.extend((node.left, node.right))
    return names
