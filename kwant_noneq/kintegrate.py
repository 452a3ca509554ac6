"""Fermi-surface and Fermi-sea quadratures in 2D k-space at T = 0.

A quadrature is a set of nodes ``(k_i, band_i)`` with weights ``w_i`` such
that, for smooth band-resolved functions ``g_n(k)``::

    Fermi surface:  sum_n int d^2k/(2pi)^2 delta(mu - e_n(k)) g_n(k) ~ sum_i w_i g(k_i)
    Fermi sea:      sum_n int d^2k/(2pi)^2 theta(mu - e_n(k)) g_n(k) ~ sum_i w_i g(k_i)

Why polar quadrature: the T = 0 integrands of nonlinear Hall responses are
Fermi-surface integrals of smooth functions.  On rays from a centre inside
each Fermi pocket, the crossing radius k_F(theta) is found to machine
precision (:meth:`kwant_noneq.bloch.BlochHamiltonian.ray_crossings`), and
the angular integral of a smooth periodic function by the trapezoid rule
converges exponentially (docs/architecture.md, section 6.4).  A sharp step on
a uniform grid converges slowly and non-monotonically instead.

Two integrators:

* :class:`ContinuumPolar` for continuum models (no Brillouin zone).  Its
  Fermi sea extends to infinity with a cut-off that is symmetric under
  k -> -k (a circle of radius ``k_cut`` plus a tail mapped by u = 1/k whose
  nodes come in +-k pairs), because the k-odd parts of Fermi-sea integrals
  such as sum_k f S are only conditionally convergent (docs/architecture.md, section 6.5).
* :class:`LatticePockets` for lattice models: fully occupied bands on a
  uniform Brillouin-zone grid (spectrally accurate for smooth periodic
  integrands), partially filled bands by polar quadrature in pockets around
  given centres (each pocket must be star-shaped about its centre).

The Hamiltonian ``H`` is a :class:`kwant_noneq.bloch.BlochHamiltonian`
(``dim = 2``): its energies, Hellmann-Feynman velocities and ray crossings
are the ones used here.

Units: k [1/nm], energies [eV], temperatures [K]; Fermi-surface weights
[1/(nm^2 eV)], Fermi-sea weights [1/nm^2].  The quadratures are at T = 0;
:func:`thermal_average` and :class:`FermiWindowRule` build T > 0 from them.
"""
import dataclasses

import numpy as np

from . import checks
from .occupation import TEMPERATURE_KEYWORD, thermal_energy
from .thermal import thermal_kernel

__all__ = ["KQuadrature", "ContinuumPolar", "LatticePockets", "smooth_window",
           "FermiWindowRule", "fermi_window_rule",
           "thermal_average", "thermal_average_pair"]


@dataclasses.dataclass
class KQuadrature:
    """Nodes and weights of a k-space quadrature.

    Attributes
    ----------
    k : (M, 2) 1/nm
    band : (M,) int
    weight : (M,)
    velocity : (M, 2) or None
        ``d e_n / d k`` [eV nm] at Fermi-surface nodes.
    static_count : int
        The first ``static_count`` nodes sit at k-points that do not depend
        on mu (a lattice Brillouin-zone grid): callers sweeping mu may cache
        per-node quantities for them (checked by comparing k and band).
    """

    k: np.ndarray
    band: np.ndarray
    weight: np.ndarray
    velocity: np.ndarray = None
    static_count: int = 0

    def __len__(self):
        return len(self.weight)


def _outermost_change(e, mu, r):
    """Outer end ``r[j + 1]`` of the outermost sample interval in which
    some band on some ray (``e`` of shape (rays, len(r), bands)) changes
    occupation, or None.  Samples are geometric in the callers, so the
    returned radius exceeds the outermost crossing by at most one sampling
    ratio."""
    occupied = e < mu                                   # (nth, nr, nb)
    changed = occupied[:, 1:] != occupied[:, :-1]
    hit = np.any(changed, axis=(0, 2))
    return float(r[1:][hit].max()) if hit.any() else None


