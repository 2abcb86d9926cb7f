"""A restricted expression grammar for model equations.

Equations arrive as text (from the model catalogue, a sweep config or the command line). They are
parsed with Python's ``ast`` module -- which only parses, it never evaluates -- and every node is
checked against a whitelist before it becomes a sympy expression. ``sympy.sympify`` and
``parse_expr`` are never called on the text: they evaluate Python. :func:`check_expression`
does the checking alone, without importing sympy (which takes seconds): a model is checked when
it is defined and converted to sympy only when code must be generated for it.

Grammar: numbers, declared names, ``+ - * / **``, unary minus, parentheses, the functions in
:data:`FUNCTIONS`, comparisons ``< <= > >=`` and ``where(condition, a, b)`` for piecewise
definitions, with conditions combined by ``&`` / ``|`` (or ``and`` / ``or``). Conditions and
numbers are distinct kinds: a comparison or a combination of conditions is a condition, and it
may stand only where a condition is wanted (``where``'s first argument, an operand of ``& |``);
everything else, the equation itself included, is a number (``-(x < x)``, ``x & 0.0`` and an
equation ``x < 1`` are refused).

Limits (each refused with an :class:`ExpressionError` naming the equation, before sympy sees it):

* :data:`MAX_LENGTH` characters per equation, and only ASCII text: Python's parser folds
  look-alike letters (NFKC: a full-width ``ａ`` becomes ``a``), so a non-ASCII name could silently
  alias a declared one;
* :data:`MAX_DEPTH` levels of nesting (a chain ``a + b - c + ...`` or ``a * b / c`` is one level);
* a constant exponent of magnitude at most :data:`MAX_EXPONENT`, and a constant power only if its
  value is a finite float64 (``10**10**10`` is refused without being computed);
* every constant subexpression must be a finite real float64: ``1/0``, ``log(0)``, ``sqrt(-1)``,
  ``1e999`` or ``exp(1000)`` are refused.

:func:`check_expression` applies the limits to the constants by evaluating every subexpression
without names in Python (integers and their ratios exactly, the rest in float64). A constant it
cannot evaluate to a finite float64 is then converted by sympy, which refuses it with the message
code generation would give (or accepts it, where float64 rounding alone failed): sympy is
imported only for such an equation. Constants that appear only after sympy simplifies
(``x / (x - x)``) are refused when the equation is converted to sympy (:func:`parse_expression`).
"""

from __future__ import annotations

import ast
import math
from collections.abc import Iterable
from fractions import Fraction

__all__ = [
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "MAX_LENGTH",
    "ExpressionError",
    "check_expression",
    "has_non_finite",
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

#: the float64 value of each function for constant arguments (``abs`` stays exact)
_FLOAT_FUNCTIONS = {
    "exp": math.exp,
    "log": math.log,
    "sqrt": math.sqrt,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "tanh": math.tanh,
    "sinh": math.sinh,
    "cosh": math.cosh,
    "arctan": math.atan,
    "abs": abs,
}

_ARITHMETIC = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)
_COMPARE = {ast.Lt: "Lt", ast.LtE: "Le", ast.Gt: "Gt", ast.GtE: "Ge"}
_LOGICAL = {ast.BitAnd: "And", ast.BitOr: "Or", ast.And: "And", ast.Or: "Or"}


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


def check_expression(text: str, names: Iterable[str]) -> ast.expr:
    """Check ``text`` against the grammar and its limits over the declared ``names``; return its
    syntax tree.

    Raises :class:`ExpressionError` naming the offending piece for anything outside the grammar
    or its limits (see the module docstring). Imports no sympy unless a constant is refused.
    """
    names = tuple(names)
    tree = _parse(text).body
    known = frozenset(names)
    todo: list[tuple[ast.AST, bool]] = [(tree, False)]
    while todo:
        node, condition = todo.pop()
        _check_node(node, known, text)
        _check_kind(node, condition, text)
        if isinstance(node, ast.Call):
            wanted = [node.func.id == "where" and k == 0 for k in range(len(node.args))]
            todo.extend(zip(node.args, wanted, strict=True))
        else:
            inner = _is_condition(node) and not isinstance(node, ast.Compare)
            todo.extend((c, inner) for c in ast.iter_child_nodes(node) if isinstance(c, ast.expr))
    try:
        _constant(tree)
    except _Refused:
        _to_sympy(tree, names, text)  # raises the reason (or finds the constant finite after all)
    return tree


