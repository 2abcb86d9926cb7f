"""A restricted expression grammar for model equations.

Equations arrive as text (from the model catalogue, a sweep config or the command line). They are
parsed with Python's ``ast`` module -- which only parses, it never evaluates -- and every node is
checked against a whitelist before it becomes a sympy expression. ``sympy.sympify`` and
``parse_expr`` are never called on the text: they evaluate Python. :func:`check_expression`
does the checking alone, without importing sympy (which takes seconds): a model is checked when
it is defined and converted to sympy only when code must be generated for it.

Grammar: numbers, declared names, ``+ - * / **``, unary minus, parentheses, the functions in
:data:`FUNCTIONS`, comparisons ``< <= > >=`` and ``where(condition, a, b)`` for piecewise
definitions, with conditions combined by ``&`` / ``|`` (or ``and`` / ``or``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

__all__ = [
    "FUNCTIONS",
    "ExpressionError",
    "check_expression",
    "parse_expression",
    "rename_symbols",
    "substitute",
]


class ExpressionError(ValueError):
    """An equation that is not in the restricted grammar, or uses an undeclared name."""


#: the functions of the grammar, by the name of the sympy function each one becomes
FUNCTIONS = {
    "exp": "exp",
    "log": "log",
    "sqrt": "sqrt",
    "sin": "sin",
    "cos": "cos",
    "tan": "tan",
    "tanh": "tanh",
    "sinh": "sinh",
    "cosh": "cosh",
    "arctan": "atan",
    "abs": "Abs",
}

_BINARY = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}
_COMPARE = {ast.Lt: "Lt", ast.LtE: "Le", ast.Gt: "Gt", ast.GtE: "Ge"}
_LOGICAL = {ast.BitAnd: "And", ast.BitOr: "Or", ast.And: "And", ast.Or: "Or"}


def check_expression(text: str, names: Iterable[str]) -> ast.expr:
    """Check ``text`` against the grammar over the declared ``names``; return its syntax tree.

    Raises :class:`ExpressionError` naming the offending piece for anything outside the grammar.
    """
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as err:
        raise ExpressionError(f"cannot parse equation {text!r}: {err.msg}") from None
    known = frozenset(names)
    todo: list[ast.AST] = [tree.body]
    while todo:
        node = todo.pop()
        _check_node(node, known, text)
        todo.extend(node.args if isinstance(node, ast.Call) else ast.iter_child_nodes(node))
    return tree.body


def _check_node(node: ast.AST, names: frozenset[str], text: str) -> None:  # noqa: C901
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        if isinstance(node.value, bool):
            raise ExpressionError(f"boolean literal in equation {text!r}")
        return
    if isinstance(node, ast.Name):
        if node.id in names:
            return
        known = ", ".join(sorted(names))
        raise ExpressionError(f"unknown name {node.id!r} in equation {text!r} (known: {known})")
    if isinstance(node, ast.BinOp) and type(node.op) in (*_BINARY, *_LOGICAL):
        return
    if isinstance(node, ast.BoolOp) and type(node.op) in _LOGICAL:
        return
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        return
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _COMPARE:
        return
    if isinstance(node, ast.operator | ast.unaryop | ast.cmpop | ast.boolop | ast.expr_context):
        return
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        name = node.func.id
        if name == "where":
            if len(node.args) != 3:
                raise ExpressionError(f"where() takes (condition, a, b) in equation {text!r}")
        elif name in FUNCTIONS:
            if len(node.args) != 1:
                raise ExpressionError(f"{name}() takes one argument in equation {text!r}")
        else:
            allowed = ", ".join(sorted([*FUNCTIONS, "where"]))
            raise ExpressionError(f"function {name!r} not allowed in equation {text!r} ({allowed})")
        return
    raise ExpressionError(f"{ast.unparse(node)!r} is not allowed in equation {text!r}")


def parse_expression(text: str, names: Iterable[str]):
    """Parse ``text`` into a sympy expression over the declared ``names`` (real symbols).

    Raises :class:`ExpressionError` naming the offending piece for anything outside the grammar.
    """
    import sympy

    names = tuple(names)
    tree = check_expression(text, names)
    return _convert(tree, {name: sympy.Symbol(name, real=True) for name in names}, sympy)


def _convert(node: ast.AST, symbols: dict, sympy):
    """The sympy form of a tree that :func:`check_expression` accepted."""

    def recurse(child: ast.AST):
        return _convert(child, symbols, sympy)

    if isinstance(node, ast.Constant):
        return sympy.Integer(node.value) if isinstance(node.value, int) else sympy.Float(node.value)
    if isinstance(node, ast.Name):
        return symbols[node.id]
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _BINARY[type(node.op)](recurse(node.left), recurse(node.right))
    if isinstance(node, ast.BinOp):
        logical = getattr(sympy, _LOGICAL[type(node.op)])
        return logical(recurse(node.left), recurse(node.right))
    if isinstance(node, ast.BoolOp):
        return getattr(sympy, _LOGICAL[type(node.op)])(*[recurse(v) for v in node.values])
    if isinstance(node, ast.UnaryOp):
        value = recurse(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.Compare):
        relation = getattr(sympy, _COMPARE[type(node.ops[0])])
        return relation(recurse(node.left), recurse(node.comparators[0]))
    args = [recurse(a) for a in node.args]
    if node.func.id == "where":
        return sympy.Piecewise((args[1], args[0]), (args[2], True))
    return getattr(sympy, FUNCTIONS[node.func.id])(args[0])


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
