"""Bloch Hamiltonians H(k) and their bands: one object for Kwant leads,
periodic Kwant builders and plain callables.

:class:`BlochHamiltonian` is a vectorised ``H(k) -> array (..., n, n)``
with its bands: energies and eigenvectors (:meth:`~BlochHamiltonian.eigh`),
Hellmann-Feynman velocities (:meth:`~BlochHamiltonian.velocities`), and the
momenta where a band meets an energy, along k in 1D
(:meth:`~BlochHamiltonian.crossings`) and along rays in 2D
(:meth:`~BlochHamiltonian.ray_crossings`).  :func:`bloch_hamiltonian` makes
one from

* a finalized Kwant lead (:class:`kwant.system.InfiniteSystem`): ``H(k) = h
  + t e^{-ik} + t^dagger e^{ik}`` from its cell Hamiltonian ``h`` and
  inter-cell hopping ``t``;
* a :class:`kwant.Builder` with a :class:`kwant.TranslationalSymmetry`
  (1, 2 or 3 periods): its Fourier components ``H_R`` are computed once, so
  that evaluating ``H`` and ``dH/dk`` at many k-points is one product;
* any callable ``H(k)`` (k of shape ``(..., dim)``), e.g. a continuum model.

It is called, like the matrix it stands for, with momenta, and returns
matrices; :class:`kwant.physics.Bands`, Kwant's band object for leads, is
called with one scalar momentum and returns energies.  Ours is vectorised
over k, covers builders and callables as well, and finds crossings.
:mod:`kwant_noneq.bandedges` keeps Kwant's object for the band edges of a
system's leads: Kwant sums the terms of ``H(k)`` in another order, so the
edges, and the real-space energy grids built on them, would move in the last
bits.

Conventions
-----------
* Units: k is in inverse length units of the builder's lattice (1/nm when the
  lattice constant is given in nm), except for leads (below); energies are
  those of the system (eV in the :mod:`kwant_noneq.systems` models).
* A lead takes k per unit cell (``k a``, dimensionless), Kwant's convention
  for leads (:class:`kwant.physics.Bands`, mode velocities ``dE/dk`` per
  cell); ``period`` [nm] converts: ``k [1/nm] = k a / period``.
  ``k > 0`` velocities point along the lead's symmetry vector.
* Fourier convention ("convention I", orbital positions inside the unit cell
  ignored)::

      H(k)_{ab} = sum_R  <a, 0| H |b, R>  exp(i k . R),

  where R runs over lattice translations (Cartesian, length units).  This is
  Kwant's own ``kwant.wraparound`` convention with the dimensionless momentum
  ``k_j = k . a_j`` for period vector ``a_j``.  With several sites in the
  unit cell the Berry connection differs from the one with orbital positions
  ("convention II") by a k-dependent diagonal gauge; state-independent
  quantities such as energies and velocities are unaffected.
* When the symmetry has fewer periods than space dimensions (a ribbon),
  k has one component per period: ``k_j`` is the momentum along the unit
  vector of period ``a_j`` (phase ``k_j |a_j|`` per period).
* ``norbs`` is Kwant's: orbitals per site (a callable, which has no sites,
  counts as one site of ``size`` orbitals); ``size`` is the matrix size, the
  number of bands.
"""
import dataclasses
import itertools

import kwant
import kwant.system
import numpy as np
from kwant.wraparound import wraparound

from . import checks
from .params import allow_extra_params as allow_extra, check_params

__all__ = ["BlochHamiltonian", "bloch_hamiltonian", "BandCrossings",
           "BandCrossingError", "bands", "velocity_operators", "onsite_operator"]


@dataclasses.dataclass(frozen=True)
class BandCrossings:
    """Where bands meet given energies along a 1D Brillouin zone.

    One entry per crossing (:meth:`BlochHamiltonian.crossings`).

    Attributes
    ----------
    energy_index : ndarray (M,) of int
        Index of the energy (into the ``energies`` asked for) that is met.
    k : ndarray (M,)
        Momentum of the crossing: per unit cell for a lead, [1/nm] for a
        builder.
    band : ndarray (M,) of int
        Index of the band (ascending energies) that crosses.
    states : ndarray (M, size) or None
        Its Bloch state, normalised over one unit cell: ``eigh``'s, which
        for nearly degenerate bands (the two edges of a ribbon) is a
        rounding-chosen mixture; :meth:`BlochHamiltonian.crossing_states`
        gives basis-independent ones.
    velocities : ndarray (M,) or None
        ``dE/dk`` there (Hellmann-Feynman): [eV] per unit cell for a lead,
        [eV nm] for a builder.  The sign tells right from left movers.
    band_energies : ndarray (M, size) or None
        All band energies at that k [eV].  ``states``, ``velocities`` and
        ``band_energies`` are None when nothing crosses.
    """

    energy_index: np.ndarray
    k: np.ndarray
    band: np.ndarray
    states: np.ndarray = None
    velocities: np.ndarray = None
    band_energies: np.ndarray = None

    def __len__(self):
        return len(self.k)


#: Crossings of one energy closer than this in k are one degenerate
#: crossing (Newton converges to ~1e-14; distinct crossings of distinct
#: bands lie far apart on any k-grid that brackets them).
_SAME_K = 1e-9


