"""One figure style for the validation cases.

Axis labels read ``quantity [unit]``: the quantity in mathtext
(``$\\rho_D^{xx}$``, ``$q/k_F$``), the unit in brackets as
docs/architecture.md writes units (``[eV]``, ``[1/nm]``, ``[µeV]``,
``[1/(eV nm$^2$)]``), no brackets for a dimensionless quantity.  Use
:func:`axis_label` to write one.

:func:`style` holds the sizes every figure shares (legend and title fonts,
resolution); :func:`validation.records.run_cases` runs every case inside
it, so a case need not set them itself.  :func:`save` lays a figure out,
writes it and closes it.
"""
import matplotlib
from matplotlib import pyplot as plt
from matplotlib.ticker import FuncFormatter, LogLocator

#: rcParams shared by every validation figure.
STYLE = {
    "legend.fontsize": 7,
    "axes.titlesize": 9,
    "figure.titlesize": 10,
    "savefig.dpi": 110,
}


def style():
    """Context manager that applies :data:`STYLE` (and nothing outside it)."""
    return matplotlib.rc_context(STYLE)


def axis_label(quantity, unit=None):
    """``'quantity [unit]'``, or ``quantity`` alone when dimensionless.

    Parameters
    ----------
    quantity : str
        What is plotted, symbols in mathtext (e.g. ``r"$\\Pi(q, 0)/D(\\mu)$"``).
    unit : str, optional
        Its unit as docs/architecture.md writes it (e.g. ``"1/(eV nm$^2$)"``,
        ``"µeV"``, ``"Ω"``); ``None`` for a dimensionless quantity.
    """
    return quantity if unit is None else f"{quantity} [{unit}]"


def plain_log_ticks(axis):
    """Label a log axis that spans one or two decades at 1, 2, 5 x 10^n in
    plain numbers (``0.005, 0.01, 0.02``): matplotlib's default labels every
    minor tick of such an axis in scientific notation, and they overlap."""
    plain = FuncFormatter(lambda value, _: f"{value:g}")
    axis.set_major_formatter(plain)
    axis.set_minor_locator(LogLocator(subs=(2.0, 5.0)))
    axis.set_minor_formatter(plain)


def scaled_ticks(axis, scale):
    """Tick labels of a linear axis in units of ``scale`` (``0.5`` for
    ``5e-6`` with ``scale=1e-5``); write the power into the unit,
    ``axis_label(q, "$10^{-5}$ A nm/V$^2$")``.  Plain numbers read better
    than ``0.000050`` and than matplotlib's offset text ``1e-5`` above the
    axis, which names no unit."""
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value / scale:g}"))


def save(fig, path):
    """Lay out ``fig``, write it to ``path`` (resolution from :data:`STYLE`)
    and close it."""
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
