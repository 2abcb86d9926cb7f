"""Reports: real figures of the expected size, table values equal to the store's, missing
measures reported, settings, bifurcation curves over the charts, captions, command line."""

from __future__ import annotations

import json
import math
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from neurodyn.analysis.bifurcation import Branch, SpecialPoint, orbit_diagram
from neurodyn.analysis.measures import MEASURES as MEASURE_NAMES
from neurodyn.analysis.measures import MEASURES as REGISTRY
from neurodyn.analysis.measures import Measure, Output, add_measures, register_measure
from neurodyn.networks import chialvo_rulkov_chain
from neurodyn.report import FIGURES, choose_points, write_captions, write_report
from neurodyn.report.__main__ import main
from neurodyn.report.figures import curve_from_dataset
from neurodyn.report.study import MEASURES
from neurodyn.sim import sweep
from neurodyn.store import open_dataset, write_dataset
from neurodyn.workflow import check_study, with_defaults
from neurodyn.workflow.portraits import run_basins, run_phase_portraits

ROOT = Path(__file__).resolve().parent.parent
SIGMA_1_2 = np.linspace(0.0, 0.1, 6)
SIGMA_2_1 = np.linspace(0.0, 0.1, 5)
# (width, height) in pixels: figsize * 100 dpi (neurodyn.report.figures)
SIZES = {
    "orbit_diagram": (1020, 580),
    "two_parameter": (1440, 580),
    "coexistence": (720, 580),
    "synchrony": (1120, 600),
    "complexity": (1120, 1140),
    "phase": (1080, 730),
    "portrait": (1080, 730),
    "basins": (1000, 600),
}


def build_study(directory: Path) -> tuple[Path, Path]:
    """A small study of the Chialvo-Rulkov-Chialvo chain as the workflow writes it: a sweep
    over sigma_1_2 x sigma_2_1 (two initial states, kept states) with every measure added, and
    an orbit diagram over sigma_1_2. Returns the paths of the two stores."""
    model = chialvo_rulkov_chain()
    ds = sweep(
        model,
        {"sigma_1_2": SIGMA_1_2, "sigma_2_1": SIGMA_2_1},
        steps=1500,
        keep=300,
        n_initial=2,
        seed=1,
    )
    ds = add_measures(ds, MEASURE_NAMES, model, lyapunov_steps=500)
    orbit = orbit_diagram(
        model,
        "sigma_1_2",
        np.linspace(0.0, 0.1, 60),
        {"sigma_2_1": 0.05},
        n_initial=2,
        transient=500,
        keep=100,
    )
    sweep_path = write_dataset(ds, directory / "sweep.zarr", durable=False)
    orbit_path = write_dataset(orbit, directory / "orbit.zarr", durable=False)
    return sweep_path, orbit_path


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> tuple[Path, Path]:
    return build_study(tmp_path_factory.mktemp("study"))


#: a study config with given points for the phase_portraits and basins sections
SECTIONS = {
    "study": "sections",
    "model": "chialvo_rulkov_chain",
    "sweep": {"sigma_1_2": "0:0.1:3", "sigma_2_1": "0:0.1:3"},
    "simulation": {"transient": 100, "steps": 100, "keep": 100},
    "phase_portraits": {
        "points": [{"sigma_1_2": 0.05, "sigma_2_1": 0.04, "label": "given"}],
        "n_initial": 2,
        "transient": 500,
        "steps": 200,
    },
    "basins": {
        "point": {"sigma_1_2": 0.05, "sigma_2_1": 0.04},
        "x": "x_1",
        "y": "y_1",
        "resolution": 5,
        "transient": 500,
        "samples": 64,
    },
}


@pytest.fixture(scope="module")
def sections(tmp_path_factory) -> dict[str, Path]:
    """The phase-portrait and basin stores of SECTIONS, as write_report's keywords."""
    config = check_study(SECTIONS)
    stores = tmp_path_factory.mktemp("sections")
    return {
        "portraits_store": run_phase_portraits(config, stores / "phase_portraits.zarr"),
        "basins_store": run_basins(config, stores / "basins.zarr"),
    }