def _check_energy(mu, name="mu"):
    """``mu`` as a float; a clear error for strings, NaN and infinities."""
    if isinstance(mu, (str, bytes, bool)) or np.ndim(mu) != 0:
        raise TypeError(f"{name} must be a real number [eV], got {mu!r}")
    try:
        mu = float(mu)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a real number [eV], got {mu!r}") from None
    if not np.isfinite(mu):
        raise ValueError(f"{name} must be finite [eV], got {mu}")
    return mu


class ContinuumPolar:
    """Polar Fermi-surface / Fermi-sea quadrature for a continuum model.

    Parameters
    ----------
    k_max : float
        Fermi pockets must lie within ``|k - center| < k_max`` [1/nm].
    center : (2,) array
        A point inside every Fermi pocket (the Dirac point).
    n_angles : int
        Angles of the trapezoid rule (even, so that +-k pairs exist).
    n_radial : int
        Gauss-Legendre nodes per radial interval of the Fermi sea.
    n_search : int
        Radial samples per ray used to bracket the crossings.
    k_cut : float or None
        Radius of the symmetric inner region of the Fermi sea (default:
        ``k_max``); beyond it the sea is integrated with ``u = 1/k``.
    n_graded : int
        Extra radial breakpoints at ``k_cut / 2^j``, j = 1..n_graded.
    """

    def __init__(self, k_max, center=(0.0, 0.0), n_angles=64, n_radial=16,
                 n_search=256, k_cut=None, n_graded=4):
        _check_positive(k_max, "k_max", "1/nm")
        for name, value in (("n_angles", n_angles), ("n_radial", n_radial),
                            ("n_search", n_search)):
            _check_count(value, name)
        if n_angles % 2:
            raise ValueError("n_angles must be even (symmetric cut-off), got "
                             f"{n_angles}")
        if k_cut is not None:
            _check_positive(k_cut, "k_cut", "1/nm")
        self.k_max = float(k_max)
        self.center = np.asarray(center, dtype=float)
        self.n_angles = int(n_angles)
        self.n_radial = int(n_radial)
        self.n_search = int(n_search)
        self.k_cut = self.k_max if k_cut is None else float(k_cut)
        self.n_graded = int(n_graded)
        # Band energies on the bracketing ray grids do not depend on mu;
        # recomputing them was ~half the time of a thermal (many-energy)
        # evaluation.  Keyed by grid radius; valid for one Hamiltonian.
        self._ray_cache = {}
        self._outer_cache = {}

    def _ray_energies(self, cache, key, H, radii):
        """Bands ``(n_angles, len(radii), size)`` on the rays at ``radii``,
        kept in ``cache[key]`` for the Hamiltonian ``H`` (at most 4 grids)."""
        hit = cache.get(key)
        if hit is None or hit[0] is not H:
            angles = self._angles()
            dirs = np.stack([np.cos(angles), np.sin(angles)], -1)
            k = self.center + radii[None, :, None] * dirs[:, None, :]
            if len(cache) >= 4:                      # bounded memory
                cache.pop(next(iter(cache)))
            hit = cache[key] = (H, H.energies(k))
        return hit[1]

    def _outer_crossing(self, H, mu, r_from, r_to):
        """:func:`_outermost_change` on 33 geometric radii from ``r_from``
        to ``r_to``, the mu-independent energies cached."""
        r = r_from * (r_to / r_from) ** np.linspace(0.0, 1.0, 33)
        e = self._ray_energies(self._outer_cache, (r_from, r_to), H, r)
        return _outermost_change(e, mu, r)

    def check_domain(self, H, energy):
        """Raise ValueError (naming k_max and the value needed) if the Fermi
        surface at ``energy`` [eV] leaves ``|k - center| < k_max``."""
        energy = _check_energy(energy, "energy")
        out = self._outer_crossing(H, energy, self.k_max, 64 * self.k_max)
        if out is not None:
            raise ValueError(
                f"the Fermi surface at energy {energy:g} eV extends to "
                f"|k - center| ~ {out:.3g} 1/nm, beyond k_max = "
                f"{self.k_max:g} 1/nm (nodes outside are missed): use "
                f"k_max >= {1.25 * out:.3g} 1/nm")

    def _crossings(self, H, mu, radius):
        r_grid = np.linspace(0, radius, self.n_search)
        e = self._ray_energies(self._ray_cache, radius, H, r_grid)
        return H.ray_crossings(mu, self.center, self._angles(), r_grid,
                               grid_energies=e)

    def refined(self, factor=2):
        """The same integrator with ``factor`` times more nodes."""
        return ContinuumPolar(self.k_max, self.center,
                              self.n_angles * factor, self.n_radial * factor,
                              self.n_search, self.k_cut, self.n_graded)

    def _angles(self):
        return 2 * np.pi * (np.arange(self.n_angles) + 0.5) / self.n_angles

    def fermi_surface(self, H, mu, check_domain=True):
        """Fermi-surface quadrature [weights 1/(nm^2 eV)].

        Raises ValueError if a band changes occupation on a ray beyond
        ``k_max`` (checked out to ``64 k_max``): that part of the Fermi
        surface would be missing from the nodes, and the refinement used
        for convergence estimates would miss it too.  ``check_domain=False``
        is for callers that check the domain themselves.
        """
        mu = _check_energy(mu)
        if check_domain:
            self.check_domain(H, mu)
        angles = self._angles()
        i_th, band, r = self._crossings(H, mu, self.k_max)
        d = np.stack([np.cos(angles[i_th]), np.sin(angles[i_th])], -1)
        k = self.center + r[:, None] * d
        vel = H.velocities(k, band)
        radial_v = np.abs(np.einsum("mi,mi->m", vel, d))
        w = (2 * np.pi / self.n_angles) / (2 * np.pi) ** 2 * r / radial_v
        return KQuadrature(k, band, w, vel)

    def fermi_sea(self, H, mu, tail=True):
        """Fermi-sea quadrature [weights 1/nm^2] with symmetric cut-off.

        With ``tail=False`` only the disc ``|k - center| < k_cut`` is
        integrated (used for lattice pockets).  With the tail, a Fermi
        surface beyond ``k_cut`` raises ValueError: the tail rule assumes a
        smooth occupation (checked out to ``64 k_cut``).
        """
        mu = _check_energy(mu)
        if tail:
            out = self._outer_crossing(H, mu, self.k_cut, 64 * self.k_cut)
            if out is not None:
                raise ValueError(
                    f"the Fermi surface at energy {mu:g} eV extends to "
                    f"|k - center| ~ {out:.3g} 1/nm, beyond the Fermi-sea "
                    f"cut-off k_cut = {self.k_cut:g} 1/nm (the tail rule "
                    f"would integrate a step): use k_cut >= {1.25 * out:.3g} "
                    "1/nm (and k_max at least as large)")
        angles = self._angles()
        nth, nb = self.n_angles, H.size
        i_th, band, r = self._crossings(H, mu, self.k_cut)
        # Breakpoints per (angle, band): 0, crossings..., k_cut.
        counts = np.zeros((nth, nb), dtype=int)
        np.add.at(counts, (i_th, band), 1)
        nmax = counts.max() if counts.size else 0
        # Graded breakpoints k_cut / 2^j (j = 1..n_graded) resolve band-edge
        # structure (scale Delta / hbar v) much smaller than k_cut.
        ng = self.n_graded
        pts = np.full((nth, nb, nmax + 2 + ng), self.k_cut)
        pts[:, :, 0] = 0.0
        pts[:, :, nmax + 2:] = self.k_cut / 2.0 ** np.arange(1, ng + 1)
        order = np.lexsort((r, band, i_th))
        slot = np.zeros((nth, nb), dtype=int)
        for j in order:
            t, n = i_th[j], band[j]
            slot[t, n] += 1
            pts[t, n, slot[t, n]] = r[j]
        pts[:, :, 1:] = np.sort(pts[:, :, 1:], axis=-1)
        lo, hi = pts[..., :-1], pts[..., 1:]                   # intervals
        x, gw = np.polynomial.legendre.leggauss(self.n_radial)
        half = (hi - lo) / 2
        rr = (lo + hi)[..., None] / 2 + half[..., None] * x     # (t, n, I, q)
        ww = half[..., None] * gw * rr                          # r dr
        dirs = np.stack([np.cos(angles), np.sin(angles)], -1)
        # Occupation of each interval from its midpoint.
        mid = self.center + ((lo + hi) / 2)[..., None] * dirs[:, None, None, :]
        e_mid = H.energies(mid)                             # (t, n, I, nb)
        bands = np.arange(nb)
        occ = np.take_along_axis(e_mid, bands[None, :, None, None], -1)[..., 0] < mu
        occ &= hi > lo
        ww = ww * occ[..., None]
        kk = self.center + rr[..., None] * dirs[:, None, None, None, :]
        bb = np.broadcast_to(bands[None, :, None, None], rr.shape)
        k_in, b_in, w_in = kk.reshape(-1, 2), bb.reshape(-1), ww.reshape(-1)

        if not tail:
            w_in = w_in * (2 * np.pi / nth) / (2 * np.pi) ** 2
            keep = w_in != 0
            return KQuadrature(k_in[keep], b_in[keep], w_in[keep])
        # Tail k > k_cut, u = 1/k in (0, 1/k_cut): r dr = -du / u^3.
        xt, gt = np.polynomial.legendre.leggauss(self.n_radial)
        u = (xt + 1) / (2 * self.k_cut)
        wt = gt / (2 * self.k_cut) / u ** 3
        kt = self.center + (1 / u)[None, :, None] * dirs[:, None, :]
        et = H.energies(kt)                                 # (t, q, nb)
        occ_t = et < mu
        wtail = np.broadcast_to(wt[None, :, None], et.shape) * occ_t
        k_t = np.broadcast_to(kt[:, :, None, :], et.shape + (2,))
        b_t = np.broadcast_to(bands, et.shape)
        k_all = np.concatenate([k_in, k_t.reshape(-1, 2)])
        b_all = np.concatenate([b_in, b_t.reshape(-1)])
        w_all = np.concatenate([w_in, wtail.reshape(-1)])
        w_all = w_all * (2 * np.pi / nth) / (2 * np.pi) ** 2
        keep = w_all != 0
        return KQuadrature(k_all[keep], b_all[keep], w_all[keep])


