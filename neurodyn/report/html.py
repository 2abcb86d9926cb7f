"""The HTML page of a report: figures with captions, the table of values at the chosen points,
the measures' conventions and the provenance of the stores.

Every table cell that shows a value from a store carries it exactly: ``data-var`` names the
variable, ``data-sel`` (JSON) any index beyond the point (e.g. ``{"exponent": 1}``) and
``data-value`` the value as JSON (floats written so that they read back to the same bits); the
visible text is rounded to six significant digits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..provenance import provenance
from ..store.attrs import attr_value
from .captions import FIGURES
from .study import MEASURES, Point, point_values, swept_parameters

__all__ = ["RenderedFigure", "render_html"]

_STYLE = """
body { font-family: sans-serif; max-width: 1500px; margin: 2em auto; padding: 0 1em;
       color: #222; line-height: 1.4; }
h1 { border-bottom: 2px solid #444; } h2 { margin-top: 2em; border-bottom: 1px solid #bbb; }
figure { margin: 1.5em 0; } figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { max-width: 60em; font-size: 0.95em; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.notice { background: #fff6d6; border-left: 4px solid #e0a800; padding: 0.5em 1em; }
code, pre { background: #f6f6f6; } pre { padding: 0.4em; white-space: pre-wrap; margin: 0; }
"""


@dataclass
class RenderedFigure:
    """A figure written for the report: caption ``key`` (:data:`~.captions.FIGURES`), ``file``
    relative to the report, its pixel ``size``, an optional ``title`` overriding the
    caption's and ``detail``, appended to the caption (the parameters it used)."""

    key: str
    file: str
    size: tuple[int, int]
    title: str | None = None
    detail: str | None = None


def _format(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return "NaN" if np.isnan(value) else f"{float(value):.6g}"
    return escape(str(value))


def _cell(var: str, value: Any, point: int, sel: dict[str, Any] | None = None) -> str:
    if isinstance(value, np.generic):
        value = value.item()
    attrs = f' data-point="{point}" data-var="{escape(var)}"'
    attrs += f' data-value="{escape(json.dumps(value))}"'
    if sel:
        attrs += f' data-sel="{escape(json.dumps(sel))}"'
    return f'<td class="num"{attrs}>{_format(value)}</td>'


def _figure_html(number: int, figure: RenderedFigure) -> str:
    info = FIGURES[figure.key]
    title = figure.title or info.title
    width, height = figure.size
    return (
        f'<figure id="fig-{escape(Path(figure.file).stem)}"><img src="{escape(figure.file)}" '
        f'alt="{escape(title)}" width="{width}" height="{height}">'
        f"<figcaption><b>Figure {number}. {escape(title)}.</b> {escape(info.caption)}"
        f"{' ' + escape(figure.detail) if figure.detail else ''}</figcaption></figure>"
    )


def _row_label(name: str, sel: dict[str, Any]) -> str:
    label = MEASURES[name].label if name in MEASURES else name
    if set(sel) == {"exponent"}:
        return f"{label}{sel['exponent']}" if label.endswith("λ") else f"{label} {sel['exponent']}"
    return label + "".join(f" {k}={v}" for k, v in sel.items())


def _points_table(ds: xr.Dataset, points: list[Point]) -> str:
    """One column per point, one row per parameter, ``ic`` and measure (per exponent)."""
    parameters = swept_parameters(ds)
    values = [point_values(ds, p) for p in points]
    head = "".join(
        f'<th data-point="{k}">{k}. {escape(p.label)}</th>' for k, p in enumerate(points, 1)
    )
    lines = ['<table id="point-values">', f"<tr><th></th>{head}</tr>"]
    for name in parameters:
        cells = "".join(_cell(name, p.parameters[name], k) for k, p in enumerate(points, 1))
        lines.append(f"<tr><th><code>{escape(name)}</code></th>{cells}</tr>")
    cells = "".join(_cell("ic", p.ic, k) for k, p in enumerate(points, 1))
    lines.append(f"<tr><th>initial state (ic)</th>{cells}</tr>")
    for row in range(len(values[0]) if values else 0):
        name, sel, _ = values[0][row]
        cells = "".join(_cell(name, entries[row][2], k, sel) for k, entries in enumerate(values, 1))
        lines.append(
            f'<tr><th><span title="{escape(name)}">{escape(_row_label(name, sel))}</span></th>'
            f"{cells}</tr>"
        )
    asked = [
        f"point {k}: " + ", ".join(f"{escape(n)} = {v:.6g}" for n, v in p.requested.items())
        for k, p in enumerate(points, 1)
        if p.requested
    ]
    lines.append("</table>")
    if asked:
        lines.append("<p>Asked for (nearest grid point shown): " + "; ".join(asked) + ".</p>")
    return "\n".join(lines)


def _mapping_table(values: dict[str, Any]) -> str:
    rows = []
    for key, value in values.items():
        value = attr_value(value)
        if isinstance(value, dict):
            shown = _mapping_table(value)
        elif isinstance(value, str) and "\n" in value:
            shown = f"<pre>{escape(value)}</pre>"
        else:
            shown = escape(json.dumps(value) if isinstance(value, list) else str(value))
        rows.append(f"<tr><th>{escape(str(key))}</th><td>{shown}</td></tr>")
    return "<table>" + "".join(rows) + "</table>"


def _model_section(ds: xr.Dataset) -> str:
    attrs = ds.attrs
    parts = [
        f"<p><b>Model:</b> <code>{escape(str(attrs.get('model', 'unknown')))}</code> "
        f"({escape(str(attrs.get('model_kind', '')))}). "
        f"<b>Source:</b> {escape(str(attrs.get('model_source', 'not recorded')))}</p>"
    ]
    equations = attr_value(attrs.get("equations"))
    if isinstance(equations, dict):
        rows = "".join(
            f"<tr><th><code>{escape(k)}′</code></th><td><code>{escape(v)}</code></td></tr>"
            for k, v in equations.items()
        )
        parts.append(f'<h3>Equations (one iteration)</h3><table id="equations">{rows}</table>')
    fixed = attr_value(attrs.get("fixed_parameters"))
    if isinstance(fixed, dict):
        parts.append("<h3>Fixed parameters</h3>" + _mapping_table(fixed))
    swept = "".join(
        f"<tr><th><code>{escape(p)}</code></th><td>{ds[p].values.min():.6g} … "
        f"{ds[p].values.max():.6g}</td><td>{ds.sizes[p]} values</td></tr>"
        for p in swept_parameters(ds)
    )
    parts.append(f"<h3>Swept parameters</h3><table>{swept}</table>")
    run = {
        k: attrs[k]
        for k in ("seed", "steps", "transient", "keep", "every", "bound", "time_unit")
        if k in attrs
    }
    run["initial states per point"] = ds.sizes.get("ic", 1)
    parts.append("<h3>Simulation</h3>" + _mapping_table(run))
    return "\n".join(parts)


def _measures_section(ds: xr.Dataset) -> str:
    rows = []
    for name, measure in MEASURES.items():
        if name not in ds:
            rows.append(
                f"<tr><th><code>{escape(name)}</code></th><td>{escape(measure.description)}</td>"
                "<td><i>not in the store</i></td></tr>"
            )
            continue
        attrs = _mapping_table(dict(ds[name].attrs)) if ds[name].attrs else ""
        dims = ", ".join(map(str, ds[name].dims))
        rows.append(
            f"<tr><th><code>{escape(name)}</code></th><td>{escape(measure.description)}"
            f"<br><small>dims: {escape(dims)}</small></td><td>{attrs}</td></tr>"
        )
    head = "<tr><th>variable</th><th>measure</th><th>conventions (stored attributes)</th></tr>"
    return f'<table id="measures">{head}{"".join(rows)}</table>'


def render_html(
    *,
    title: str,
    ds: xr.Dataset,
    orbit: xr.Dataset | None,
    points: list[Point],
    figures: list[RenderedFigure],
    portraits: dict[str, RenderedFigure],
    notices: list[tuple[str, str]],
    stores: dict[str, str],
    sections: tuple[str, ...] = (),
) -> str:
    """The report page. ``portraits``: phase-portrait figure per point slug; ``notices``:
    ``(key, text)`` pairs for what could not be shown (``key`` a variable name or a topic);
    ``stores``: label -> path of the stores read; ``sections``: HTML sections placed after
    the figures."""
    number = 0
    body = [f"<h1>{escape(title)}</h1>"]
    summary = ", ".join(f"{p} × {ds.sizes[p]}" for p in swept_parameters(ds))
    body.append(
        f"<p>Sweep over {escape(summary)} with {ds.sizes.get('ic', 1)} initial state(s) per "
        f"point. Stores: "
        + "; ".join(f"{escape(k)} <code>{escape(v)}</code>" for k, v in stores.items())
        + "</p>"
    )
    if notices:
        items = "".join(
            f'<li data-notice="{escape(key)}">{escape(text)}</li>' for key, text in notices
        )
        body.append(
            f'<section id="notices" class="notice"><h2>Notes</h2><ul>{items}</ul></section>'
        )
    body.append('<section id="figures"><h2>Figures</h2>')
    for figure in figures:
        number += 1
        body.append(_figure_html(number, figure))
    body.append("</section>")
    body.extend(sections)
    body.append('<section id="points"><h2>Points shown in detail</h2>')
    body.append(
        "<p>Values read from the sweep store at each point (the nearest grid point to the one "
        "asked for, if any). Hover a heading for the variable name.</p>"
    )
    body.append(_points_table(ds, points))
    for point in points:
        portrait = portraits.get(point.slug)
        if portrait is not None:
            number += 1
            body.append(_figure_html(number, portrait))
    body.append("</section>")
    body.append('<section id="measures-conventions"><h2>Measures</h2>')
    body.append(_measures_section(ds))
    body.append("</section>")
    body.append('<section id="provenance"><h2>Provenance</h2>')
    body.append(_model_section(ds))
    body.append("<h3>Sweep store attributes</h3>" + _mapping_table(dict(ds.attrs)))
    if orbit is not None:
        body.append("<h3>Orbit store attributes</h3>" + _mapping_table(dict(orbit.attrs)))
    body.append("<h3>Report written with</h3>" + _mapping_table(provenance()))
    body.append("</section>")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )
