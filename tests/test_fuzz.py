"""Property-based fuzzing of what a user can type: equations, study configs, command lines.

Every generated case must end, within a per-case time limit, either in a result or in the
project's own error (ExpressionError, ModelError, StudyError; exit code 2 and one ``Error:``
line on the command line) -- never another exception, a traceback, a hang, or a file written.
Example counts are small so that the tier runs in seconds; ``HYPOTHESIS_PROFILE=fuzz`` (or
``--hypothesis-profile=fuzz``) runs many more.
"""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neurodyn.cli import main
from neurodyn.models import ExpressionError, Model, ModelError, Parameter, StateVariable
from neurodyn.models.codegen import generated_source
from neurodyn.models.expressions import FUNCTIONS, has_non_finite, parse_expression
from neurodyn.workflow import StudyError, check_study, load_study

settings.register_profile(
    "default-tier",
    max_examples=25,
    deadline=None,  # the hang guard is the per-case alarm below; load makes deadlines flaky
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    derandomize=True,
)
settings.register_profile("fuzz", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default-tier"))

#: seconds one case may take before it counts as a hang
CASE_SECONDS = 20
TINY = Path(__file__).resolve().parents[1] / "workflows" / "config" / "tiny.yaml"


class Hang(Exception):
    pass


@contextlib.contextmanager
def time_limit(seconds: int = CASE_SECONDS):
    def alarm(signum, frame):
        raise Hang(f"a case ran longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


# ----------------------------------------------------------------------------- equations

NAMES = ["x", "y", "a", "b", "\uff41", "x\u0301", "__import__", "os", "dt"]
NUMBERS = st.one_of(
    st.integers(-(10**400), 10**400).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["1e999", "0", "0.0", "1e-400", "10**10**10", "nan", "inf"]),
)
OPERATORS = ["+", "-", "*", "/", "**", "<", ">=", "&", "|", " and ", "%", "//", "@", "==", ","]
CALLS = [*FUNCTIONS, "where", "eval", "open", "getattr"]


def _combine(children):
    binary = st.tuples(children, st.sampled_from(OPERATORS), children).map(
        lambda t: f"({t[0]}{t[1]}{t[2]})"
    )
    call = st.tuples(st.sampled_from(CALLS), st.lists(children, max_size=3)).map(
        lambda t: f"{t[0]}({', '.join(t[1])})"
    )
    return st.one_of(binary, call, children.map(lambda c: f"-{c}"))


EXPRESSIONS = st.one_of(
    st.recursive(st.one_of(st.sampled_from(NAMES), NUMBERS), _combine, max_leaves=12),
    st.text(max_size=40),
    st.tuples(
        st.sampled_from(["exp(", "-", "(", "2**", "x+", "sin(x)*"]), st.integers(0, 3000)
    ).map(lambda t: t[0] * t[1] + "x" + (")" * t[1] if t[0] in ("exp(", "(") else "")),
)


@given(EXPRESSIONS)
def test_fuzz_equations_end_in_an_expression_or_a_clear_error(text):
    with time_limit():
        try:
            expression = parse_expression(text, ["x", "y", "a", "b"])
        except ExpressionError as err:
            assert str(err)
            return
        assert not has_non_finite(expression), (text, expression)
        try:
            model = Model(
                "fuzz",
                "map",
                (StateVariable("x"), StateVariable("y")),
                (Parameter("a", 1.0), Parameter("b", 0.5)),
                (text, "y"),
            )
            model.jacobian_expressions  # noqa: B018
        except ModelError:
            return
        assert "def advance" in generated_source(model)


# ----------------------------------------------------------------------------- configs

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(),
    st.text(max_size=12),
    st.sampled_from(["..", "../x", "/etc", "0:1:1000000000000", "x", "chialvo"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=8), children, max_size=4),
    ),
    max_leaves=10,
)
KEYS = [
    ("study",),
    ("results",),
    ("model",),
    ("model_options",),
    ("fixed",),
    ("sweep",),
    ("chunk_size",),
    ("threads",),
    ("simulation",),
    ("measures",),
    ("measure_options",),
    ("bifurcation",),
    ("report",),
    ("reservoir",),
    ("train",),
    ("unknown",),
    ("simulation", "steps"),
    ("simulation", "keep"),
    ("simulation", "bound"),
    ("simulation", "seed"),
    ("simulation", "transient"),
    ("measure_options", "n_c"),
    ("measure_options", "variable"),
    ("report", "points"),
    ("report", "orbit_variable"),
    ("sweep", "sigma_1_2"),
    ("fixed", "k_1"),
]