def _check_positive(value, name, unit):
    if isinstance(value, (str, bytes, bool)):
        raise TypeError(f"{name} must be a positive number ({unit}), got {value!r}")
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a positive number ({unit}), got "
                        f"{value!r}") from None
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be finite and > 0 ({unit}), got {value}")
    return value


def _check_count(value, name, minimum=1):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def smooth_window(r, radius):
    """C-infinity window: 1 for r <= radius/2, 0 for r >= radius."""
    t = np.clip((np.asarray(r) - radius / 2) / (radius / 2), 0.0, 1.0)
    psi = lambda x: np.where(x > 0, np.exp(-1 / np.where(x > 0, x, 1)), 0.0)
    return 1 - psi(t) / (psi(t) + psi(1 - t))


class LatticePockets:
    """Quadrature for a lattice model with Fermi pockets around known points.

    Fermi surface: polar rays around each pocket centre.  Fermi sea: a
    smooth partition of unity ``1 = chi + (1 - chi)``, with ``chi`` a
    C-infinity window around each centre (1 within ``pocket_radius/2``, 0
    beyond ``pocket_radius``).  Why: the integrands of filled bands are sharp
    near the band edge (scale Delta / hbar v) but smooth and periodic
    elsewhere, so ``chi g`` is integrated by polar quadrature (spectral) and
    ``(1 - chi) g`` by a uniform Brillouin-zone grid (spectral for smooth
    periodic functions), without a large grid.  Partially filled bands must
    be occupied only inside ``pocket_radius/2`` of a centre (electron
    pockets, star-shaped about the centre).

    Parameters
    ----------
    reciprocal_vectors : (2, 2) array
        Rows b_1, b_2 [1/nm] spanning the Brillouin zone.
    pocket_centers : (P, 2) array
        A point inside each Fermi pocket [1/nm].
    pocket_radius : float
        Radius [1/nm] of the polar discs; windows must not overlap.
    n_grid : int
        Uniform grid ``n_grid x n_grid`` for ``(1 - chi) g``.
    n_angles, n_radial, n_search : int
        As in :class:`ContinuumPolar`.
    """

    def __init__(self, reciprocal_vectors, pocket_centers, pocket_radius,
                 n_grid=128, n_angles=64, n_radial=16, n_search=256):
        self.reciprocal_vectors = np.asarray(reciprocal_vectors, float)
        if (self.reciprocal_vectors.shape != (2, 2)
                or not np.all(np.isfinite(self.reciprocal_vectors))
                or abs(np.linalg.det(self.reciprocal_vectors)) == 0):
            raise ValueError("reciprocal_vectors must be two finite, linearly "
                             "independent rows b_1, b_2 [1/nm], got "
                             f"{reciprocal_vectors!r}")
        self.pocket_centers = np.atleast_2d(np.asarray(pocket_centers, float))
        if (self.pocket_centers.shape[-1] != 2
                or not np.all(np.isfinite(self.pocket_centers))):
            raise ValueError("pocket_centers must be finite points (P, 2) "
                             f"[1/nm], got {pocket_centers!r}")
        self.pocket_radius = _check_positive(pocket_radius, "pocket_radius",
                                             "1/nm")
        for name, value in (("n_grid", n_grid), ("n_angles", n_angles),
                            ("n_radial", n_radial), ("n_search", n_search)):
            _check_count(value, name)
        self.n_grid = int(n_grid)
        self.n_angles, self.n_radial = int(n_angles), int(n_radial)
        self.n_search = int(n_search)
        # Grid energies and windows do not depend on mu: computed once per
        # Hamiltonian (a mu sweep spent ~20 % of its time recomputing them).
        self._grid_cache = None
        self._polars = {}          # polar rules keep their ray-grid caches

    def refined(self, factor=2):
        return LatticePockets(self.reciprocal_vectors, self.pocket_centers,
                              self.pocket_radius, self.n_grid * factor,
                              self.n_angles * factor, self.n_radial * factor,
                              self.n_search)

    def _polar(self, center, radius):
        key = (tuple(center), radius)
        if key not in self._polars:
            self._polars[key] = ContinuumPolar(radius, center, self.n_angles,
                                               self.n_radial, self.n_search,
                                               k_cut=radius)
        return self._polars[key]

    def fermi_surface(self, H, mu):
        """Fermi surface of the pockets [weights 1/(nm^2 eV)].

        Raises ValueError if a band is occupied farther than
        ``pocket_radius/2`` from every centre without being filled (its
        Fermi surface would be cut): on rays out to ``pocket_radius``, and
        on the Brillouin-zone grid beyond.
        """
        mu = _check_energy(mu)
        self.check_domain(H, mu)
        parts = [self._polar(c, self.pocket_radius / 2).fermi_surface(
            H, mu, check_domain=False) for c in self.pocket_centers]
        return KQuadrature(*(np.concatenate([getattr(p, f) for p in parts])
                             for f in ("k", "band", "weight", "velocity")))

    def check_domain(self, H, energy):
        """Raise ValueError (naming pocket_radius) if a partly filled band
        at ``energy`` [eV] is occupied farther than ``pocket_radius/2``
        from every centre."""
        mu = _check_energy(energy, "energy")
        half = self.pocket_radius / 2
        for c in self.pocket_centers:
            out = self._polar(c, half)._outer_crossing(H, mu, half,
                                                       self.pocket_radius)
            if out is not None:
                raise ValueError(
                    f"the Fermi surface at energy {mu:g} eV reaches ~{out:.3g} "
                    f"1/nm from the pocket centre {tuple(c)}, beyond "
                    f"pocket_radius/2 = {half:g} 1/nm (nodes outside are "
                    f"missed): use pocket_radius >= {2.5 * out:.3g} 1/nm or "
                    "add pocket centres")
        k, w, e, chi = self._grid_data(H)
        full = np.all(e < mu, axis=0)
        stray = ~full & np.any(e[chi < 1] < mu, axis=0)
        if np.any(stray):
            raise ValueError(
                f"band {int(np.nonzero(stray)[0][0])} is occupied at energy "
                f"{mu:g} eV farther than pocket_radius/2 = {half:g} 1/nm "
                "from the pocket centres (its Fermi surface would be cut): "
                "enlarge pocket_radius or add pocket centres")

    def _grid(self):
        t = (np.arange(self.n_grid) + 0.5) / self.n_grid
        frac = np.stack(np.meshgrid(t, t, indexing="ij"), -1).reshape(-1, 2)
        k = frac @ self.reciprocal_vectors
        area = abs(np.linalg.det(self.reciprocal_vectors))
        return k, area / len(k) / (2 * np.pi) ** 2

    def _window(self, k):
        """sum over centres of chi(|k - c|), nearest periodic image."""
        out = np.zeros(len(k))
        for c in self.pocket_centers:
            frac = np.linalg.solve(self.reciprocal_vectors.T, (k - c).T).T
            diff = (frac - np.round(frac)) @ self.reciprocal_vectors
            out += smooth_window(np.linalg.norm(diff, axis=-1),
                                 self.pocket_radius)
        return out

    def _grid_data(self, H):
        c = self._grid_cache
        if c is None or c[0] is not H:
            k, w = self._grid()
            c = self._grid_cache = (H, k, w, H.energies(k), self._window(k))
        return c[1:]

    def fermi_sea(self, H, mu):
        """Fermi sea [weights 1/nm^2]: filled bands by grid + windowed discs,
        partly filled bands by their pockets.  The grid nodes come first
        (``static_count``).  Raises ValueError as :meth:`fermi_surface`
        when a partly filled band is occupied outside the pockets."""
        mu = _check_energy(mu)
        self.check_domain(H, mu)
        k, w, e, chi = self._grid_data(H)
        polar = [(c, self._polar(c, self.pocket_radius).fermi_sea(
            H, mu, tail=False)) for c in self.pocket_centers]
        full = np.all(e < mu, axis=0)
        # A pocket may hold no grid point: occupation seen by the polar
        # quadrature counts too.
        seen = np.zeros(H.size, dtype=bool)
        for _, q in polar:
            seen[np.unique(q.band)] = True
        partial = ~full & (np.any(e < mu, axis=0) | seen)
        kk, bb, ww = [], [], []
        outside = chi < 1
        for n in np.nonzero(full | partial)[0]:
            if partial[n] and np.any(e[outside, n] < mu):
                raise ValueError(
                    f"band {n} is occupied farther than pocket_radius/2 from "
                    "the pocket centres: enlarge pocket_radius or add centres")
            if full[n]:
                kk.append(k[outside])
                bb.append(np.full(outside.sum(), n))
                ww.append(w * (1 - chi[outside]))
        static = sum(len(x) for x in kk)
        for c, q in polar:
            keep = full[q.band] | partial[q.band]
            r = np.linalg.norm(q.k - c, axis=-1)
            kk.append(q.k[keep])
            bb.append(q.band[keep])
            ww.append(q.weight[keep] * smooth_window(r[keep], self.pocket_radius))
        return KQuadrature(np.concatenate(kk), np.concatenate(bb),
                           np.concatenate(ww), static_count=static)


