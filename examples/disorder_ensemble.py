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

from kwant_noneq.ensemble import run_ensemble
# The builder factory and task: any picklable function of the seed works the
# same (build the system inside it from the seed; only the arguments travel).
from kwant_noneq.systems.wire import wire_conductance as conductance

LENGTH, WIDTH, DISORDER, ENERGY = 60, 20, 1.5, 1.0  # sites, sites, t, t


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
