"""Titles and captions of the report's figures, shared by the HTML report and Snakemake's report.

The same text is the figure caption in ``report.html`` and, as reStructuredText files
(:func:`write_captions`, committed as ``workflows/report/*.rst``: one per figure, and
``figures.rst`` for the whole figures directory), the caption that ``snakemake --report`` shows
beside the files marked with ``report(..., caption=...)``. The
captions are plain text, valid both as HTML (escaped) and as reStructuredText.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..analysis.measures.registry import figure_outputs

__all__ = ["FIGURES", "REPORT_DESCRIPTION", "Figure", "caption_rst", "write_captions"]


@dataclass(frozen=True)
class Figure:
    """A figure of the report: ``key`` (also the stem of its PNG and its caption file),
    ``title`` and caption ``text``. A figure of ``measures`` draws the registered outputs
    naming it (:func:`~neurodyn.analysis.measures.registry.figure_outputs`): its caption is
    their ``caption`` phrases followed by ``text``."""

    key: str
    title: str
    text: str
    measures: bool = False

    @property
    def caption(self) -> str:
        """The figure's caption."""
        if not self.measures:
            return self.text
        phrases = [output.caption for output in figure_outputs(self.key)]
        if not phrases:
            return self.text
        listed = ", ".join(phrases[:-1]) + (" and " if len(phrases) > 1 else "") + phrases[-1]
        return f"{listed[:1].upper()}{listed[1:]} {self.text}"


FIGURES: dict[str, Figure] = {
    f.key: f
    for f in (
        Figure(
            "orbit_diagram",
            "Orbit diagram",
            "States kept after the transient at each value of one coupling (the other "
            "parameters fixed), from several initial states, rasterised with datashader. Blue: "
            "forward sweep (each value continues from the state the previous one ended in), "
            "red: backward sweep; where the two differ, attractors coexist (hysteresis). A "
            "single dot per value is a fixed point, k dots a period-k orbit, a band a closed "
            "invariant curve or chaos. Black lines, where the study has a continuation: the "
            "continued fixed points and cycles (solid stable, dashed unstable) with their "
            "fold (LP), flip (PD), Neimark-Sacker (NS) and branch points (BP) marked and "
            "labelled with the cycle's period.",
        ),
        Figure(
            "two_parameter",
            "Two-parameter period and Lyapunov charts",
            "Left: the period of the attractor reached from one initial state at every point "
            "of the coupling grid (black: no period up to the maximum, i.e. quasi-periodic, "
            "chaotic or longer; white: diverged). Right: the largest Lyapunov exponent per "
            "iteration (red positive: chaos; blue negative: a stable periodic orbit or fixed "
            "point; near zero: quasi-periodic or at a bifurcation). Bifurcation curves from "
            "continuation are drawn over both charts where they were given (LP blue, PD red, "
            "NS green, codimension-2 points as yellow markers). Magenta circles: the couplings "
            "of the points shown in detail, numbered as in the table (which gives each "
            "point's initial state).",
        ),
        Figure(
            "coexistence",
            "Coexisting attractors",
            "Number of distinct attractors reached from the initial states at every point of "
            "the coupling grid (measure coexistence: two states reached the same attractor when "
            "their last states lie within 5 % of the attractor's size of each other, by "
            "nearest-neighbour distances), one colour per count from 0 (all diverged) to the "
            "largest found, with the continued bifurcation curves and codimension-2 points "
            "drawn over it (LP blue, PD red, NS green).",
        ),
        Figure(
            "synchrony",
            "Synchrony against coupling",
            "against each coupling, one line per value of the other coupling. Lines: mean "
            "over initial states; dots: each initial state.",
            measures=True,
        ),
        Figure(
            "complexity",
            "Complexity against coupling",
            "against each coupling, one line per value of the other coupling. Lines: mean "
            "over initial states; dots: each initial state.",
            measures=True,
        ),
        Figure(
            "phase_portrait",
            "Phase portraits",
            "States kept after the transient at one point of the grid and one initial state. "
            "Top row: each node's activation x against its recovery variable y; bottom row: "
            "the activations of pairs of nodes (on the diagonal when the two are "
            "synchronised). Colour: iteration. For a network of more than four nodes, a "
            "space-time plot: each node's activation x (columns, in node order) against "
            "iteration (rows).",
        ),
        Figure(
            "portraits",
            "Phase portraits at chosen points",
            "Long trajectories after a transient at one parameter point (section "
            "phase_portraits: given in the config, or picked from the sweep, one per attractor "
            "class of the period measure and the point with most coexisting attractors), from "
            "several initial states overlaid, one colour each. Top row: each node's first "
            "variable against its second; bottom row: the first variables of pairs of nodes (on "
            "the diagonal when the two are synchronised). For a network of more than four "
            "nodes, a space-time plot of the first initial state.",
        ),
        Figure(
            "basins",
            "Basins of attraction",
            "Initial states on a grid over two state variables (the others fixed) at one "
            "parameter point, each coloured by the attractor it reached after a transient "
            "(white: diverged). Attractors are told apart by the coexistence measure's "
            "nearest-neighbour test and named by the period measure (fixed point, period-k "
            "cycle, or non-periodic: chaotic, quasi-periodic or of longer period); a cycle is "
            "one attractor whatever phase a trajectory reaches it in. Markers: the points of "
            "the periodic attractors.",
        ),
    )
}

#: The description of the whole report (Snakemake's ``report:`` directive).
REPORT_DESCRIPTION = (
    "Bifurcation and synchronization study of a network of map neurons swept over two "
    "couplings: where the dynamics settle on fixed points or periodic orbits, where they "
    "turn quasi-periodic or chaotic, and how synchrony and complexity change with the "
    "coupling. The HTML report written by the workflow (report.html) adds tables of the "
    "measures at the points shown and the provenance of the results."
)


def caption_rst(key: str) -> str:
    """The reStructuredText caption file ``key``: a figure's key, ``description`` (the
    report's own description) or ``figures``, one caption for the whole ``figures/``
    directory that picks each file's caption by its name (Snakemake renders captions with
    Jinja2, and a ``report(directory(...), patterns=["figures/{name}.png"])`` output gives
    each file its ``name`` wildcard)."""
    if key == "description":
        return REPORT_DESCRIPTION + "\n"
    if key == "figures":
        branches = []
        for k, (name, figure) in enumerate(FIGURES.items()):
            prefix = {"phase_portrait": "phase_", "portraits": "portrait_"}.get(name)
            test = (
                f'snakemake.wildcards.name.startswith("{prefix}")'
                if prefix
                else f'snakemake.wildcards.name == "{name}"'
            )
            branches.append(f"{{% {'if' if k == 0 else 'elif'} {test} %}}")
            branches.append(f"**{figure.title}.** {figure.caption}")
        return "\n".join([*branches, "{% endif %}"]) + "\n"
    return FIGURES[key].caption + "\n"


def write_captions(directory: str | Path) -> list[Path]:
    """Write ``<key>.rst`` for every figure, ``figures.rst`` and ``description.rst`` into
    ``directory``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for key in [*FIGURES, "figures", "description"]:
        path = directory / f"{key}.rst"
        path.write_text(caption_rst(key), encoding="utf-8")
        paths.append(path)
    return paths