def _degenerate_groups(node, k):
    """Index arrays of crossings at the same energy node and the same k."""
    order = np.lexsort((k, node))
    groups, start = [], 0
    for i in range(1, len(order) + 1):
        if (i == len(order) or node[order[i]] != node[order[i - 1]]
                or k[order[i]] - k[order[i - 1]] > _SAME_K):
            if i - start > 1:
                groups.append(order[start:i])
            start = i
    return groups


def _merge_degenerate(node, k):
    """Put degenerate crossings at exactly one k.

    Bands degenerate at every k (the two surfaces of a slab with inversion
    and time reversal, two decoupled copies of a system) cross an energy at
    the same k, which Newton finds for each band separately, to ~1e-14.
    ``eigh`` at two such nearby k returns two unrelated bases of the
    degenerate subspace, so the two "states" need not be orthogonal (both
    could be the same one, and the density counts one surface twice and the
    other not at all).  At one common k they are one orthonormal basis.
    """
    k = k.copy()
    for g in _degenerate_groups(node, k):
        k[g] = k[g].mean()
    return k


class BandCrossingError(ValueError, RuntimeError):
    """Band crossings at the given energies could not be located (a
    ValueError: the energies or parameters put them where crossings are
    ill-defined; a RuntimeError for older callers)."""


