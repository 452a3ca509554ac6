"""Bloch Hamiltonians H(k) of periodic Kwant builders or plain callables.

The band-geometry and k-space integration tools of kwant_noneq work on a
vectorised Bloch Hamiltonian ``H(k) -> array (..., n, n)``.  This module
makes one from

* a :class:`kwant.Builder` with a :class:`kwant.TranslationalSymmetry`
  (1, 2 or 3 periods): its Fourier components ``H_R`` are computed once, so
  that evaluating ``H`` and ``dH/dk`` at many k-points is one ``einsum``;
* any callable ``H(k)`` (k of shape ``(..., dim)``), e.g. a continuum model.

Conventions
-----------
* Units: k is in inverse length units of the builder's lattice (1/nm when the
  lattice constant is given in nm); energies are those of the builder
  (eV in the :mod:`kwant_noneq.systems` models).
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
"""
import dataclasses
import itertools

import numpy as np

from .params import check_params

__all__ = ["BlochHamiltonian", "bloch_hamiltonian", "bands",
           "velocity_operators", "onsite_operator"]


@dataclasses.dataclass(frozen=True)
class BlochHamiltonian:
    """Vectorised Bloch Hamiltonian ``H(k)``.

    Call it with k of shape ``(..., dim)`` (1/length) to get ``(..., n, n)``.

    Attributes
    ----------
    dim : int
        Number of k components.
    norbs : int
        Matrix size n (orbitals per unit cell).
    fourier_vectors : ndarray (nR, dim) or None
        Lattice translations R (length units) of the Fourier components, for
        builders; None for a callable.
    fourier_matrices : ndarray (nR, n, n) or None
        Fourier components ``H_R`` (energy units).
    function : callable or None
        The user's callable ``H(k)``, for callables.
    derivative_function : callable or None
        Optional exact ``dH/dk``: k (..., dim) -> (..., dim, n, n).
    fd_step : float
        Step (1/length) of the 4th-order central finite difference used for
        ``dH/dk`` of a callable without ``derivative_function``.
    sites : list or None
        Sites of the unit cell in the order of the matrix blocks (builders).
    orbital_slices : list of slice or None
        Matrix rows of each site of ``sites``.
    """

    dim: int
    norbs: int
    fourier_vectors: np.ndarray = None
    fourier_matrices: np.ndarray = None
    function: object = None
    derivative_function: object = None
    fd_step: float = 1e-3
    sites: list = None
    orbital_slices: list = None

    def __call__(self, k):
        k = self._check_k(k)
        if self.function is not None:
            h = np.asarray(self.function(k))
            if h.shape != k.shape[:-1] + (self.norbs, self.norbs):
                raise ValueError(
                    f"H(k) returned shape {h.shape}, expected "
                    f"{k.shape[:-1] + (self.norbs, self.norbs)}")
            # A NaN model parameter otherwise surfaces as zero responses
            # or as a LinAlgError far from its cause.
            if not np.all(np.isfinite(h)):
                bad = np.argwhere(~np.isfinite(h).all(axis=(-1, -2)))[0]
                raise ValueError(
                    f"H(k) is not finite at k = {k[tuple(bad)].tolist()}: a "
                    "parameter of the Hamiltonian is NaN or infinite")
            return h
        phases = np.exp(1j * (k @ self.fourier_vectors.T))
        # One BLAS product (einsum over r was ~1/3 of a lattice mu sweep).
        n = self.norbs
        return (phases @ self.fourier_matrices.reshape(-1, n * n)).reshape(
            phases.shape[:-1] + (n, n))

    def derivative(self, k):
        """``dH/dk_i`` (energy x length), shape ``(..., dim, n, n)``."""
        k = self._check_k(k)
        if self.function is None:
            phases = np.exp(1j * (k @ self.fourier_vectors.T))
            n, d = self.norbs, self.fourier_vectors.shape[1]
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

    def _check_k(self, k):
        k = np.asarray(k, dtype=float)
        if k.ndim == 0 or k.shape[-1] != self.dim:
            raise ValueError(f"k must have shape (..., {self.dim}), "
                             f"got {k.shape}")
        return k


