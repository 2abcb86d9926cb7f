"""A restricted expression grammar for model equations.

Equations arrive as text (from the model catalogue, a sweep config or the command line). They are
parsed with Python's ``ast`` module -- which only parses, it never evaluates -- and every node is
checked against a whitelist before it becomes a sympy expression. ``sympy.sympify`` and
``parse_expr`` are never called on the text: they evaluate Python.

Grammar: numbers, declared names, ``+ - * / **``, unary minus, parentheses, the functions in
:data:`FUNCTIONS`, comparisons ``< <= > >=`` and ``where(condition, a, b)`` for piecewise
definitions, with conditions combined by ``&`` / ``|`` (or ``and`` / ``or``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

import sympy

__all__ = ["FUNCTIONS", "ExpressionError", "parse_expression", "rename_symbols", "substitute"]


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

_BINARY = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}
_COMPARE = {ast.Lt: sympy.Lt, ast.LtE: sympy.Le, ast.Gt: sympy.Gt, ast.GtE: sympy.Ge}
_LOGICAL = {ast.BitAnd: sympy.And, ast.BitOr: sympy.Or, ast.And: sympy.And, ast.Or: sympy.Or}


def parse_expression(text: str, names: Iterable[str]) -> sympy.Expr:
    """Parse ``text`` into a sympy expression over the declared ``names`` (real symbols).

    Raises :class:`ExpressionError` naming the offending piece for anything outside the grammar.
    """
    symbols = {name: sympy.Symbol(name, real=True) for name in names}
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as err:
        raise ExpressionError(f"cannot parse equation {text!r}: {err.msg}") from None
    return _convert(tree.body, symbols, text)


def _convert(node: ast.AST, symbols: dict[str, sympy.Symbol], text: str):
    def recurse(child: ast.AST):
        return _convert(child, symbols, text)

    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        if isinstance(node.value, bool):
            raise ExpressionError(f"boolean literal in equation {text!r}")
        return sympy.Integer(node.value) if isinstance(node.value, int) else sympy.Float(node.value)
    if isinstance(node, ast.Name):
        if node.id not in symbols:
            known = ", ".join(sorted(symbols))
            raise ExpressionError(f"unknown name {node.id!r} in equation {text!r} (known: {known})")
        return symbols[node.id]
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _BINARY[type(node.op)](recurse(node.left), recurse(node.right))
    if isinstance(node, ast.BinOp) and type(node.op) in _LOGICAL:
        return _LOGICAL[type(node.op)](recurse(node.left), recurse(node.right))
    if isinstance(node, ast.BoolOp) and type(node.op) in _LOGICAL:
        return _LOGICAL[type(node.op)](*[recurse(v) for v in node.values])
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = recurse(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _COMPARE:
        return _COMPARE[type(node.ops[0])](recurse(node.left), recurse(node.comparators[0]))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        name = node.func.id
        args = [recurse(a) for a in node.args]
        if name == "where":
            if len(args) != 3:
                raise ExpressionError(f"where() takes (condition, a, b) in equation {text!r}")
            return sympy.Piecewise((args[1], args[0]), (args[2], True))
        if name in FUNCTIONS:
            if len(args) != 1:
                raise ExpressionError(f"{name}() takes one argument in equation {text!r}")
            return FUNCTIONS[name](args[0])
        allowed = ", ".join(sorted([*FUNCTIONS, "where"]))
        raise ExpressionError(f"function {name!r} not allowed in equation {text!r} ({allowed})")
    raise ExpressionError(f"{ast.unparse(node)!r} is not allowed in equation {text!r}")


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
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as err:
        raise ExpressionError(f"cannot parse equation {text!r}: {err.msg}") from None
    return ast.unparse(_Renamer(mapping).visit(tree))


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
    try:
        tree = ast.parse(text.strip(), mode="eval")
        replacements = {k: ast.parse(f"({v})", mode="eval").body for k, v in mapping.items()}
    except SyntaxError as err:
        raise ExpressionError(f"cannot parse equation {text!r}: {err.msg}") from None
    return ast.unparse(_Substituter(replacements).visit(tree))