@dataclasses.dataclass(frozen=True)
class BlochHamiltonian:
    """Vectorised Bloch Hamiltonian ``H(k)`` and its bands.

    Call it with k of shape ``(..., dim)`` to get ``(..., size, size)``
    (module docstring: units of k).  Made by :func:`bloch_hamiltonian`.

    Attributes
    ----------
    dim : int
        Number of k components.
    size : int
        Matrix size n: orbitals per unit cell, the number of bands.
    norbs : int or None
        Orbitals per site (Kwant's ``norbs``), if the same for all sites;
        ``size`` for a callable.
    period : float or None
        Length [nm] of the period of a lead or a one-period builder.
    fourier_vectors : ndarray (nR, dim) or None
        Lattice translations R (length units) of the Fourier components, for
        builders; None otherwise.
    fourier_matrices : ndarray (nR, n, n) or None
        Fourier components ``H_R`` (energy units).
    cell_hamiltonian, hopping : ndarray (n, n) or None
        For a lead: the cell Hamiltonian ``h`` and the hopping ``t`` to the
        next cell (padded to ``(n, n)``), ``H(k) = h + t e^{-ik} + h.c.``.
    function : callable or None
        The user's callable ``H(k)``, for callables.
    derivative_function : callable or None
        Optional exact ``dH/dk``: k (..., dim) -> (..., dim, n, n).
    fd_step : float
        Step (1/length) of the 4th-order central finite difference used for
        ``dH/dk`` of a callable without ``derivative_function``.
    sites : list or None
        Sites of the unit cell in the order of the matrix blocks (leads,
        builders).
    orbital_slices : list of slice or None
        Matrix rows of each site of ``sites``.
    """

    dim: int
    size: int
    norbs: int = None
    period: float = None
    fourier_vectors: np.ndarray = None
    fourier_matrices: np.ndarray = None
    cell_hamiltonian: np.ndarray = None
    hopping: np.ndarray = None
    function: object = None
    derivative_function: object = None
    fd_step: float = 1e-3
    sites: list = None
    orbital_slices: list = None

    @property
    def is_lead(self):
        """Whether this is a Kwant lead's ``H(k)`` (k per unit cell)."""
        return self.cell_hamiltonian is not None

    def __call__(self, k, potential=None):
        """``H(k)`` [eV], shape ``(..., size, size)``.

        ``potential``: a k-independent ``(size, size)`` matrix added to
        every ``H(k)`` (a mean field, e.g.
        :func:`kwant_noneq.homogeneous.cell_potential`).
        """
        k = self._check_k(k)
        if self.is_lead:
            kc = k[..., 0][..., None, None]
            th = self.hopping * np.exp(-1j * kc)
            h = self.cell_hamiltonian + th + np.swapaxes(th.conj(), -1, -2)
        elif self.function is not None:
            h = np.asarray(self.function(k))
            if h.shape != k.shape[:-1] + (self.size, self.size):
                raise ValueError(
                    f"H(k) returned shape {h.shape}, expected "
                    f"{k.shape[:-1] + (self.size, self.size)}")
            # A NaN model parameter otherwise surfaces as zero responses
            # or as a LinAlgError far from its cause.
            if not np.all(np.isfinite(h)):
                bad = np.argwhere(~np.isfinite(h).all(axis=(-1, -2)))[0]
                raise ValueError(
                    f"H(k) is not finite at k = {k[tuple(bad)].tolist()}: a "
                    "parameter of the Hamiltonian is NaN or infinite")
        else:
            phases = np.exp(1j * (k @ self.fourier_vectors.T))
            # One BLAS product (einsum over r was ~1/3 of a lattice mu sweep).
            n = self.size
            h = (phases @ self.fourier_matrices.reshape(-1, n * n)).reshape(
                phases.shape[:-1] + (n, n))
        return h if potential is None else h + potential

    def derivative(self, k):
        """``dH/dk_i`` (energy x length; eV per unit cell for a lead),
        shape ``(..., dim, n, n)``."""
        k = self._check_k(k)
        if self.is_lead:
            kc = k[..., 0][..., None, None]
            th = -1j * self.hopping * np.exp(-1j * kc)
            return (th + np.swapaxes(th.conj(), -1, -2))[..., None, :, :]
        if self.function is None:
            phases = np.exp(1j * (k @ self.fourier_vectors.T))
            n, d = self.size, self.fourier_vectors.shape[1]
            m = np.einsum("ri,rab->riab", self.fourier_vectors,
                          self.fourier_matrices)
            m = m.reshape(len(m), -1)
            return ((1j * phases) @ m).reshape(phases.shape[:-1] + (d, n, n))
        if self.derivative_function is not None:
            return np.asarray(self.derivative_function(k))
        h = self.fd_step
        out = []
        for i in range(self.dim):
            dk = np.zeros(self.dim)
            dk[i] = h
            # 4th-order central difference: error ~ h^4 d^5H/dk^5.
            d = (8 * (self(k + dk) - self(k - dk))
                 - (self(k + 2 * dk) - self(k - 2 * dk))) / (12 * h)
            out.append(d)
        return np.stack(out, axis=-3)

    def energies(self, k, potential=None):
        """Ascending band energies [eV] at ``k`` (..., dim): ``(..., size)``."""
        return np.linalg.eigvalsh(self(k, potential))

    def eigh(self, k, potential=None):
        """Band energies ``(..., size)`` [eV] and eigenvectors ``(..., size,
        size)`` (``vectors[..., :, m]`` is band m) at ``k`` (..., dim)."""
        return np.linalg.eigh(self(k, potential))

    def velocities(self, k, band, potential=None, degeneracy_tol=1e-9):
        """Band velocities ``d E_n / dk`` at nodes (Hellmann-Feynman).

        Parameters
        ----------
        k : ndarray (M, dim)
        band : ndarray (M,) of int
            The band n of each node.
        potential : ndarray (size, size), optional
            As for calling the object.
        degeneracy_tol : float
            [eV]: bands closer than this count as degenerate and their
            velocities are averaged (the sum over a degenerate multiplet is
            basis independent; one member's is not).

        Returns
        -------
        ndarray (M, dim)
            [eV nm] (eV per unit cell for a lead); divide by hbar for m/s.
        """
        e, U = self.eigh(k, potential)
        dH = self.derivative(k)
        v = np.einsum("min,maij,mjn->man", U.conj(), dH, U).real
        deg = np.abs(e[:, :, None] - e[:, None, :]) <= degeneracy_tol
        v = np.einsum("mnl,mal->man", deg / deg.sum(-1, keepdims=True), v)
        return np.take_along_axis(v, band[:, None, None], axis=2)[..., 0]

    def check_potential(self, potential):
        """``ValueError`` unless ``potential`` is None or a finite
        ``(size, size)`` matrix."""
        if potential is None:
            return
        shape = np.shape(potential)
        if shape != (self.size, self.size):
            raise ValueError(f"potential must be a ({self.size}, {self.size}) "
                             f"matrix on the cell's orbitals (cell_potential(field, "
                             f"spin_operators)), got shape {shape}")
        if not np.all(np.isfinite(potential)):
            raise ValueError("potential contains NaN or infinite entries")

    def _half_zone(self):
        """Half width of the 1D Brillouin zone, in the units of k."""
        if self.dim != 1 or self.period is None:
            raise ValueError(
                f"crossings along k need a one-dimensional Brillouin zone (the "
                f"bands of a Kwant lead or of a builder with one period), not "
                f"{'a callable' if self.function is not None else 'a builder'} "
                f"with dim = {self.dim}; in 2D use ray_crossings")
        return np.pi if self.is_lead else np.pi / self.period

    def crossing_count(self, energy, potential=None, nk=64):
        """How many times bands cross ``energy`` [eV] across the 1D
        Brillouin zone, counted on a grid of ``nk`` momenta (cheap, no
        polishing; crossings closer than the grid spacing may pair off)."""
        half = self._half_zone()
        kk = np.linspace(-half, half, nk, endpoint=False)
        Ek = self.energies(kk[:, None], potential) - energy
        return int(np.sum((Ek < 0) != (np.roll(Ek, -1, axis=0) < 0)))

    def crossings(self, energies, potential=None, nk=256, newton_steps=4):
        """All momenta where a band meets one of ``energies``, in 1D.

        The bands on a grid of ``nk`` momenta across the Brillouin zone
        bracket each crossing, and ``newton_steps`` Newton steps with
        Hellmann-Feynman velocities polish it, all energies at once.

        Parameters
        ----------
        energies : array_like (N,)
            [eV].
        potential : ndarray (size, size), optional
            Added to ``H(k)`` (a mean field).
        nk : int
            Points of the k-grid that brackets the crossings.
        newton_steps : int
            Newton refinements of each bracketed crossing.

        Returns
        -------
        BandCrossings

        Raises
        ------
        BandCrossingError
            When a crossing does not converge to ``1e-9`` of the energy
            scale (an avoided crossing, or too coarse a grid; the message
            says which).
        """
        nk = checks.integer("nk", nk, minimum=3,
                            remedy="the k-grid that brackets the band crossings")
        self.check_potential(potential)
        half = self._half_zone()
        energies = np.asarray(energies, float)
        kk = np.linspace(-half, half, nk, endpoint=False)
        Ek = self.energies(kk[:, None], potential)                # (nk, n)
        Ek_next = np.roll(Ek, -1, axis=0)
        found_node, found_k, found_band = [], [], []
        for node, E in enumerate(energies):
            a, b = Ek - E, Ek_next - E
            j, n = np.nonzero((a < 0) != (b < 0))
            t = a[j, n] / (a[j, n] - b[j, n])
            found_node.append(np.full(len(j), node))
            found_k.append(kk[j] + t * (2 * half / nk))
            found_band.append(n)
        node = np.concatenate(found_node)
        k = np.concatenate(found_k)
        band = np.concatenate(found_band)
        if not len(k):
            return BandCrossings(node, k, band)
        target = energies[node]
        idx = np.arange(len(k))
        scale = 1e-9 * max(1.0, self._onsite_scale())
        for _ in range(newton_steps):
            e, ub, v = self._states_at(k, band, potential)
            miss = e[idx, band] - target
            # Newton converges quadratically: once the miss is a thousandth
            # of the acceptance, a further step only costs a dense eigh.
            if np.max(np.abs(miss)) <= 1e-3 * scale:
                break
            k = k - miss / v
        k = _merge_degenerate(node, k)
        e, ub, v = self._states_at(k, band, potential)
        ub, v = self._degenerate_velocity_basis(node, k, ub, v)
        err = np.abs(e[idx, band] - target)
        if np.max(err, initial=0.0) > scale:
            raise BandCrossingError(self._crossing_failure(
                e, band, k, target, err, scale, nk))
        return BandCrossings(node, k, band, ub, v, e)

    def crossing_states(self, k, band, potential=None, degeneracy_tol=None,
                        velocity_tol=None):
        """Basis-independent states and velocities of bands at 1D momenta
        (e.g. :meth:`crossings`' ``k`` and ``band``).

        ``eigh`` fixes the eigenvectors of bands closer than ~``1e-15 ||H||``
        over their splitting only up to a rotation chosen by rounding: the
        two edges of a wide ribbon (split by their exponentially small
        overlap, 5e-11 eV for a 20 nm BHZ ribbon away from the Dirac point)
        come out mixed at an angle ~1e-5 that jumps as the input changes in
        its last bits.  Anything built from one band's state is then not a
        smooth function of ``H``.  Degenerate perturbation theory fixes the
        basis: within the cluster of bands within ``degeneracy_tol`` of the
        crossing band, the states are the eigenvectors of the velocity
        operator ``P dH/dk P`` (the states that continue smoothly through a
        crossing); bands whose velocities agree within ``velocity_tol`` as
        well (parallel copies of one band, as the two edges of a ribbon)
        remain undetermined, and the crossing gets their projector divided
        by their number: summed over the copies' crossings this is the
        projector on the copies, whatever basis ``eigh`` chose (their
        crossings differ in k by splitting / velocity, a 1e-8 relative
        change of the states at the default tolerance).

        Parameters
        ----------
        k : ndarray (M,)
            Momenta (units as for :meth:`crossings`).
        band : ndarray (M,) of int
            The band at each momentum.
        potential : ndarray (size, size), optional
            As for calling the object.
        degeneracy_tol : float, optional
            [eV]; default ``sqrt(eps) max(1 eV, largest onsite entry)``
            (1.5e-8 eV at a 1 eV scale), the splitting where the rounding
            angle ``eps ||H|| / splitting`` of separate eigenvectors and
            the error of treating the bands as degenerate are equal.
        velocity_tol : float, optional
            [eV per cell for a lead, eV nm for a builder]; default
            ``sqrt(eps)`` times the largest entry of ``dH/dk`` (same
            balance).

        Returns
        -------
        owner : ndarray (R,) of int
            The momentum (index into ``k``) of each row.
        states : ndarray (R, size)
            Orthonormal states; crossing ``i`` stands for
            ``sum_{owner == i} share |state><state|``.
        share : ndarray (R,)
            1 for a band with a well-defined state, ``1/m`` for each of
            ``m`` parallel degenerate copies.
        velocities : ndarray (M,)
            ``dE/dk`` of each band (the copies' mean for parallel copies).
        """
        degeneracy_tol = checks.real_number("degeneracy_tol", degeneracy_tol,
                                            unit="eV", nonnegative=True,
                                            allow_none=True)
        velocity_tol = checks.real_number("velocity_tol", velocity_tol,
                                          nonnegative=True, allow_none=True)
        k = np.asarray(k, float)
        band = np.asarray(band, int)
        if k.ndim != 1 or band.shape != k.shape:
            raise ValueError(f"k and band must be 1D arrays of one length, got "
                             f"shapes {k.shape} and {band.shape}")
        self.check_potential(potential)
        e, U = self.eigh(k[:, None], potential)
        dH = self.derivative(k[:, None])[:, 0]
        sqrt_eps = np.sqrt(np.finfo(float).eps)
        if degeneracy_tol is None:
            degeneracy_tol = sqrt_eps * max(1.0, self._onsite_scale())
        if velocity_tol is None:
            velocity_tol = sqrt_eps * float(np.max(np.abs(dH), initial=0.0))
        idx = np.arange(len(k))
        states = U[idx, :, band]
        velocities = np.einsum("ia,iab,ib->i", states.conj(), dH, states).real
        near = np.abs(e - e[idx, band][:, None]) <= degeneracy_tol
        owner, share = list(idx), [1.0] * len(k)
        states = list(states)
        for i in np.nonzero(near.sum(1) > 1)[0]:
            cluster = np.nonzero(near[i])[0]
            Uc = U[i][:, cluster]
            Vc = Uc.conj().T @ dH[i] @ Uc
            w, rot = np.linalg.eigh(Vc)
            # The eigenvector of Vc that is this band: the one whose
            # velocity is nearest to that of eigh's (nearly right) state.
            own = Vc[cluster == band[i], cluster == band[i]].real[0]
            j = np.argmin(np.abs(w - own))
            group = np.nonzero(np.abs(w - w[j]) <= velocity_tol)[0]
            vecs = Uc @ rot[:, group]
            states[i] = vecs[:, 0]
            share[i] = 1.0 / len(group)
            velocities[i] = np.mean(w[group])
            for g in range(1, len(group)):
                owner.append(i)
                states.append(vecs[:, g])
                share.append(1.0 / len(group))
        return (np.array(owner), np.array(states).reshape(len(owner), -1),
                np.array(share), velocities)

    def _degenerate_velocity_basis(self, node, k, states, v):
        """Within each degenerate crossing (:func:`_degenerate_groups`), the
        basis that diagonalises the velocity (the branches that continue
        through the degeneracy, by degenerate perturbation theory in ``k``):
        each state then has a definite velocity, whose sign decides its
        filling."""
        groups = _degenerate_groups(node, k)
        if not groups:
            return states, v
        states, v = states.copy(), v.copy()
        for g in groups:
            U = states[g].T                                   # (size, m)
            vop = self.derivative(k[g[:1], None])[0, 0]
            w, R = np.linalg.eigh(U.conj().T @ vop @ U)
            states[g] = (U @ R).T
            v[g] = w
        return states, v

    def _states_at(self, k, band, potential):
        """Energies, the states of ``band`` and their velocities at 1D ``k``."""
        e, u = self.eigh(k[:, None], potential)
        ub = u[np.arange(len(k)), :, band]
        v = np.einsum("ia,iab,ib->i", ub.conj(), self.derivative(k[:, None])[:, 0],
                      ub).real
        return e, ub, v

    def _onsite_scale(self):
        """Largest entry [eV] of the R = 0 part of ``H``: the scale of the
        crossings' convergence test."""
        if self.is_lead:
            return np.max(np.abs(self.cell_hamiltonian))
        onsite = np.all(self.fourier_vectors == 0, axis=1)
        return np.max(np.abs(self.fourier_matrices[onsite]), initial=0.0)

    def _crossing_failure(self, e, band, k, target, err, scale, nk):
        """Why Newton's method missed some crossings: an avoided crossing
        (two bands nearly touching, where the velocity flips over a tiny k
        range) or a too coarse k-grid."""
        bad = np.nonzero(err > scale)[0]
        n = e.shape[1]
        idx = np.arange(len(band))
        below = np.where(band > 0, e[idx, np.maximum(band - 1, 0)], -np.inf)
        above = np.where(band < n - 1, e[idx, np.minimum(band + 1, n - 1)], np.inf)
        spacing = np.minimum(e[idx, band] - below, above - e[idx, band])[bad]
        worst = bad[np.argmin(spacing)]
        gap = float(np.min(spacing))
        unit = "per cell" if self.is_lead else "1/nm"
        where = f"E = {target[worst]:.6g} eV, k = {k[worst]:.4g} {unit}"
        if gap < 1e3 * float(np.max(err[bad])) or gap < 1e-4 * (e.max() - e.min()):
            return (f"band crossings did not converge (|E - E_node| up to "
                    f"{np.max(err):.2e} eV) at {len(bad)} of {len(err)} crossings, "
                    f"e.g. at {where}: band {band[worst]} comes within {gap:.2e} eV "
                    f"of its neighbour there (an avoided crossing between "
                    f"subbands), which no k-grid resolves; a finer nk does not help. "
                    f"Move the energy window away from the near-degeneracy (for an "
                    f"edge calculation: inside the bulk gap, where only the edge "
                    f"bands cross) or change the parameters")
        return (f"band crossings did not converge (|E - E_node| up to "
                f"{np.max(err):.2e} eV) at {len(bad)} of {len(err)} crossings, "
                f"e.g. at {where}; increase nk (now {nk})")

    def ray_crossings(self, energy, center, angles, radii, n_iter=60,
                      grid_energies=None):
        """Radii where bands meet ``energy`` on rays ``center + r (cos, sin)``
        in 2D.

        Every change of occupation (``E_n < energy`` or not) between
        consecutive ``radii`` is refined to machine precision by
        :func:`bracketed_roots`.

        Parameters
        ----------
        energy : float
            [eV].
        center : ndarray (2,)
            Origin of the rays [1/nm].
        angles : ndarray (nth,)
            Directions of the rays [rad].
        radii : ndarray (nr,)
            Increasing radii [1/nm] that bracket the crossings.
        n_iter : int
            Most Illinois steps (RuntimeError beyond).
        grid_energies : ndarray (nth, nr, size), optional
            The bands on the ray grid, if known (they do not depend on
            ``energy``: callers sweeping it cache them).

        Returns
        -------
        angle_index, band, radius : ndarray (M,)
            One entry per crossing.
        """
        if self.dim != 2:
            raise ValueError(f"ray_crossings needs a 2D Bloch Hamiltonian, "
                             f"got dim = {self.dim}; in 1D use crossings")
        dirs = np.stack([np.cos(angles), np.sin(angles)], -1)
        if grid_energies is None:
            k = center + radii[None, :, None] * dirs[:, None, :]
            grid_energies = self.energies(k)
        e = grid_energies - energy                      # (nth, nr, nb)
        # Occupied (e < energy) or not, rather than sign(e): a band that
        # meets the energy exactly on one of the radii has e = 0 there, the
        # sign products with that node are 0 on both sides, and the crossing
        # was dropped (a Fermi sea then integrated the band to the wrong
        # breakpoint; tests/test_monopole.py).
        s = np.where(e < 0, -1.0, 1.0)
        i_th, i_r, i_b = np.nonzero(s[:, :-1] * s[:, 1:] < 0)
        a, b = radii[i_r], radii[i_r + 1]
        fa, fb = e[i_th, i_r, i_b], e[i_th, i_r + 1, i_b]
        d = dirs[i_th]

        def f(r, i):
            kk = center + r[:, None] * d[i]
            return np.take_along_axis(self.energies(kk), i_b[i, None], 1)[:, 0] - energy

        return i_th, i_b, bracketed_roots(f, a, b, fa, fb, max_iter=n_iter)

    def _check_k(self, k):
        k = np.asarray(k, dtype=float)
        if k.ndim == 0 or k.shape[-1] != self.dim:
            raise ValueError(f"k must have shape (..., {self.dim}), "
                             f"got {k.shape}")
        return k


