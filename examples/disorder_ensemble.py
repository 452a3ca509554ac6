"""Conductance of a disordered quantum wire, averaged over 20 disorder seeds.

A square-lattice wire (hopping t = 1, lattice constant 1) of L x W sites with
Anderson disorder: each site energy is shifted by ``disorder * (u - 1/2)``,
``u`` uniform in [0, 1) from ``kwant.digest.uniform(repr(site.tag), salt)``,
so that a realisation depends on its seed only.  The ensemble runs on a local
process pool (``kwant_noneq.ensemble.run_ensemble``); pass ``--results FILE``
to keep every realisation in a JSON-lines file, so that running the same
command again after an interruption only computes what is missing.

Run::

    python examples/disorder_ensemble.py [--seeds 20] [--results wire.jsonl] [--out FIG.png]

Prints the clean conductance (the number of open channels, in e^2/h) and the
disorder average <G> +- its standard error, and saves the histogram of the
realisations (``disorder_ensemble.png``).
"""
import argparse

import kwant

from kwant_noneq.ensemble import run_ensemble, salt

LENGTH, WIDTH, DISORDER, ENERGY = 60, 20, 1.5, 1.0  # sites, sites, t, t


def make_wire(length, width, disorder, disorder_salt):
    """Unfinalized Builder of the disordered wire with two clean leads."""
    lat = kwant.lattice.square(norbs=1)
    syst = kwant.Builder()

    def onsite(site):
        return 4 + disorder * (kwant.digest.uniform(repr(site.tag), disorder_salt) - 0.5)

    syst[(lat(x, y) for x in range(length) for y in range(width))] = onsite
    syst[lat.neighbors()] = -1
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1, 0)))
    lead[(lat(0, y) for y in range(width))] = 4
    lead[lat.neighbors()] = -1
    syst.attach_lead(lead)
    syst.attach_lead(lead.reversed())
    return syst


def conductance(seed, length, width, disorder, energy):
    """Conductance (e^2/h) of one realisation; the system is built in the worker."""
    fsyst = make_wire(length, width, disorder, salt(seed)).finalized()
    return kwant.smatrix(fsyst, energy).transmission(1, 0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20, help="number of realisations")
    parser.add_argument("--master-seed", type=int, default=2024)
    parser.add_argument("--results", default=None, help="JSON-lines results file")
    parser.add_argument("--out", default="disorder_ensemble.png", help="figure file")
    opts = parser.parse_args()

    args = (LENGTH, WIDTH, DISORDER, ENERGY)
    clean = conductance(0, LENGTH, WIDTH, 0.0, ENERGY)
    result = run_ensemble(conductance, opts.seeds, opts.master_seed, args=args,
                          results_file=opts.results)
    print(f"wire {LENGTH} x {WIDTH} sites, E = {ENERGY} t, disorder {DISORDER} t")
    print(f"clean conductance   G0  = {clean:.4f} e^2/h (open channels)")
    print(f"{result.n} realisations <G> = {result.mean:.4f} +- {result.stderr:.4f} e^2/h")
    print(f"spread over realisations: {result.data.min():.4f} .. {result.data.max():.4f} e^2/h")

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.hist(result.data, bins="auto", color="0.7", edgecolor="k")
    ax.axvline(result.mean, color="r", label=rf"$\langle G\rangle$ = {result.mean:.2f} "
               rf"$\pm$ {result.stderr:.2f} $e^2/h$")
    ax.set_xlabel("$G$ [$e^2/h$]")
    ax.set_ylabel("realisations")
    ax.set_title(f"{LENGTH} × {WIDTH} sites, $E$ = {ENERGY:g} $t$, disorder {DISORDER:g} $t$; "
                 f"clean $G_0$ = {clean:.0f} $e^2/h$", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(opts.out, dpi=120)
    print(f"figure: {opts.out}")


if __name__ == "__main__":
    main()