@checks.renamed_keywords(kT=TEMPERATURE_KEYWORD)
def thermal_average(func, mu, *, temperature, step=1.0, span=24.0):
    """``int de (-df/de)(e - mu) func(e)``, ``f`` the Fermi function at
    ``temperature``.

    Trapezoid rule in ``x = (e - mu)/kT`` with spacing ``step`` on
    ``[-span, span]``.  Why trapezoid: the weight ``1/(4 cosh^2(x/2))`` is
    analytic in the strip ``|Im x| < pi``, so for smooth ``func`` the error
    falls like ``(8 pi^2 / step) exp(-2 pi^2 / step)`` (Poisson summation
    with the kernel's transform ``pi w / sinh(pi w)``: 2e-7 at step 1,
    1e-15 at step 1/2) and the truncation like ``exp(-span)``.  T = 0
    band-edge kinks of ``func`` inside the window make the convergence
    algebraic; compare ``step`` and ``step/2``.

    Parameters
    ----------
    func : callable
        Maps an energy [eV] to an array; the result has its shape.
    mu : float
        Chemical potential [eV].
    temperature : float
        [K], ``>= 0`` (keyword only; ``kT = k_B T`` with
        :data:`kwant_noneq.constants.KB`).  ``0`` returns ``func(mu)``; a
        negative temperature is refused.
    step, span : float
        Node spacing and half-width of the window, in units of ``kT``.
    """
    mu, kT = _check_energy(mu), thermal_energy(temperature)
    _check_positive(step, "step", "units of kT")
    _check_positive(span, "span", "units of kT")
    if kT == 0:
        return np.asarray(func(mu))
    n = int(round(2 * span / step)) + 1
    x = np.linspace(-span, span, n)
    weight = (x[1] - x[0]) * thermal_kernel(x)
    return sum(wi * np.asarray(func(mu + kT * xi)) for xi, wi in zip(x, weight))