def bracketed_roots(f, a, b, fa, fb, xtol=0.0, max_iter=200):
    """Roots of a vectorised function, one in each bracket ``[a_i, b_i]``.

    The Illinois (modified regula falsi) method, elementwise, with a bisection
    step wherever regula falsi leaves its bracket.  It is the crossing finder
    of :meth:`BlochHamiltonian.ray_crossings`, and serves any other search
    for where a band meets a value along a bracketed line or arc (for example
    Fermi-surface radii on shifted rays, or the points of a Fermi contour
    where the velocity turns).

    Parameters
    ----------
    f : callable ``f(x, index)``
        Values at the points ``x`` (1D array) of the brackets ``index``
        (integer array of the same length, into ``a``).
    a, b : ndarray (M,)
        Bracket ends (any units, as ``f`` takes them).
    fa, fb : ndarray (M,)
        ``f`` at the ends, of opposite signs or zero.
    xtol : float
        Absolute resolution in ``x``, on top of machine precision.
    max_iter : int
        Most steps; RuntimeError beyond.

    Returns
    -------
    ndarray (M,)
        The roots.
    """
    a, b, fa, fb = (np.array(x, float) for x in (a, b, fa, fb))
    root = np.where(fa == 0, a, b)
    done = (fa == 0) | (fb == 0)
    side = np.zeros(a.shape, int)
    for _ in range(max_iter):
        ia = np.nonzero(~done)[0]
        if not len(ia):
            break
        A, B, FA, FB, S = a[ia], b[ia], fa[ia], fb[ia], side[ia]
        c = B - FB * (B - A) / (FB - FA)
        # Regula falsi can stall against an end point: bisect then.
        bad = ~np.isfinite(c) | (c < np.minimum(A, B)) | (c > np.maximum(A, B))
        c = np.where(bad, 0.5 * (A + B), c)
        fc = f(c, ia)
        same = np.sign(fc) == np.sign(FB)
        # Illinois: halve the kept end point's value when it is kept twice.
        A_new = np.where(same, A, B)
        FA_new = np.where(same, np.where(S == 1, FA / 2, FA), FB)
        S = np.where(same, 1, 0)
        a[ia], fa[ia], b[ia], fb[ia], side[ia] = A_new, FA_new, c, fc, S
        # Converged when the bracket or the step is at the resolution (the
        # step alone: regula falsi keeps one far end point for a while).
        scale = np.maximum(4e-16 * np.abs(c), xtol)
        fin = ((fc == 0) | (np.abs(c - A_new) <= scale)
               | (np.abs(c - root[ia]) <= scale))
        root[ia] = c
        done[ia] = fin
    else:
        if not done.all():
            raise RuntimeError("root bracketing did not converge in "
                               f"{max_iter} steps (Illinois method)")
    return root