@pytest.fixture(scope="module")
def report(study, sections, tmp_path_factory) -> Path:
    return write_report(*study, tmp_path_factory.mktemp("report"), **sections)


def test_section_figures_state_their_parameters(report):
    page = report.read_text(encoding="utf-8")
    figures = {p.name for p in (report.parent / "figures").glob("*.png")}
    assert {"basins.png", "portrait_1_given.png"} <= figures
    assert "sigma_1_2 = 0.05, sigma_2_1 = 0.04 (given in the config); 2 initial states" in page
    assert "sigma_1_2 = 0.05, sigma_2_1 = 0.04 (given in the config); grid 5 x 5 over x_1" in page


class _Cells(HTMLParser):
    """Collects the value cells (``td`` with ``data-var``), figure images and notices."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[dict] = []
        self.images: list[dict] = []
        self.notices: list[str] = []
        self._open: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "td" and "data-var" in attrs:
            self._open = {**attrs, "text": ""}
        elif tag == "img":
            self.images.append(attrs)
        elif tag == "li" and "data-notice" in attrs:
            self.notices.append(attrs["data-notice"])

    def handle_data(self, data):
        if self._open is not None:
            self._open["text"] += data

    def handle_endtag(self, tag):
        if tag == "td" and self._open is not None:
            self.cells.append(self._open)
            self._open = None


def parse(path: Path) -> _Cells:
    parser = _Cells()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def table(cells: _Cells) -> dict[int, list[dict]]:
    """Value cells by point number."""
    points: dict[int, list[dict]] = {}
    for cell in cells.cells:
        points.setdefault(int(cell["data-point"]), []).append(cell)
    return points


def assert_real_rendering(path: Path, size: tuple[int, int]) -> np.ndarray:
    with Image.open(path) as image:
        assert image.size == size
        pixels = np.asarray(image.convert("RGB"), dtype=np.int64)
    assert pixels.var() > 0
    colours = np.unique(pixels[..., 0] << 16 | pixels[..., 1] << 8 | pixels[..., 2])
    assert len(colours) >= 16, f"{path.name}: only {len(colours)} colours"
    return pixels


def test_figures_are_real_renderings_of_the_expected_size(report):
    figures = report.parent / "figures"
    names = sorted(p.name for p in figures.glob("*.png"))
    phases = [n for n in names if n.startswith(("phase_", "portrait_"))]
    assert len(phases) >= 3
    assert set(names) - set(phases) == {f"{k}.png" for k in SIZES if k not in ("phase", "portrait")}
    for name in names:
        key = name.split("_")[0] if name.startswith(("phase_", "portrait_")) else name[:-4]
        assert_real_rendering(figures / name, SIZES[key])
    # the orbit diagram shows both sweeps: forward in blue, backward in red
    orbit = assert_real_rendering(figures / "orbit_diagram.png", SIZES["orbit_diagram"])
    r, g, b = orbit[..., 0], orbit[..., 1], orbit[..., 2]
    assert np.sum((b > r + 60) & (b > g + 30)) > 200
    assert np.sum((r > b + 60) & (r > g + 60)) > 200
    # every figure is in the page with its pixel size, and every image of the page exists
    images = {img["src"]: img for img in parse(report).images}
    assert set(images) == {f"figures/{n}" for n in names}
    for src, img in images.items():
        with Image.open(report.parent / src) as image:
            assert (int(img["width"]), int(img["height"])) == image.size


def test_table_values_equal_the_store(report, study):
    ds = open_dataset(study[0])
    points = table(parse(report))
    assert len(points) >= 2
    checked = set()
    for cells in points.values():
        where = {c["data-var"]: json.loads(c["data-value"]) for c in cells if "data-sel" not in c}
        at = {"sigma_1_2": where["sigma_1_2"], "sigma_2_1": where["sigma_2_1"], "ic": where["ic"]}
        for cell in cells:
            name = cell["data-var"]
            if name in at:
                continue
            stored = ds[name].sel(at).sel(json.loads(cell.get("data-sel", "{}"))).values.item()
            shown = json.loads(cell["data-value"])
            if isinstance(stored, float) and math.isnan(stored):
                assert math.isnan(shown) and cell["text"] == "NaN"
            elif isinstance(stored, bool):
                assert shown is stored and cell["text"] == ("yes" if stored else "no")
            else:
                assert shown == stored and type(shown) is type(stored)
                assert float(cell["text"]) == pytest.approx(stored, rel=1e-5, abs=1e-300)
            checked.add(name)
    assert checked == set(MEASURES) | {"diverged"}
    # the default points: the most synchronised one has the largest cross-correlation
    gamma = ds["cross_correlation"].values
    first = {c["data-var"]: json.loads(c["data-value"]) for c in points[1] if "data-sel" not in c}
    assert first["cross_correlation"] == np.nanmax(gamma)
    second = {c["data-var"]: json.loads(c["data-value"]) for c in points[2] if "data-sel" not in c}
    assert second["cross_correlation"] == np.nanmin(gamma)


def test_page_holds_the_provenance(report, study):
    ds = open_dataset(study[0])
    page = report.read_text(encoding="utf-8")
    for key in ("model", "model_source", "seed", "git_revision"):
        assert str(ds.attrs[key]) in page
    for name, version in ds.attrs["package_versions"].items():
        assert f"<th>{name}</th><td>{version}</td>" in page
    for variable in ds.attrs["equations"]:
        assert f"<code>{variable}′</code>" in page
    assert "sigma_2_3" in page  # a fixed parameter
    for figure in FIGURES.values():
        assert figure.title in page
    assert parse(report).notices == ["curves"]


def test_missing_measures_are_reported_not_fatal(study, tmp_path):
    ds = open_dataset(study[0]).load()
    dropped = ["sample_entropy", "kuramoto_R", "kuramoto_R_std", "lyapunov", "lyapunov_stderr"]
    partial = write_dataset(ds.drop_vars(dropped), tmp_path / "partial.zarr", durable=False)
    page = write_report(partial, study[1], tmp_path / "out")
    parsed = parse(page)
    assert set(dropped) <= set(parsed.notices)
    assert {c["data-var"] for c in parsed.cells}.isdisjoint(dropped)
    figures = page.parent / "figures"
    # period chart only; the panels of missing measures say so but the figures are drawn
    assert_real_rendering(figures / "two_parameter.png", (720, 580))
    for key in ("synchrony", "complexity", "orbit_diagram"):
        assert_real_rendering(figures / f"{key}.png", SIZES[key])
    # with no measure at all: the grid centre is shown and there is no chart
    bare = ds.drop_vars([v for v in ds.data_vars if v in MEASURES])
    page = write_report(
        write_dataset(bare, tmp_path / "bare.zarr", durable=False), None, tmp_path / "bare"
    )
    parsed = parse(page)
    assert set(MEASURES) | {"two_parameter", "orbit"} <= set(parsed.notices)
    cells = table(parsed)
    assert list(cells) == [1]
    centre = {c["data-var"]: json.loads(c["data-value"]) for c in cells[1]}
    assert centre["sigma_1_2"] == SIGMA_1_2[3] and centre["sigma_2_1"] == SIGMA_2_1[2]
    assert not (page.parent / "figures" / "two_parameter.png").exists()


def test_one_parameter_sweep_has_no_two_parameter_chart(study, tmp_path):
    ds = open_dataset(study[0]).load().isel(sigma_2_1=2, drop=True)
    ds.attrs["swept_parameters"] = json.dumps(["sigma_1_2"])
    page = write_report(write_dataset(ds, tmp_path / "one.zarr", durable=False), None, tmp_path)
    assert "two_parameter" in parse(page).notices
    assert not (tmp_path / "figures" / "two_parameter.png").exists()
    assert_real_rendering(tmp_path / "figures" / "synchrony.png", (560, 600))


def _curve(model) -> Branch:
    """A period-doubling curve across the grid with an R2 point (drawn, not computed)."""
    s = np.linspace(0.0, 1.0, 40)
    values = np.column_stack([0.01 + 0.08 * s, 0.09 - 0.07 * s])
    n = model.n_state
    mu = np.tile(np.array([-1.0, 0.5, 0.2, 0.1, 0.05, 0.01], dtype=complex), (len(s), 1))
    special = SpecialPoint(
        "R2",
        20,
        {"sigma_1_2": values[20, 0], "sigma_2_1": values[20, 1]},
        np.zeros((1, n)),
        mu[20],
        {"kappa": -1.0},
    )
    return Branch(
        model,
        "PD",
        1,
        ("sigma_1_2", "sigma_2_1"),
        model.resolve_parameters({}),
        np.zeros((len(s), 1, n)),
        values,
        mu,
        {"PD": np.zeros(len(s))},
        [special],
        "done",
        np.zeros((len(s), n + 2)),
        np.zeros((len(s), n + 2)),
    )


def test_settings_points_curves_and_command_line(study, tmp_path):
    curve = _curve(chialvo_rulkov_chain())
    stored = write_dataset(curve.to_dataset(), tmp_path / "pd.zarr", durable=False)
    back = curve_from_dataset(open_dataset(stored))
    np.testing.assert_array_equal(back.values, curve.values)
    assert (back.kind, back.period, back.free) == (curve.kind, curve.period, curve.free)
    assert [(p.label, p.parameters) for p in back.special] == [
        (p.label, p.parameters) for p in curve.special
    ]
    config = tmp_path / "report.yaml"
    config.write_text(
        "title: A chain\n"
        "points:\n"
        "  - {sigma_1_2: 0.041, sigma_2_1: 0.074, ic: 1, label: near the middle}\n"
        "  - {sigma_1_2: 0.1}\n"
        f"curves: [{stored}]\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert main([str(study[0]), str(study[1]), str(out), "--config", str(config)]) == 0
    page = out / "report.html"
    text = page.read_text(encoding="utf-8")
    assert "<h1>A chain</h1>" in text
    cells = table(parse(page))
    first = {c["data-var"]: json.loads(c["data-value"]) for c in cells[1] if "data-sel" not in c}
    second = {c["data-var"]: json.loads(c["data-value"]) for c in cells[2] if "data-sel" not in c}
    assert (first["sigma_1_2"], first["sigma_2_1"], first["ic"]) == (SIGMA_1_2[2], SIGMA_2_1[3], 1)
    assert (second["sigma_1_2"], second["sigma_2_1"], second["ic"]) == (
        SIGMA_1_2[5],
        SIGMA_2_1[2],
        0,
    )
    figures = sorted(p.name for p in (out / "figures").glob("phase_*.png"))
    assert figures == ["phase_near_the_middle.png", "phase_point_2.png"]
    assert "curves" not in parse(page).notices
    # the PD curve is drawn in tab:red (214, 39, 40) over both charts
    pixels = assert_real_rendering(out / "figures" / "two_parameter.png", SIZES["two_parameter"])
    red = np.all(np.abs(pixels - [214, 39, 40]) <= 12, axis=-1)
    assert red[:, :720].sum() > 150 and red[:, 720:].sum() > 150


def test_bad_settings_name_the_problem(study, tmp_path):
    with pytest.raises(ValueError, match="unknown report setting.*'colour'"):
        write_report(*study, tmp_path, config={"colour": "red"})
    with pytest.raises(ValueError, match="sigma_9.*not swept parameters"):
        write_report(*study, tmp_path, config={"points": [{"sigma_9": 0.1}]})


def test_points_keep_distinct_file_names(study):
    ds = open_dataset(study[0])
    points = choose_points(ds, [{"sigma_1_2": 0.0, "label": "a"}, {"sigma_1_2": 0.1, "label": "a"}])
    assert [p.slug for p in points] == ["a", "a_2"]
    assert [p.parameters for p in points] == [
        {"sigma_1_2": 0.0, "sigma_2_1": SIGMA_2_1[2]},
        {"sigma_1_2": 0.1, "sigma_2_1": SIGMA_2_1[2]},
    ]


@pytest.mark.requires("jinja2")
def test_caption_files_match_the_report(tmp_path):
    written = write_captions(tmp_path)
    committed = ROOT / "workflows" / "report"
    assert sorted(p.name for p in written) == sorted(p.name for p in committed.glob("*.rst"))
    for path in written:
        assert (committed / path.name).read_text(encoding="utf-8") == path.read_text("utf-8")
    # figures.rst gives each file of the figures directory its own caption (Snakemake renders
    # captions with Jinja2, the file's pattern wildcard in snakemake.wildcards)
    import jinja2

    template = jinja2.Template((committed / "figures.rst").read_text(encoding="utf-8"))
    for name, key in [(k, k) for k in SIZES if k not in ("phase", "portrait")] + [
        ("phase_point_1", "phase_portrait"),
        ("portrait_1_given", "portraits"),
    ]:
        wildcards = type("Wildcards", (), {"name": name})
        text = template.render(snakemake=type("Snakemake", (), {"wildcards": wildcards}))
        assert text.strip() == f"**{FIGURES[key].title}.** {FIGURES[key].caption}"


def test_store_variables_are_the_names_the_report_reads(study):
    ds = open_dataset(study[0])
    assert set(MEASURES) <= set(ds.data_vars)
    assert isinstance(ds["period"].values.flat[0], np.integer)
    assert ds["lyapunov"].dims[-1] == "exponent"


def _mean_level(ctx, states):
    """The time mean of the scalar series (for a network, of the nodes' mean x)."""
    return (float(np.mean(ctx.scalar(states))),)


@pytest.fixture
def mean_level():
    """A measure registered from this file, removed again afterwards."""
    measure = register_measure(
        Measure(
            name="mean_level",
            kind="series",
            function=_mean_level,
            summary="time mean of the scalar series",
            outputs=(
                Output(
                    "mean_level",
                    "time mean of the series",
                    "1",
                    "mean level",
                    "time mean of the scalar series",
                    figure="complexity",
                    caption="the mean level",
                ),
            ),
        )
    )
    yield measure
    del REGISTRY[measure.name]


def test_a_registered_measure_reaches_sweep_workflow_and_report(mean_level, study, tmp_path):
    sweep_path = write_dataset(open_dataset(study[0]).load(), tmp_path / "s.zarr", durable=False)
    measured = add_measures(sweep_path, ["mean_level"])  # the model rebuilt from the store
    nodes = np.stack([measured[f"x_{k}"].values for k in (1, 2, 3)])  # (node, ..., iteration)
    np.testing.assert_allclose(measured["mean_level"], nodes.mean(axis=0).mean(axis=-1), 1e-13)
    assert measured["mean_level"].attrs["series"] == "average over the nodes of x"
    config = with_defaults({"measures": ["mean_level"]}, ROOT / "workflows/config/default.yaml")
    assert check_study(config, ROOT / "workflows/config/schema.yaml")["measures"] == ["mean_level"]
    page = write_report(sweep_path, None, tmp_path / "report")
    parsed = parse(page)
    cells = [c for c in parsed.cells if c["data-var"] == "mean_level"]
    assert cells
    for cell in cells:
        point = choose_points(measured)[int(cell["data-point"]) - 1]
        assert json.loads(cell["data-value"]) == measured["mean_level"].sel(point.selection())
    text = page.read_text(encoding="utf-8")
    assert "time mean of the scalar series" in text  # the measures table
    assert "sample entropy, permutation entropy and the mean level against" in text  # caption
    # the complexity figure gained a fifth row: 2.7 inches at 100 dpi
    assert_real_rendering(page.parent / "figures" / "complexity.png", (1120, 1140 + 270))


def test_figures_drawn_in_two_processes_are_the_same_files(study, sections, report, tmp_path):
    """workers=2 (the workflow's report job on two cores) writes byte-identical figures and
    the same page as one process, the section figures (portraits, basins) included."""
    page = write_report(*study, tmp_path / "two", workers=2, **sections)
    one = sorted(p.relative_to(report.parent) for p in report.parent.glob("figures/*.png"))
    two = sorted(p.relative_to(page.parent) for p in page.parent.glob("figures/*.png"))
    assert one == two and len(one) >= 5
    for name in one:
        assert (page.parent / name).read_bytes() == (report.parent / name).read_bytes(), name
    assert page.read_text().replace(str(page.parent), "") == report.read_text().replace(
        str(report.parent), ""
    )