@checks.renamed_keywords(kT=TEMPERATURE_KEYWORD)
def thermal_average_pair(func, mu, *, temperature, step=1.0, span=24.0):
    """:func:`thermal_average` at ``step`` and at ``step/2`` from nested
    nodes (each energy evaluated once); returns ``(coarse, fine)``.

    Parameters as :func:`thermal_average`; ``temperature`` [K] must be
    ``> 0``.
    """
    mu, kT = _check_energy(mu), thermal_energy(temperature)
    if kT == 0:
        raise ValueError("thermal_average_pair needs temperature > 0 [K]; at "
                         "T = 0 evaluate func(mu) directly")
    _check_positive(step, "step", "units of kT")
    _check_positive(span, "span", "units of kT")
    n = int(round(2 * span / step)) + 1
    x = np.linspace(-span, span, 2 * n - 1)
    vals = [np.asarray(func(mu + kT * xi)) for xi in x]
    kernel = thermal_kernel(x)
    h = x[1] - x[0]
    fine = sum(h * k * v for k, v in zip(kernel, vals))
    coarse = sum(2 * h * k * v for k, v in zip(kernel[::2], vals[::2]))
    return coarse, fine


@dataclasses.dataclass
class FermiWindowRule:
    """Energy nodes for finite-temperature sums built from T = 0 rules.

    With ``x = (e - mu)/kT`` at nodes ``x`` (both signs)::

        int de (-df/de) F(e)               ~ sum_i derivative_weight_i F(mu + kT x_i)
        int de [f(e) - theta(mu - e)] F(e) ~ kT sum_i occupation_weight_i F(mu + kT x_i)

    The first turns a T = 0 Fermi-surface sum into its thermal value; the
    second is the correction that turns a T = 0 Fermi sea at mu into the
    Fermi-Dirac weighted sea (``sum_k f g = Sea_mu(g) + int de (f -
    theta) FS_e(g)``, exact).  Both kernels are analytic in ``|Im x| < pi`` but
    the second jumps at x = 0, so Gauss-Legendre panels on each half line
    (breakpoints ``0, 1.5, 4, 8, 14, span``) are used instead of a
    trapezoid.  For smooth F the error with 6 nodes per panel is ~1e-7 of
    the scale of F (measured on test functions), and truncation ``exp(-span)``.

    Attributes
    ----------
    x : (N,) dimensionless
    derivative_weight : (N,)
        ``w_i / (4 cosh^2(x_i/2))``; sums to 1 up to truncation.
    occupation_weight : (N,)
        ``w_i sign(x_i) / (exp|x_i| + 1)``.
    """

    x: np.ndarray
    derivative_weight: np.ndarray
    occupation_weight: np.ndarray


def fermi_window_rule(nodes_per_panel=6, span=24.0):
    """:class:`FermiWindowRule` with ``nodes_per_panel`` Gauss-Legendre
    nodes on each of the panels ``[0, 1.5, 4, 8, 14, span]`` of both half
    lines (``2 * 5 * nodes_per_panel`` energies)."""
    _check_count(nodes_per_panel, "nodes_per_panel")
    _check_positive(span, "span", "units of kT")
    breaks = [b for b in (0.0, 1.5, 4.0, 8.0, 14.0) if b < span] + [span]
    t, gw = np.polynomial.legendre.leggauss(int(nodes_per_panel))
    xs, ws = [], []
    for a, b in zip(breaks[:-1], breaks[1:]):
        xs.append((a + b) / 2 + (b - a) / 2 * t)
        ws.append((b - a) / 2 * gw)
    xp, wp = np.concatenate(xs), np.concatenate(ws)
    x = np.concatenate([-xp[::-1], xp])
    w = np.concatenate([wp[::-1], wp])
    return FermiWindowRule(x, w * thermal_kernel(x),
                           w * np.sign(x) / (np.exp(np.abs(x)) + 1))