def bloch_hamiltonian(system, params=None, *, dim=None, norbs=None,
                      derivative=None, fd_step=1e-3, tol=1e-13,
                      allow_extra_params=()):
    """Bloch Hamiltonian of a Kwant lead, a periodic Kwant builder or a
    callable.

    Parameters
    ----------
    system : kwant.system.InfiniteSystem, kwant.Builder or callable
        A finalized lead (``builder.finalized()`` of a builder with a 1D
        ``TranslationalSymmetry``, or ``fsyst.leads[i]``); a builder whose
        symmetry is a :class:`kwant.TranslationalSymmetry` (all sites and
        hoppings of one unit cell); or a vectorised callable ``H(k)`` with k
        of shape ``(..., dim)`` returning ``(..., n, n)``.
    params : dict, optional
        Parameters of the lead's or builder's value functions (ignored for
        callables).
    dim : int, optional
        Number of k components of a callable (default: 2).
    norbs : int, optional
        Matrix size of a callable (default: from one evaluation at k = 0).
    derivative : callable, optional
        Exact ``dH/dk`` of a callable, k (..., dim) -> (..., dim, n, n).
    fd_step : float
        Finite-difference step (1/length) for callables without derivative.
    tol : float
        Fourier components of a builder with all entries below ``tol``
        (energy units) are dropped.
    allow_extra_params : iterable of str, or True
        Keys of ``params`` deliberately unknown to a lead
        (:func:`kwant_noneq.params.check_params`).

    Returns
    -------
    BlochHamiltonian

    Notes
    -----
    For a builder the Fourier components are computed exactly: the wrapped
    system (:func:`kwant.wraparound.wraparound`) is evaluated on a grid of
    ``2 R_max + 1`` dimensionless momenta per period (R_max: longest hopping
    range, in unit cells) and transformed back by a discrete Fourier
    transform, which is exact for a finite-range Hamiltonian.  A lead keeps
    its cell Hamiltonian and hopping (nearest cells only, as Kwant's leads).
    """
    if isinstance(system, (kwant.system.InfiniteSystem, kwant.Builder)):
        given = [name for name, value in (("dim", dim), ("norbs", norbs),
                                          ("derivative", derivative))
                 if value is not None]
        if given:
            raise TypeError(f"{', '.join(given)} describe a callable H(k); a "
                            f"Kwant lead or builder fixes them itself")
    if isinstance(system, kwant.system.InfiniteSystem):
        return _from_lead(system, params, allow_extra_params)
    if isinstance(system, kwant.Builder):
        return _from_builder(system, params or {}, tol)
    if isinstance(system, kwant.system.System):
        raise TypeError("bloch_hamiltonian needs a finalized lead "
                        "(kwant.system.InfiniteSystem), or the (unfinalized) "
                        "kwant.Builder with its TranslationalSymmetry, "
                        f"not a {type(system).__name__}")
    if not callable(system):
        raise TypeError(f"system must be a finalized Kwant lead, a kwant.Builder "
                        f"or a callable H(k), got {type(system).__name__}")
    dim = 2 if dim is None else int(dim)
    if norbs is None:
        h0 = np.asarray(system(np.zeros(dim)))
        if h0.ndim != 2 or h0.shape[0] != h0.shape[1]:
            raise ValueError(f"H(k) must return a square matrix at one k, "
                             f"got shape {h0.shape}")
        norbs = h0.shape[0]
    return BlochHamiltonian(dim=dim, size=int(norbs), norbs=int(norbs),
                            function=system, derivative_function=derivative,
                            fd_step=fd_step)