@given(st.lists(st.tuples(st.sampled_from(KEYS), VALUES), min_size=1, max_size=3))
def test_fuzz_configs_end_in_a_study_or_a_clear_error(changes):
    config = yaml.safe_load(TINY.read_text())
    for key, value in changes:
        target = config
        for part in key[:-1]:
            if not isinstance(target.get(part), dict):
                target[part] = {}
            target = target[part]
        target[key[-1]] = value
    with time_limit():
        try:
            checked = check_study(config)
        except StudyError as err:
            assert str(err)
            return
    assert checked["study"] and ".." not in checked["study"]


@given(
    st.integers(1, 12),
    st.integers(1, 12),
    st.sampled_from(["measure_options", "model_options", "report", "fixed", "unknown"]),
)
def test_fuzz_yaml_aliases_are_bounded(levels, width, key):
    lines = ["  a0: &a0 [" + ", ".join(["1"] * width) + "]"]
    for i in range(1, levels):
        lines.append(f"  a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    text = TINY.read_text() + f"{key}:\n" + "\n".join(lines) + "\n"
    with tempfile.TemporaryDirectory() as folder, time_limit():
        path = Path(folder) / "study.yaml"
        path.write_text(text)
        with pytest.raises(StudyError):  # too big, or a list where the schema wants values
            load_study(path)


# ----------------------------------------------------------------------------- command line

NOT_AN_INT = st.text(max_size=10).filter(lambda t: not t.strip().lstrip("+-").isdigit())
BAD_COUNTS = st.one_of(st.integers(max_value=0), st.integers(min_value=2**63), NOT_AN_INT).map(str)
FRAGMENTS = st.one_of(
    st.tuples(st.just("--steps"), BAD_COUNTS),
    st.tuples(st.just("--every"), BAD_COUNTS),
    st.tuples(st.just("--seed"), st.one_of(st.integers(max_value=-1).map(str), NOT_AN_INT)),
    st.tuples(
        st.just("--threads"), st.one_of(st.integers(max_value=0), st.integers(10**6)).map(str)
    ),
    st.tuples(
        st.just("--set"),
        st.one_of(
            st.text(max_size=15),
            st.tuples(st.sampled_from(["a", "k", "b", "zz", "\uff41"]), SCALARS).map(
                lambda t: f"{t[0]}={t[1]}"
            ),
        ),
    ),
    st.tuples(
        st.just("--sweep"),
        st.one_of(
            st.text(max_size=15),
            st.tuples(
                st.sampled_from(["a", "k", "c", "zz"]),
                st.floats(),
                st.floats(),
                st.integers(0, 10**13),
            ).map(lambda t: f"{t[0]}={t[1]}:{t[2]}:{t[3]}"),
        ),
    ),
    st.tuples(st.just("--initial-conditions"), BAD_COUNTS),
    st.tuples(st.just("--dtype"), st.text(max_size=8)),
    st.tuples(st.just("--backend"), st.text(max_size=8)),
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    st.lists(FRAGMENTS, max_size=3),
    st.integers(21, 10**30),
    st.sampled_from(["new.zarr", "file", "link", "full", "file/s.zarr", "new/deep/s.zarr"]),
)
def test_fuzz_command_line_exits_2_with_one_line_and_writes_nothing(fragments, keep, out):
    args = [value for fragment in fragments for value in fragment]
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "file").write_text("keep me")
        (root / "full").mkdir()
        (root / "full" / "notes.txt").write_text("keep me")
        (root / "link").symlink_to(root / "full")
        before = sorted(p.relative_to(root) for p in root.rglob("*"))
        command = ["simulate", "chialvo", "--steps", "20", "--keep", str(keep), "--no-progress"]
        with time_limit():
            result = CliRunner().invoke(main, [*command, *args, "--out", str(root / out)])
        assert result.exit_code == 2, (args, result.output, result.exception)
        errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1 and "Traceback" not in result.output, result.output
        assert sorted(p.relative_to(root) for p in root.rglob("*")) == before