def bloch_hamiltonian(system, params=None, *, dim=None, norbs=None,
                      derivative=None, fd_step=1e-3, tol=1e-13):
    """Bloch Hamiltonian of a periodic Kwant builder or of a callable.

    Parameters
    ----------
    system : kwant.Builder or callable
        A builder whose symmetry is a :class:`kwant.TranslationalSymmetry`
        (all sites and hoppings of one unit cell), or a vectorised callable
        ``H(k)`` with k of shape ``(..., dim)`` returning ``(..., n, n)``.
    params : dict, optional
        Parameters of the builder's value functions (ignored for callables).
    dim : int, optional
        Number of k components of a callable (default: 2).
    norbs : int, optional
        Matrix size of a callable (default: from one evaluation at k = 0).
    derivative : callable, optional
        Exact ``dH/dk`` of a callable, k (..., dim) -> (..., dim, n, n).
    fd_step : float
        Finite-difference step (1/length) for callables without derivative.
    tol : float
        Fourier components with all entries below ``tol`` (energy units)
        are dropped.

    Returns
    -------
    BlochHamiltonian

    Notes
    -----
    For a builder the Fourier components are computed exactly: the wrapped
    system (:func:`kwant.wraparound.wraparound`) is evaluated on a grid of
    ``2 R_max + 1`` dimensionless momenta per period (R_max: longest hopping
    range, in unit cells) and transformed back by a discrete Fourier
    transform, which is exact for a finite-range Hamiltonian.
    """
    import kwant

    if isinstance(system, kwant.Builder):
        return _from_builder(system, params or {}, tol)
    if isinstance(system, kwant.system.System):
        raise TypeError("bloch_hamiltonian needs the (unfinalized) "
                        "kwant.Builder with its TranslationalSymmetry, "
                        "not a finalized system")
    if not callable(system):
        raise TypeError(f"system must be a kwant.Builder or a callable H(k), "
                        f"got {type(system).__name__}")
    dim = 2 if dim is None else int(dim)
    if norbs is None:
        h0 = np.asarray(system(np.zeros(dim)))
        if h0.ndim != 2 or h0.shape[0] != h0.shape[1]:
            raise ValueError(f"H(k) must return a square matrix at one k, "
                             f"got shape {h0.shape}")
        norbs = h0.shape[0]
    return BlochHamiltonian(dim=dim, norbs=int(norbs), function=system,
                            derivative_function=derivative, fd_step=fd_step)


def _from_builder(builder, params, tol):
    import kwant
    from kwant.wraparound import wraparound

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
    return BlochHamiltonian(dim=nper, norbs=n, fourier_vectors=vectors,
                            fourier_matrices=hr, sites=sites,
                            orbital_slices=slices)


def _site_norbs(fsyst, i, params):
    """Number of orbitals of site i of a wrapped, finalized system."""
    zero_k = {name: 0.0 for name in fsyst._momentum_names}
    h = fsyst.hamiltonian_submatrix(to_sites=[i], from_sites=[i],
                                    params=dict(params, **zero_k))
    return h.shape[0]


def bands(H, k):
    """Energies and eigenvectors of ``H(k)`` (batched ``numpy.linalg.eigh``).

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
    callables: the user's derivative or a 4th-order central difference.
    """
    if not isinstance(H, BlochHamiltonian):
        H = bloch_hamiltonian(H, dim=np.shape(k)[-1])
    return H.derivative(k)


def onsite_operator(H, onsite):
    """Block-diagonal operator acting as ``onsite`` on every site of the cell.

    Parameters
    ----------
    H : BlochHamiltonian
        From a builder (needs ``orbital_slices``).
    onsite : array (norb, norb) or callable site -> array
        Matrix per site, e.g. a Pauli matrix for spin.

    Returns
    -------
    ndarray (n, n)
    """
    if H.orbital_slices is None:
        raise ValueError("this BlochHamiltonian has no site layout; build the "
                         "operator matrix yourself")
    out = np.zeros((H.norbs, H.norbs), dtype=complex)
    for site, sl in zip(H.sites, H.orbital_slices):
        m = np.atleast_2d(onsite(site) if callable(onsite) else onsite)
        if m.shape != (sl.stop - sl.start,) * 2:
            raise ValueError(f"onsite matrix of shape {m.shape} does not fit "
                             f"site {site} with {sl.stop - sl.start} orbitals")
        out[sl, sl] = m
    return out