def _from_lead(lead, params, allow_extra_params):
    if allow_extra_params:
        params = allow_extra(params, allow_extra_params)
    check_params(lead, params)
    h = np.asarray(lead.cell_hamiltonian(params=params), complex)
    hop = np.asarray(lead.inter_cell_hopping(params=params), complex)
    if not (np.all(np.isfinite(h)) and np.all(np.isfinite(hop))):
        bad = sorted(k for k, v in (params or {}).items()
                     if isinstance(v, (int, float, complex, np.number))
                     and not np.isfinite(v))
        raise ValueError(f"the lead's Hamiltonian contains NaN or inf"
                         + (f": parameter(s) {bad} are not finite" if bad
                            else ": check params"))
    n = h.shape[0]
    t = np.zeros((n, n), complex)
    t[:, :hop.shape[1]] = hop
    sites = lead.sites[:lead.cell_size]
    norbs = {s.family.norbs for s in sites}
    if None in norbs or len(norbs) != 1:
        raise ValueError("every site of the lead needs the same, declared norbs")
    o = norbs.pop()
    return BlochHamiltonian(
        dim=1, size=n, norbs=o,
        period=float(np.linalg.norm(np.asarray(lead.symmetry.periods)[0])),
        cell_hamiltonian=h, hopping=t, sites=sites,
        orbital_slices=[slice(i * o, (i + 1) * o) for i in range(len(sites))])


