"""The charts of a period, in one style: matplotlib figures built without pyplot (no global
state, no backend switch: every figure gets an Agg canvas), DejaVu Sans (it has every Vietnamese letter), NFC labels, Vietnamese
number formats.

Each chart function takes a :class:`~cchc_analysis.pipeline.PeriodData` and returns a
:class:`matplotlib.figure.Figure`; when there is nothing to draw (no history, nobody reported) it
returns a figure that says so instead of failing. :func:`save_figures` writes all of them as PNG
into ``reports/<period>/figures/``; :func:`show` turns a figure into an image a notebook displays.
"""

from __future__ import annotations

import functools
import io
import math
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from . import report
from ..text import is_missing

if TYPE_CHECKING:  # pragma: no cover
    from ..pipeline import PeriodData

#: rc settings every chart is drawn with
STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#8a94a3",
    "axes.grid": False,
    "grid.color": "#e3e7ed",
    "axes.axisbelow": True,
    "xtick.color": "#333",
    "ytick.color": "#333",
    "legend.frameon": False,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
}
COLORS = {
    "current": "#1f5fa8",
    "previous": "#a9c3e3",
    "ok": "#2e8b57",
    "late": "#d9822b",
    "missing": "#9aa3ad",
    "deadline": "#c0392b",
    "up": "#2e8b57",
    "down": "#c0392b",
    "text": "#1f2d3d",
}
#: short names of the letter's seven sections, for axis labels
SECTION_SHORT = {
    "1": "Chỉ đạo, điều hành",
    "2": "Thể chế",
    "3": "Thủ tục hành chính",
    "4": "Tổ chức bộ máy",
    "5": "Chế độ công vụ",
    "6": "Tài chính công",
    "7": "Chính phủ điện tử, số",
}
DPI = 110
FIGURES = {
    "completeness": "completeness.png",
    "submissions": "submissions.png",
    "key_rates": "key_rates.png",
    "changes": "changes.png",
}
_CMAP = LinearSegmentedColormap.from_list("cchc", ["#c0392b", "#f0b429", "#f7e8a6", "#8cc084", "#2e8b57"])


