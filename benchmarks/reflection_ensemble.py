"""Time per realisation of the helical reflection ensemble, kept states reused.

``HelicalEdge.reflection_ensemble`` (systems/helical_edge.py) keeps the
ribbon's scattering states in each worker between realisations.  Run on one
thread of this process, every realisation meets the states the previous one
left, as in a pool worker; so this measures what keeping (and, since the
determinism fix, resetting) them costs::

    OMP_NUM_THREADS=1 PYTHONPATH=$PWD python benchmarks/reflection_ensemble.py \\
        [--n 16] [--width 16] [--length 120] [--disorder 0.2]

Prints one JSON line: CPU seconds per realisation, the solver counts of the
run (factorisations, solves) and the mean reflection per job.  Ribbon
``width x (length + 2 x 8)`` nm (8 nm disorder-free next to each lead), BHZ
parameters of validation helical_iv (A = 1.5 eV nm, B = -1 eV nm^2,
M = -1 eV, L3 = 0.5 eV nm^3), mu0 = 0.15 eV from the Dirac point, the
first-order fields of dmu = 0.02, 0.04, 0.08 eV at U = 4 eV switched on over
40 nm, plus the zero-field job, no control variate.  The machine is shared:
compare runs made one after the other, not seconds across sessions.
"""
import argparse
import concurrent.futures as cf
import json
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import kwant_noneq
from kwant_noneq.systems.helical_edge import HelicalEdge

MARGIN = 8          # nm, disorder-free next to each lead
MU0 = 0.15          # eV from the Dirac point
U = 4.0             # eV


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=16, help="realisations")
    ap.add_argument("--width", type=int, default=16, help="[nm]")
    ap.add_argument("--length", type=int, default=120, help="disordered length [nm]")
    ap.add_argument("--disorder", type=float, default=0.2, help="full width [eV]")
    a = ap.parse_args()
    e = HelicalEdge(a.width, dict(A=1.5, B=-1.0, M=-1.0, L3=0.5))
    fields = [e.exchange_field(MU0, dmu, U, n_panels=1) for dmu in (0.02, 0.04, 0.08)]
    jobs = [(0, f) for f in range(len(fields))]
    _, states = e.scattering_states(a.length + 2 * MARGIN,
                                    (float(e.dirac_energy + MU0),), MARGIN)
    before = states.counts.copy()
    start = time.process_time()
    with cf.ThreadPoolExecutor(1) as one_thread:
        ens = e.reflection_ensemble(a.length, a.disorder, [MU0], fields, jobs, a.n, 7,
                                    ramp=40, control_variate=False,
                                    clean_margin=MARGIN, executor=one_thread)
    cpu = time.process_time() - start
    print(json.dumps(dict(
        code=os.path.dirname(kwant_noneq.__file__), width=a.width, length=a.length,
        disorder=a.disorder, realisations=a.n, cpu_per_realisation=cpu / a.n,
        counts=(states.counts - before).as_dict(), mean_R_dis=ens.raw.mean(0).tolist())))


if __name__ == "__main__":
    main()