def _from_builder(builder, params, tol):
    sym = builder.symmetry
    if not isinstance(sym, kwant.TranslationalSymmetry):
        raise TypeError("the builder needs a kwant.TranslationalSymmetry, "
                        f"got {type(sym).__name__}")
    periods = np.asarray(sym.periods, dtype=float)
    nper, space_dim = periods.shape
    if nper == 0:
        raise ValueError("the builder's TranslationalSymmetry has no period")
    if builder.particle_hole is not None or builder.time_reversal is not None:
        raise ValueError("remove particle_hole/time_reversal from the builder "
                         "before computing its Bloch Hamiltonian "
                         "(kwant.wraparound ignores them)")

    # Hopping range in unit cells, per period.
    rmax = np.zeros(nper, dtype=int)
    for (a, b), _ in builder.hopping_value_pairs():
        elem = np.asarray(sym.which(b)) - np.asarray(sym.which(a))
        rmax = np.maximum(rmax, np.abs(elem))
    ngrid = 2 * rmax + 1

    wrapped = wraparound(builder).finalized()
    names = wrapped._momentum_names
    given = sorted(set(params) & set(names))
    if given:
        raise ValueError(f"params must not contain the momenta {given}: "
                         f"bloch_hamiltonian sets them itself")
    check_params(wrapped, params, allow_extra=names)
    grids = [2 * np.pi * np.arange(n) / n for n in ngrid]
    kpts = np.array(list(itertools.product(*grids))).reshape(-1, nper)
    hk = np.array([wrapped.hamiltonian_submatrix(
        params=dict(params, **dict(zip(names, kp)))) for kp in kpts])
    n = hk.shape[-1]

    elems = np.array(list(itertools.product(
        *[np.arange(-r, r + 1) for r in rmax]))).reshape(-1, nper)
    # H_R = (1/N) sum_k H(k) exp(-i k.R), exact for |R_j| <= rmax_j.
    phases = np.exp(-1j * elems @ kpts.T) / len(kpts)
    hr = np.einsum("rk,kab->rab", phases, hk)
    if not np.all(np.isfinite(hr)):
        raise ValueError("the builder's Hamiltonian is not finite: a "
                         f"parameter in params = {params!r} is NaN or infinite")
    keep = np.abs(hr).max(axis=(1, 2)) > tol
    elems, hr = elems[keep], hr[keep]

    if nper == space_dim:
        vectors = elems @ periods                       # Cartesian R
    else:
        # k_j along the unit vector of period j: phase k_j |a_j| per period.
        vectors = elems * np.linalg.norm(periods, axis=1)

    # Orbital layout of the unit cell in the wrapped system's order.
    sites = list(wrapped.sites)
    slices, start = [], 0
    for i, site in enumerate(sites):
        norb = _site_norbs(wrapped, i, params)
        slices.append(slice(start, start + norb))
        start += norb
    if start != n:
        slices = None
    counts = {s.stop - s.start for s in slices} if slices else set()
    return BlochHamiltonian(
        dim=nper, size=n, norbs=counts.pop() if len(counts) == 1 else None,
        period=float(np.linalg.norm(periods[0])) if nper == 1 else None,
        fourier_vectors=vectors, fourier_matrices=hr, sites=sites,
        orbital_slices=slices)