def _styled(function):
    """Build the figure under :data:`STYLE`."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with matplotlib.rc_context(STYLE):
            fig = function(*args, **kwargs)
        FigureCanvasAgg(fig)
        return fig

    return wrapper


def _t(text) -> str:
    return report.nfc(text)


def _wrap(text, width: int, max_lines: int = 3) -> str:
    lines = textwrap.wrap(_t(text), width) or [""]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: max(1, width - 1)].rstrip() + "…"
    return "\n".join(lines)


def _vn_axis(axis, decimals: int | None = 0, suffix: str = "") -> None:
    axis.set_major_formatter(FuncFormatter(lambda x, _pos: report.number(x, decimals) + suffix))


def _message(fig_title: str, message: str, size=(8, 2.6)) -> Figure:
    fig = Figure(figsize=size)
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.set_title(_t(fig_title))
    ax.text(0.5, 0.45, _wrap(message, 70), ha="center", va="center", fontsize=11, color="#667",
            transform=ax.transAxes)
    return fig


# --------------------------------------------------------------------------------------------


@_styled
def completeness_heatmap(data: "PeriodData") -> Figure:
    """Units x sections: percent of the values a unit owes in a section that it filled validly."""
    heading = f"Mức độ đầy đủ, hợp lệ của số liệu theo đơn vị và mục — {data.period.title}"
    matrix = report.completeness_matrix(data.completeness)
    if not len(matrix):
        return _message(heading, "Chưa có số liệu về mức độ đầy đủ của báo cáo kỳ này.")
    names = report.unit_names(data)
    order = {code: i for i, code in enumerate(names)}
    matrix = matrix.loc[sorted(matrix.index, key=lambda u: (order.get(u, len(order)), u))]
    sections = report.section_names(data.catalogue)
    columns = [s for s in sections if s in matrix.columns] + [s for s in matrix.columns if s not in sections]
    matrix = matrix.reindex(columns=columns)
    values = matrix.to_numpy(dtype=float)

    fig = Figure(figsize=(9.5, 1.6 + 0.55 * len(matrix)))
    ax = fig.add_subplot()
    image = ax.imshow(np.ma.masked_invalid(values), cmap=_CMAP, vmin=0, vmax=100, aspect="auto")
    ax.set_facecolor("#eef1f5")
    for (r, c), v in np.ndenumerate(values):
        if math.isnan(v):
            ax.text(c, r, "–", ha="center", va="center", color="#8a94a3", fontsize=9)
        else:
            ax.text(c, r, report.percent(v, 0), ha="center", va="center", fontsize=9,
                    color="white" if v < 35 or v > 85 else COLORS["text"], fontweight="bold")
    ax.set_xticks(range(len(columns)),
                  [_wrap(f"{s}. {SECTION_SHORT.get(s) or sections.get(s, '')}", 12, 3) for s in columns],
                  fontsize=8.5)
    ax.set_yticks(range(len(matrix)), [_wrap(names.get(u, u) or report.NO_UNIT, 28, 2) for u in matrix.index])
    ax.tick_params(length=0)
    ax.xaxis.tick_top()
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_xticks(np.arange(-0.5, len(columns)), minor=True)
    ax.set_yticks(np.arange(-0.5, len(matrix)), minor=True)
    ax.grid(which="minor", color="white", linewidth=2)
    ax.tick_params(which="minor", length=0)
    bar = fig.colorbar(image, ax=ax, fraction=0.03, pad=0.02)
    _vn_axis(bar.ax.yaxis, 0, " %")
    bar.outline.set_visible(False)
    ax.set_title(_t(heading), pad=12)
    fig.text(0.01, 0.005, _t("Ô “–”: đơn vị không phụ trách chỉ tiêu nào của mục."), fontsize=8, color="#667")
    fig.tight_layout()
    return fig


@_styled
def submission_times(data: "PeriodData") -> Figure:
    """When each expected unit's report arrived, against the deadline; units that sent nothing
    are marked ``Chưa gửi``."""
    heading = f"Thời điểm gửi báo cáo so với hạn — {data.period.title}"
    status = report.reporting_status(data)
    if not len(status):
        return _message(heading, "Chưa có danh sách đơn vị phải báo cáo trong kỳ này.")
    deadline = pd.Timestamp(data.deadline) if data.deadline is not None else None
    times = pd.to_datetime(status["received_at"], errors="coerce")
    known = [t for t in times[status["reported"]] if not pd.isna(t)]
    anchors = known + ([deadline] if deadline is not None else [])
    if not anchors:
        return _message(heading, "Chưa đơn vị nào gửi báo cáo và kỳ này chưa cấu hình hạn gửi.")
    low, high = min(anchors), max(anchors)
    span = max(high - low, pd.Timedelta(hours=12))
    low, high = low - span * 0.15, high + span * 0.35
    n = len(status)

    fig = Figure(figsize=(9.5, 1.4 + 0.5 * n))
    ax = fig.add_subplot()
    ax.grid(axis="x")
    for y, row in enumerate(status.itertuples()):
        when = times.iloc[y]
        if row.reported and not pd.isna(when):
            color = COLORS["ok"] if row.status == "ok" else COLORS["late"]
            ax.scatter([when], [y], s=70, color=color, zorder=3, edgecolor="white", linewidth=1)
            note = report.date_time(when)
            if row.status == "late":
                note += f" (muộn {report.duration(row.late_hours)})"
            ax.annotate(_t(note), (mdates.date2num(when), y), xytext=(8, 0), textcoords="offset points",
                        va="center", fontsize=8.5, color=color)
        else:
            x = deadline if deadline is not None else high
            ax.scatter([x], [y], s=60, marker="x", color=COLORS["deadline"], zorder=3)
            ax.annotate(_t("Chưa gửi"), (mdates.date2num(x), y), xytext=(8, 0), textcoords="offset points",
                        va="center", fontsize=8.5, color=COLORS["deadline"], fontweight="bold")
    if deadline is not None:
        ax.axvline(deadline, color=COLORS["deadline"], linestyle="--", linewidth=1.4, zorder=2)
        ax.annotate(_t(f"Hạn: {report.date_time(deadline)}"), (mdates.date2num(deadline), -0.7),
                    xytext=(4, -2), textcoords="offset points", va="top", color=COLORS["deadline"], fontsize=9,
                    annotation_clip=False)
    ax.set_xlim(low, high)
    ax.set_ylim(n - 0.5, -0.7)
    ax.set_yticks(range(n), [_wrap(name, 30, 2) for name in status["unit_name"]])
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=7))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M\n%d/%m"))
    counts = report.reporting_counts(data)
    subtitle = f"{counts['reported']}/{counts['expected']} đơn vị đã gửi"
    if deadline is not None:
        subtitle += f", {counts['on_time']} đúng hạn"
    else:
        subtitle += "; chưa cấu hình hạn gửi"
    ax.set_title(_t(f"{heading}\n{subtitle}"), fontsize=11)
    fig.tight_layout()
    return fig


@_styled
def key_rates(data: "PeriodData", ref: str = "previous") -> Figure:
    """The key rates (on-time dossiers 3.4.x, online dossiers 7.1.8.3/7.1.8.4): this period
    against the reference period."""
    refp = report.reference_period(data, ref)
    heading = f"Các tỷ lệ chính — {data.period.title} so với {refp.title}"
    rates = report.key_rates(data, ref)
    if not len(rates):
        return _message(heading, "Chưa có số liệu về các tỷ lệ giải quyết hồ sơ đúng hạn (3.4) "
                                 "và hồ sơ xử lý trực tuyến (7.1.8).")
    n = len(rates)
    fig = Figure(figsize=(9.5, 1.5 + 0.75 * n))
    ax = fig.add_subplot()
    ax.grid(axis="x")
    y = np.arange(n)
    height = 0.38
    has_ref = rates["ref_value"].notna().any()
    bars = [(rates["value"], -height / 2 if has_ref else 0, COLORS["current"], data.period.title)]
    if has_ref:
        bars.append((rates["ref_value"], height / 2, COLORS["previous"], refp.title))
    for values, offset, color, label in bars:
        vals = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
        ax.barh(y + offset, np.nan_to_num(vals), height=height, color=color, label=_t(label))
        for yy, v in zip(y + offset, vals):
            ax.text((0 if math.isnan(v) else v) + 1, yy, _t(report.percent(v) if not math.isnan(v) else "chưa có"),
                    va="center", fontsize=8.5, color=COLORS["text"])
    ax.set_xlim(0, 112)
    ax.set_ylim(n - 0.5, -0.6)
    ax.set_yticks(y, [_wrap(label, 42, 3) for label in rates["label"]], fontsize=8.5)
    ax.set_xticks([0, 20, 40, 60, 80, 100])
    _vn_axis(ax.xaxis, 0, " %")
    ax.legend(loc="lower right", bbox_to_anchor=(1, 1), ncol=2, fontsize=9)
    if not has_ref:
        ax.text(1, -0.08, _t(f"Chưa có số liệu {refp.title} để so sánh."), transform=ax.transAxes,
                ha="right", fontsize=8.5, color="#667")
    ax.set_title(_t(heading), pad=24)
    fig.tight_layout()
    return fig


@_styled
def largest_changes(data: "PeriodData", n: int = 10, ref: str = "previous") -> Figure:
    """The indicators that changed most since the reference period: relative change for counts,
    points for percentages, each bar labelled ``before → now``."""
    refp = report.reference_period(data, ref)
    heading = f"Các chỉ tiêu thay đổi nhiều nhất so với {refp.title}"
    changes = report.largest_changes(data, n, ref)
    if not len(changes):
        if len(report.comparison(data, ref)):
            return _message(heading, f"Không chỉ tiêu nào thay đổi so với {refp.title}.")
        return _message(heading, f"Chưa có số liệu {refp.title} để so sánh.")
    shown = [float(v) if not is_missing(v) else math.nan for v in changes["shown"]]
    k = len(changes)
    fig = Figure(figsize=(9.5, 1.6 + 0.5 * k))
    ax = fig.add_subplot()
    ax.grid(axis="x")
    y = np.arange(k)
    colors = [COLORS["up"] if c > 0 else COLORS["down"] for c in changes["change"]]
    ax.barh(y, np.nan_to_num(shown), color=colors, height=0.6)
    ax.axvline(0, color="#8a94a3", linewidth=1)
    limit = max([abs(v) for v in shown if not math.isnan(v)] + [10.0])
    for yy, v, row in zip(y, shown, changes.itertuples()):
        text = f"{report._value_words(row.ref_value, row.kind)} → {report._value_words(row.value, row.kind)}"
        if math.isnan(v):
            text += " (kỳ trước bằng 0)"
            v = 0.0
        up = row.change > 0
        ax.text(v + (0.02 * limit if up else -0.02 * limit), yy, _t(text), va="center",
                ha="left" if up else "right", fontsize=8.5, color=COLORS["text"])
    ax.set_xlim(-limit * 1.7, limit * 1.7)
    ax.set_ylim(k - 0.5, -0.5)
    ax.set_yticks(y, [_wrap(report.indicator_label(data.catalogue, i, 80), 40, 2) for i in changes["indicator"]],
                  fontsize=8.5)
    _vn_axis(ax.xaxis, 0)
    ax.set_xlabel(_t(f"Mức thay đổi: % so với {refp.title} (chỉ tiêu tỷ lệ: điểm %)"))
    ax.set_title(_t(f"{heading}\n(tăng: xanh, giảm: đỏ)"), fontsize=11)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------------------------


def png_bytes(fig: Figure, dpi: int = DPI) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    with matplotlib.rc_context(STYLE):
        fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return buffer.getvalue()


def describe(fig: Figure) -> str:
    """A one-line description of the figure (its title), used as the image's alternative text."""
    titles = [ax.get_title(loc) for ax in fig.axes for loc in ("left", "center")]
    return " ".join(" ".join(t.split()) for t in titles if t.strip()) or "Biểu đồ"


def show(fig: Figure):
    """The figure as an ``IPython.display.Image`` (a notebook output embedded as PNG, with the
    figure's title as alternative text)."""
    from IPython.display import Image

    return Image(data=png_bytes(fig), format="png", alt=describe(fig))


def save_figures(data: "PeriodData", out_dir: Path | str) -> list[Path]:
    """Write every chart of the period as PNG into ``out_dir`` (created); return the paths in
    the order of :data:`FIGURES`."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    builders = {
        "completeness": completeness_heatmap,
        "submissions": submission_times,
        "key_rates": key_rates,
        "changes": largest_changes,
    }
    paths = []
    for key, name in FIGURES.items():
        path = out_dir / name
        path.write_bytes(png_bytes(builders[key](data)))
        paths.append(path)
    return paths
