"""A restricted expression grammar for model equations.

Equations arrive as text (from the model catalogue, a sweep config or the command line). They are
parsed with Python's ``ast`` module -- which only parses, it never evaluates -- and every node is
checked against a whitelist before it becomes a sympy expression. ``sympy.sympify`` and
``parse_expr`` are never called on the text: they evaluate Python.

Grammar: numbers, declared names, ``+ - * / **``, unary minus, parentheses, the functions in
:data:`FUNCTIONS`, comparisons ``< <= > >=`` and ``where(condition, a, b)`` for piecewise
definitions, with conditions combined by ``&`` / ``|`` (or ``and`` / ``or``).

Limits (each refused with an :class:`ExpressionError` naming the equation, before sympy sees it):

* :data:`MAX_LENGTH` characters per equation, and only ASCII text: Python's parser folds
  look-alike letters (NFKC: a full-width ``ａ`` becomes ``a``), so a non-ASCII name could silently
  alias a declared one;
* :data:`MAX_DEPTH` levels of nesting (a chain ``a + b - c + ...`` or ``a * b / c`` is one level);
* a constant exponent of magnitude at most :data:`MAX_EXPONENT`, and a constant power only if its
  value is a finite float64 (``10**10**10`` is refused without being computed);
* every constant subexpression must be a finite real float64: ``1/0``, ``log(0)``, ``sqrt(-1)``,
  ``1e999`` or ``exp(1000)`` are refused.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Iterable

import sympy
from sympy.logic.boolalg import Boolean

__all__ = [
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "MAX_LENGTH",
    "ExpressionError",
    "parse_expression",
    "rename_symbols",
    "substitute",
]

#: longest equation text accepted, in characters
MAX_LENGTH = 100_000
#: deepest nesting accepted (a flat chain of ``+ -`` or ``* /`` counts as one level)
MAX_DEPTH = 64
#: largest magnitude of a constant exponent
MAX_EXPONENT = 1024


class ExpressionError(ValueError):
    """An equation that is not in the restricted grammar, or uses an undeclared name."""


FUNCTIONS = {
    "exp": sympy.exp,
    "log": sympy.log,
    "sqrt": sympy.sqrt,
    "sin": sympy.sin,
    "cos": sympy.cos,
    "tan": sympy.tan,
    "tanh": sympy.tanh,
    "sinh": sympy.sinh,
    "cosh": sympy.cosh,
    "arctan": sympy.atan,
    "abs": sympy.Abs,
}

_COMPARE = {ast.Lt: sympy.Lt, ast.LtE: sympy.Le, ast.Gt: sympy.Gt, ast.GtE: sympy.Ge}
_LOGICAL = {ast.BitAnd: sympy.And, ast.BitOr: sympy.Or, ast.And: sympy.And, ast.Or: sympy.Or}


def _short(text: str) -> str:
    """``repr`` of an equation, cut to 200 characters for messages."""
    return repr(text) if len(text) <= 200 else repr(text[:200]) + f"... ({len(text)} characters)"


def _piece(node: ast.AST, text: str) -> str:
    """The source text of ``node`` within the equation ``text``, for messages."""
    return _short(ast.get_source_segment(text.strip(), node) or "")


def _parse(text: object) -> ast.Expression:
    """Parse equation text with :mod:`ast` after the length and ASCII checks; bound its nesting."""
    if not isinstance(text, str):
        raise ExpressionError(f"an equation must be text, not {_short(text)}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"equation {_short(text)} is longer than {MAX_LENGTH} characters")
    for position, char in enumerate(text):
        if not char.isascii():
            raise ExpressionError(
                f"non-ASCII character {char!r} (U+{ord(char):04X}) at position {position} in "
                f"equation {_short(text)}: names and operators must be ASCII"
            )
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as err:
        raise ExpressionError(f"cannot parse equation {_short(text)}: {err.msg}") from None
    except ValueError as err:  # null bytes, integer literals beyond Python's digit limit
        raise ExpressionError(f"cannot parse equation {_short(text)}: {err}") from None
    except (RecursionError, MemoryError):
        # the parser signals a too deep or too long input by these (its stack, not real memory)
        raise ExpressionError(
            f"equation {_short(text)} is nested too deeply (limit {MAX_DEPTH} levels)"
        ) from None
    if _depth(tree.body) > MAX_DEPTH:
        raise ExpressionError(
            f"equation {_short(text)} is nested too deeply (limit {MAX_DEPTH} levels)"
        )
    return tree


def _chain_op(node: ast.AST) -> type | None:
    """The chain a binary node belongs to: ``+ -`` and ``* /`` chains flatten into one level."""
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Add | ast.Sub):
            return ast.Add
        if isinstance(node.op, ast.Mult | ast.Div):
            return ast.Mult
    return None


def _depth(root: ast.AST) -> int:
    """Nesting depth of an expression tree, computed without recursion."""
    deepest, stack = 0, [(root, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        chain = _chain_op(node)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                same = chain is not None and _chain_op(child) is chain
                stack.append((child, depth if same else depth + 1))
    return deepest


def parse_expression(text: str, names: Iterable[str]) -> sympy.Expr:
    """Parse ``text`` into a sympy expression over the declared ``names`` (real symbols).

    Raises :class:`ExpressionError` naming the offending piece for anything outside the grammar
    or its limits (see the module docstring).
    """
    symbols = {name: sympy.Symbol(name, real=True) for name in names}
    tree = _parse(text)
    try:
        return _convert(tree.body, symbols, text)
    except RecursionError:
        raise ExpressionError(
            f"equation {_short(text)} is nested too deeply (limit {MAX_DEPTH} levels)"
        ) from None


#: sympy atoms that are not finite reals (code generation has no float for them)
NON_FINITE = (sympy.zoo, sympy.nan, sympy.oo, -sympy.oo, sympy.I)


def _checked(value, node: ast.AST, text: str):
    """``value`` if it is not a constant, or a constant that is a finite real float64."""
    if not isinstance(value, sympy.Expr) or not value.is_number:
        return value
    try:
        number = value.evalf()
        finite = not number.has(*NON_FINITE) and number.is_real and math.isfinite(float(number))
    except (TypeError, ValueError, ArithmeticError):
        finite = False
    if isinstance(value, sympy.Rational) and finite:
        finite = max(abs(value.p), value.q) < 2**1024  # printed as p.0 / q.0
    if not finite:
        raise ExpressionError(
            f"{_piece(node, text)} is {str(value)[:80]}, not a finite real number, "
            f"in equation {_short(text)}"
        )
    return value


def _power(base, exponent, node: ast.AST, text: str):
    """``base ** exponent``, refusing a constant exponent or constant result beyond the limits
    before sympy computes it."""
    if exponent.is_number:
        if abs(float(exponent)) > MAX_EXPONENT:
            raise ExpressionError(
                f"exponent {str(exponent)} in {_piece(node, text)} exceeds the limit "
                f"of {MAX_EXPONENT} in magnitude in equation {_short(text)}"
            )
        if base.is_number:
            try:
                finite = math.isfinite(math.pow(float(base), float(exponent)))
            except (ValueError, ArithmeticError):
                finite = False
            if not finite:
                raise ExpressionError(
                    f"{_piece(node, text)} is not a finite real number in equation {_short(text)}"
                )
    return base**exponent


def _chain(node: ast.BinOp, symbols: dict[str, sympy.Symbol], text: str):
    """A flat chain ``a + b - c`` (or ``a * b / c``) as one sympy Add (Mul), without recursing
    along the chain."""
    chain = _chain_op(node)
    inverse = ast.Sub if chain is ast.Add else ast.Div
    terms = []
    while _chain_op(node) is chain:
        right = _convert(node.right, symbols, text)
        if isinstance(node.op, inverse):
            if chain is ast.Mult and right.is_number and right.is_zero:
                raise ExpressionError(
                    f"division by zero in {_piece(node, text)} in equation {_short(text)}"
                )
            right = -right if chain is ast.Add else 1 / right
        terms.append(right)
        node = node.left
    terms.append(_convert(node, symbols, text))
    terms.reverse()
    return sympy.Add(*terms) if chain is ast.Add else sympy.Mul(*terms)


def _convert(node: ast.AST, symbols: dict[str, sympy.Symbol], text: str, condition=False):
    """``node`` as a sympy number expression, or as a condition (comparisons combined by
    ``& |``) where ``condition``; the other kind is refused."""
    value = _checked(_convert_node(node, symbols, text), node, text)
    if condition != (isinstance(value, Boolean) and not isinstance(value, sympy.Expr)):
        got, wanted = ("a condition", "number") if not condition else ("a number", "condition")
        raise ExpressionError(
            f"{_piece(node, text)} is {got} where a {wanted} is needed in equation {_short(text)}"
        )
    return value


def _convert_node(node: ast.AST, symbols: dict[str, sympy.Symbol], text: str):  # noqa: C901
    def recurse(child: ast.AST, condition: bool = False):
        return _convert(child, symbols, text, condition)

    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        if isinstance(node.value, bool):
            raise ExpressionError(f"boolean literal in equation {_short(text)}")
        return sympy.Integer(node.value) if isinstance(node.value, int) else sympy.Float(node.value)
    if _chain_op(node) is not None:
        return _chain(node, symbols, text)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        return _power(recurse(node.left), recurse(node.right), node, text)
    if isinstance(node, ast.Name):
        if node.id not in symbols:
            known = ", ".join(sorted(symbols))
            raise ExpressionError(
                f"unknown name {node.id!r} in equation {_short(text)} (known: {known})"
            )
        return symbols[node.id]
    if isinstance(node, ast.BinOp) and type(node.op) in _LOGICAL:
        return _LOGICAL[type(node.op)](recurse(node.left, True), recurse(node.right, True))
    if isinstance(node, ast.BoolOp) and type(node.op) in _LOGICAL:
        return _LOGICAL[type(node.op)](*[recurse(v, True) for v in node.values])
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = recurse(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _COMPARE:
        return _COMPARE[type(node.ops[0])](recurse(node.left), recurse(node.comparators[0]))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        name = node.func.id
        args = [recurse(a, name == "where" and k == 0) for k, a in enumerate(node.args)]
        if name == "where":
            if len(args) != 3:
                raise ExpressionError(f"where() takes (condition, a, b) in equation {_short(text)}")
            return sympy.Piecewise((args[1], args[0]), (args[2], True))
        if name in FUNCTIONS:
            if len(args) != 1:
                raise ExpressionError(f"{name}() takes one argument in equation {_short(text)}")
            return FUNCTIONS[name](args[0])
        allowed = ", ".join(sorted([*FUNCTIONS, "where"]))
        raise ExpressionError(
            f"function {name!r} not allowed in equation {_short(text)} ({allowed})"
        )
    raise ExpressionError(f"{_piece(node, text)} is not allowed in equation {_short(text)}")


class _Renamer(ast.NodeTransformer):
    def __init__(self, mapping: dict[str, str]):
        self.mapping = mapping

    def visit_Name(self, node: ast.Name) -> ast.Name:
        return ast.copy_location(ast.Name(id=self.mapping.get(node.id, node.id)), node)

    def visit_Call(self, node: ast.Call) -> ast.Call:
        node.args = [self.visit(a) for a in node.args]
        return node


def rename_symbols(text: str, mapping: dict[str, str]) -> str:
    """Return the equation ``text`` with names replaced by ``mapping`` (function names kept).

    Used to build a network's equations from its nodes' (``x`` of node 3 becomes ``x_3``).
    """
    try:
        return ast.unparse(_Renamer(mapping).visit(_parse(text)))
    except RecursionError:
        raise ExpressionError(f"equation {_short(text)} is too long to rewrite") from None


class _Substituter(ast.NodeTransformer):
    def __init__(self, mapping: dict[str, ast.expr]):
        self.mapping = mapping

    def visit_Name(self, node: ast.Name) -> ast.expr:
        return self.mapping.get(node.id, node)

    def visit_Call(self, node: ast.Call) -> ast.Call:
        node.args = [self.visit(a) for a in node.args]
        return node


def substitute(text: str, mapping: dict[str, str]) -> str:
    """Return the equation ``text`` with each name in ``mapping`` replaced by an expression
    (equation text, put in parentheses): ``substitute("a*x", {"a": "a + G*y"})`` is
    ``"(a + G * y) * x"``. Used to route a network's coupling into a node's input parameter."""
    tree = _parse(text)
    replacements = {k: _parse(f"({v})").body for k, v in mapping.items()}
    try:
        return ast.unparse(_Substituter(replacements).visit(tree))
    except RecursionError:
        raise ExpressionError(f"equation {_short(text)} is too long to rewrite") from None