def _site_norbs(fsyst, i, params):
    """Number of orbitals of site i of a wrapped, finalized system."""
    zero_k = {name: 0.0 for name in fsyst._momentum_names}
    h = fsyst.hamiltonian_submatrix(to_sites=[i], from_sites=[i],
                                    params=dict(params, **zero_k))
    return h.shape[0]


def bands(H, k):
    """Energies and eigenvectors of ``H(k)`` (batched ``numpy.linalg.eigh``)
    for a :class:`BlochHamiltonian` or any callable ``H``.

    Parameters
    ----------
    H : BlochHamiltonian or callable
    k : array_like (..., dim)

    Returns
    -------
    energies : ndarray (..., n)
        Ascending band energies.
    vectors : ndarray (..., n, n)
        ``vectors[..., :, m]`` is the eigenvector of band m.
    """
    return np.linalg.eigh(H(k))


def velocity_operators(H, k):
    """``dH/dk_i``, shape ``(..., dim, n, n)`` (energy x length).

    Divide by hbar for the velocity operator.  Builders: exact Fourier sum;
    leads: exact, per unit cell; callables: the user's derivative or a
    4th-order central difference.
    """
    if not isinstance(H, BlochHamiltonian):
        H = bloch_hamiltonian(H, dim=np.shape(k)[-1])
    return H.derivative(k)


def onsite_operator(H, onsite):
    """Block-diagonal operator acting as ``onsite`` on every site of the cell.

    Parameters
    ----------
    H : BlochHamiltonian
        From a lead or a builder (needs ``orbital_slices``).
    onsite : array (norb, norb) or callable site -> array
        Matrix per site, e.g. a Pauli matrix for spin.

    Returns
    -------
    ndarray (n, n)
    """
    if H.orbital_slices is None:
        raise ValueError("this BlochHamiltonian has no site layout; build the "
                         "operator matrix yourself")
    out = np.zeros((H.size, H.size), dtype=complex)
    for site, sl in zip(H.sites, H.orbital_slices):
        m = np.atleast_2d(onsite(site) if callable(onsite) else onsite)
        if m.shape != (sl.stop - sl.start,) * 2:
            raise ValueError(f"onsite matrix of shape {m.shape} does not fit "
                             f"site {site} with {sl.stop - sl.start} orbitals")
        out[sl, sl] = m
    return out