def _check_node(node: ast.AST, names: frozenset[str], text: str) -> None:  # noqa: C901
    """Refuse ``node`` unless the grammar allows it (its children are checked on their own)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        if isinstance(node.value, bool):
            raise ExpressionError(f"boolean literal in equation {_short(text)}")
        return
    if isinstance(node, ast.Name):
        if node.id in names:
            return
        known = ", ".join(sorted(names))
        raise ExpressionError(
            f"unknown name {node.id!r} in equation {_short(text)} (known: {known})"
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, (*_ARITHMETIC, *_LOGICAL)):
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
                raise ExpressionError(f"where() takes (condition, a, b) in equation {_short(text)}")
        elif name in FUNCTIONS:
            if len(node.args) != 1:
                raise ExpressionError(f"{name}() takes one argument in equation {_short(text)}")
        else:
            allowed = ", ".join(sorted([*FUNCTIONS, "where"]))
            raise ExpressionError(
                f"function {name!r} not allowed in equation {_short(text)} ({allowed})"
            )
        return
    raise ExpressionError(f"{_piece(node, text)} is not allowed in equation {_short(text)}")


def _is_condition(node: ast.AST) -> bool:
    """Whether a checked ``node`` is a condition (a comparison, or conditions combined by
    ``& |``, ``and`` / ``or``) rather than a number."""
    return isinstance(node, ast.Compare | ast.BoolOp) or (
        isinstance(node, ast.BinOp) and type(node.op) in _LOGICAL
    )


def _check_kind(node: ast.AST, condition: bool, text: str) -> None:
    """Refuse a condition where a number is wanted, or a number where a condition is."""
    if _is_condition(node) != condition:
        got, wanted = ("a condition", "number") if not condition else ("a number", "condition")
        raise ExpressionError(
            f"{_piece(node, text)} is {got} where a {wanted} is needed in equation {_short(text)}"
        )


class _Refused(Exception):
    """A constant that is not a finite float64, or a constant exponent beyond the limit."""


def _finite(value: Fraction | float) -> Fraction | float:
    """``value`` if it is a finite float64 (a ratio of integers also printable as ``p.0/q.0``)."""
    if isinstance(value, Fraction) and max(abs(value.numerator), value.denominator) >= 2**1024:
        raise _Refused
    try:
        finite = math.isfinite(value)
    except OverflowError:  # a ratio beyond the largest float64
        finite = False
    if not finite:
        raise _Refused
    return value


def _constant(node: ast.AST) -> Fraction | float | None:  # noqa: C901
    """The value of a checked subexpression without names (None for one with names, or for a
    condition), evaluating every constant inside it; :class:`_Refused` for a constant beyond
    the limits. Integers and their ratios are exact, as in sympy; the rest is float64."""
    if isinstance(node, ast.Constant):
        return _finite(Fraction(node.value) if isinstance(node.value, int) else node.value)
    if _chain_op(node) is not None:
        return _constant_chain(node)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        return _constant_power(_constant(node.left), _constant(node.right))
    if isinstance(node, ast.UnaryOp):
        value = _constant(node.operand)
        return -value if value is not None and isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.Call) and node.func.id in _FLOAT_FUNCTIONS:
        value = _constant(node.args[0])
        if value is None:
            return None
        try:
            return _finite(_FLOAT_FUNCTIONS[node.func.id](value))
        except (ValueError, OverflowError):
            raise _Refused from None
    for child in ast.iter_child_nodes(node):  # names, conditions, where(): constants inside
        if isinstance(child, ast.expr) and not (isinstance(node, ast.Call) and child is node.func):
            _constant(child)
    return None


def _constant_chain(node: ast.BinOp) -> Fraction | float | None:
    """A flat chain ``a + b - c`` (or ``a * b / c``) evaluated term by term, without recursing
    along the chain; None if a term has a name."""
    chain = _chain_op(node)
    terms: list[tuple[bool, Fraction | float | None]] = []
    while _chain_op(node) is chain:
        right = _constant(node.right)
        inverse = isinstance(node.op, ast.Sub | ast.Div)
        if inverse and chain is ast.Mult and right == 0:
            raise _Refused  # division by zero
        terms.append((inverse, right))
        node = node.left
    terms.append((False, _constant(node)))
    if any(value is None for _, value in terms):
        return None
    total = terms.pop()[1]
    for inverse, value in reversed(terms):
        if chain is ast.Add:
            total = total - value if inverse else total + value
        else:
            total = total / value if inverse else total * value
        total = _finite(total)
    return total


def _power_limits(base: float | None, exponent: float | None) -> bool:
    """Whether ``base ** exponent`` (None: not a constant) is within the limits: a constant
    exponent of magnitude at most :data:`MAX_EXPONENT`, a constant power a finite float64."""
    if exponent is None:
        return True
    if abs(exponent) > MAX_EXPONENT:
        return False
    if base is None:
        return True
    try:
        return math.isfinite(math.pow(base, exponent))
    except (ValueError, ArithmeticError):
        return False


def _constant_power(
    base: Fraction | float | None, exponent: Fraction | float | None
) -> Fraction | float | None:
    """``base ** exponent`` for constants (exact for a ratio to an integer power), refused
    beyond the limits before it is computed; None unless both are constants."""
    as_float = [None if v is None else float(v) for v in (base, exponent)]
    if not _power_limits(*as_float):
        raise _Refused
    if base is None or exponent is None:
        return None
    exact = isinstance(base, Fraction) and isinstance(exponent, Fraction)
    if exact and exponent.denominator == 1:
        return _finite(base**exponent.numerator)
    return _finite(math.pow(*as_float))


def parse_expression(text: str, names: Iterable[str]):
    """Parse ``text`` into a sympy expression over the declared ``names`` (real symbols).

    Raises :class:`ExpressionError` naming the offending piece for anything outside the grammar
    or its limits (see the module docstring).
    """
    names = tuple(names)
    return _to_sympy(check_expression(text, names), names, text)


def _to_sympy(tree: ast.expr, names: tuple[str, ...], text: str):
    """The sympy form of a tree that the grammar accepts, every constant checked again."""
    import sympy

    symbols = {name: sympy.Symbol(name, real=True) for name in names}
    try:
        return _convert(tree, symbols, text, sympy)
    except RecursionError:
        raise ExpressionError(
            f"equation {_short(text)} is nested too deeply (limit {MAX_DEPTH} levels)"
        ) from None


def has_non_finite(expression) -> bool:
    """Whether a sympy expression contains a value that is not a finite real (``zoo``, ``nan``,
    ``oo``, ``-oo``, ``I``): code generation has no float for them."""
    import sympy

    return expression.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo, sympy.I)


def _checked(value, node: ast.AST, text: str, sympy):
    """``value`` if it is not a constant, or a constant that is a finite real float64."""
    if not isinstance(value, sympy.Expr) or not value.is_number:
        return value
    try:
        number = value.evalf()
        finite = not has_non_finite(number) and number.is_real and math.isfinite(float(number))
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
        if base.is_number and not _power_limits(float(base), float(exponent)):
            raise ExpressionError(
                f"{_piece(node, text)} is not a finite real number in equation {_short(text)}"
            )
    return base**exponent


def _chain(node: ast.BinOp, symbols: dict, text: str, sympy):
    """A flat chain ``a + b - c`` (or ``a * b / c``) as one sympy Add (Mul), without recursing
    along the chain."""
    chain = _chain_op(node)
    inverse = ast.Sub if chain is ast.Add else ast.Div
    terms = []
    while _chain_op(node) is chain:
        right = _convert(node.right, symbols, text, sympy)
        if isinstance(node.op, inverse):
            if chain is ast.Mult and right.is_number and right.is_zero:
                raise ExpressionError(
                    f"division by zero in {_piece(node, text)} in equation {_short(text)}"
                )
            right = -right if chain is ast.Add else 1 / right
        terms.append(right)
        node = node.left
    terms.append(_convert(node, symbols, text, sympy))
    terms.reverse()
    return sympy.Add(*terms) if chain is ast.Add else sympy.Mul(*terms)


def _convert(node: ast.AST, symbols: dict, text: str, sympy):
    """The sympy form of a checked ``node``, refusing a constant that is not a finite real."""
    return _checked(_convert_node(node, symbols, text, sympy), node, text, sympy)


def _convert_node(node: ast.AST, symbols: dict, text: str, sympy):
    def recurse(child: ast.AST):
        return _convert(child, symbols, text, sympy)

    if isinstance(node, ast.Constant):
        return sympy.Integer(node.value) if isinstance(node.value, int) else sympy.Float(node.value)
    if _chain_op(node) is not None:
        return _chain(node, symbols, text, sympy)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        return _power(recurse(node.left), recurse(node.right), node, text)
    if isinstance(node, ast.Name):
        return symbols[node.id]
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
