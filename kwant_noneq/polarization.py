"""Polarisation and carrier density from lattice bands on a k-point rule.

Model-agnostic: works on any Bloch Hamiltonian made by
:func:`kwant_noneq.bloch.bloch_hamiltonian` (a periodic Kwant builder or a
callable ``H(k)``).  The closed forms for massive Dirac cones live in
:mod:`kwant_noneq.analytic_drag`; the validation compares the two.

Static ``Pi(q, 0)`` by a k-point rule (:func:`static_polarization`);
dynamic ``Im Pi(q, omega)`` (intra- and interband, T = 0 with sharp Fermi
surfaces or T > 0) by the linear triangle method on a uniform grid
(:func:`dynamic_polarization_imag`, :mod:`kwant_noneq.triangles`), and
dynamic ``Re Pi(q, omega)`` by the exact per-triangle principal value of the
same method (:func:`dynamic_polarization_real`; finite T by Maldague's
identity over T = 0 evaluations).

Conventions: ``Pi = -chi`` (static ``Pi > 0``), per unit area (1/(eV nm^2));
k-point rules are ``(kpoints (N, dim), weights (N,))`` with
``sum(weights) = `` the k-space area covered (1/nm^2), so that
``int d^2k/(2 pi)^2 F(k) ~ sum_i weights_i F(k_i) / (2 pi)^2``.
"""
import numpy as np

from . import checks
from .bloch import bands
from .constants import KB
from .thermal import fermi, maldague_nodes, minus_fermi_derivative

__all__ = ["static_polarization", "dynamic_polarization_imag",
           "dynamic_polarization_real", "band_density", "polar_rule", "uniform_rule"]


def _real(value, name, unit, minimum=None, strict=False):
    """A finite real number, by name (:func:`kwant_noneq.checks.real_number`);
    ``minimum`` may only be 0 (``strict``: > 0, else >= 0)."""
    if minimum not in (None, 0.0):
        raise NotImplementedError("only minimum=0 is supported")
    return checks.real_number(name, value, unit=unit,
                              positive=minimum is not None and strict,
                              nonnegative=minimum is not None and not strict)

def _count(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer >= 1, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return int(value)


def _check_box(omega, mu, T, half_width, n):
    _real(omega, "omega", "eV")
    _real(mu, "mu", "eV")
    _real(T, "T", "K", minimum=0.0)
    _real(half_width, "half_width", "1/nm", minimum=0.0, strict=True)
    _count(n, "n")


def static_polarization(H, q, mu, T, kpoints, weights, vertex=None, chunk=20000):
    """Static Lindhard polarisation ``Pi(q, 0)`` of a lattice model.

    ``Pi(q, 0) = -int d^2k/(2pi)^2 sum_{n,m} |<n,k| V |m,k+q>|^2
    (f_n(k) - f_m(k+q)) / (E_n(k) - E_m(k+q))``,

    with the degenerate limit ``-f'(E)``.  Every band pair is kept
    (intraband and interband), so this is the full RPA bubble.

    Parameters
    ----------
    H : BlochHamiltonian or callable ``H(k)``
    q : array (dim,)
        Wave vector (1/nm).
    mu, T : float
        Chemical potential (eV) and temperature (K, > 0).
    kpoints, weights : arrays (N, dim), (N,)
        k-point rule (see module docstring).
    vertex : array (n, n), optional
        Density vertex, e.g. the projector on one layer; identity if None.
    chunk : int
        k-points per batch (memory).

    Returns
    -------
    float, 1/(eV nm^2)
    """
    mu = _real(mu, "mu", "eV")
    T = _real(T, "T", "K", minimum=0.0, strict=True)
    kpoints = np.asarray(kpoints, dtype=float)
    weights = np.asarray(weights, dtype=float)
    q = np.asarray(q, dtype=float)
    if not np.all(np.isfinite(q)):
        raise ValueError(f"q must be finite (1/nm), got {q}")
    total = 0.0
    for start in range(0, len(kpoints), chunk):
        k = kpoints[start:start + chunk]
        e1, u1 = bands(H, k)
        e2, u2 = bands(H, k + q)
        if vertex is None:
            m = np.einsum("kan,kam->knm", u1.conj(), u2)
        else:
            m = np.einsum("kan,ab,kbm->knm", u1.conj(), vertex, u2)
        f1, f2 = fermi(e1, mu, KB * T), fermi(e2, mu, KB * T)
        de = e1[:, :, None] - e2[:, None, :]
        df = f1[:, :, None] - f2[:, None, :]
        degenerate = np.abs(de) < 1e-10
        ratio = np.where(degenerate,
                         -minus_fermi_derivative(0.5 * (e1[:, :, None] + e2[:, None, :]), mu, KB * T),
                         df / np.where(degenerate, 1.0, de))
        total += -np.einsum("k,knm->", weights[start:start + chunk],
                            np.abs(m) ** 2 * ratio)
    return float(total) / (2 * np.pi) ** 2


def band_density(H, mu, T, kpoints, weights, projector=None, neutral=0.0,
                 chunk=50000):
    """Carrier density relative to charge neutrality (1/nm^2).

    ``n = int d^2k/(2pi)^2 sum_n <n|P|n> (f(E_n) - theta(neutral - E_n))``:
    electrons above ``neutral`` minus holes below it, optionally projected
    (``P``, e.g. onto one layer).
    """
    mu = _real(mu, "mu", "eV")
    T = _real(T, "T", "K", minimum=0.0)
    _real(neutral, "neutral", "eV")
    total = 0.0
    for start in range(0, len(kpoints), chunk):
        k = np.asarray(kpoints[start:start + chunk], dtype=float)
        e, u = bands(H, k)
        if projector is None:
            weight = np.ones_like(e)
        else:
            weight = np.einsum("kan,ab,kbn->kn", u.conj(), projector, u).real
        occ = fermi(e, mu, KB * T) - (e < neutral)
        total += np.einsum("k,kn->", weights[start:start + chunk], weight * occ)
    return float(total) / (2 * np.pi) ** 2


def uniform_rule(reciprocal_vectors, n):
    """Midpoint rule on the full Brillouin zone: n x n points.

    Spectrally accurate for smooth periodic integrands (finite T).
    ``reciprocal_vectors``: rows b_1, b_2 (1/nm).
    """
    b = np.asarray(reciprocal_vectors, dtype=float)
    s = (np.arange(n) + 0.5) / n
    s1, s2 = np.meshgrid(s, s, indexing="ij")
    k = s1.reshape(-1, 1) * b[0] + s2.reshape(-1, 1) * b[1]
    area = abs(np.linalg.det(b))
    return k, np.full(len(k), area / n ** 2)


def polar_rule(radius, n_r, n_theta, center=(0.0, 0.0)):
    """Disk ``|k - center| < radius``: Gauss-Legendre in ``|k|``, uniform angles."""
    x, w = np.polynomial.legendre.leggauss(n_r)
    r = 0.5 * radius * (x + 1)
    wr = 0.5 * radius * w * r
    th = 2 * np.pi * np.arange(n_theta) / n_theta
    R, TH = np.meshgrid(r, th, indexing="ij")
    k = np.stack([R.ravel() * np.cos(TH.ravel()), R.ravel() * np.sin(TH.ravel())], -1)
    weights = np.repeat(wr, n_theta) * 2 * np.pi / n_theta
    return k + np.asarray(center), weights


def dynamic_polarization_imag(H, q, omega, mu, center, half_width, n,
                              vertex=None, T=0.0, pairs=None):
    """Im Pi(q, omega) of a lattice model by the linear triangle method.

    ``Im Pi(q, omega) = pi int d^2k/(2pi)^2 sum_{n,m} |<n,k| V |m,k+q>|^2
    (f_n(k) - f_m(k+q)) delta(E_m(k+q) - E_n(k) - omega)``

    (``Pi = -chi``: ``Im Pi >= 0`` for ``omega > 0``), all band pairs, so
    intra- and interband.  On a uniform grid over the square box
    ``center +- half_width`` (cut into triangles, :mod:`kwant_noneq.triangles`)
    the transition energy, ``|<n|V|m>|^2`` and, at T = 0, the Fermi-surface
    cuts ``mu - E_n(k) > 0``, ``E_m(k+q) - mu > 0`` are interpolated
    linearly and the delta function is integrated exactly per triangle.  At
    T > 0 the weight includes ``f_n - f_m`` (interpolated; needs
    ``h v_F << k_B T``).  The box must contain every k with
    ``E_m(k+q) - E_n(k) = omega`` and nonzero weight: a ValueError is raised
    when a boundary triangle contributes (a box that cuts the region; one
    that misses it entirely cannot be detected and gives 0).

    Parameters
    ----------
    H : BlochHamiltonian or callable ``H(k)``
    q : (2,) array, 1/nm
    omega : float, eV (> 0)
    mu : float, eV
    center, half_width, n : box centre (2,), half side (1/nm), cells per side
    vertex : (norb, norb) array, optional (identity): density vertex, e.g. a
        layer projector.
    T : float, K
    pairs : iterable of (n, m) band indices, optional (all pairs).

    Returns
    -------
    float, 1/(eV nm^2)
    """
    from .triangles import box_grid, delta_integral, grid_triangles

    _check_box(omega, mu, T, half_width, n)
    q = np.asarray(q, dtype=float)
    pts, cell = box_grid(np.asarray(center, dtype=float), half_width, n)
    k = pts.reshape(-1, 2)
    e1, u1 = bands(H, k)
    e2, u2 = bands(H, k + q)
    if vertex is None:
        m = np.einsum("kan,kam->knm", u1.conj(), u2)
    else:
        m = np.einsum("kan,ab,kbm->knm", u1.conj(), vertex, u2)
    m2 = np.abs(m) ** 2
    tri = grid_triangles(n + 1, n + 1)
    boundary = _boundary_triangles(tri, n + 1)
    nb = e1.shape[1]
    if pairs is None:
        pairs = [(i, j) for i in range(nb) for j in range(nb)]
    total = 0.0
    for i, j in pairs:
        eps = (e2[:, j] - e1[:, i])[tri]
        # Only triangles whose energy range contains omega can contribute.
        sel = (eps.min(1) < omega) & (eps.max(1) > omega)
        if not sel.any():
            continue
        eps, tri_s, bnd = eps[sel], tri[sel], boundary[sel]
        if T == 0:
            # f_n(k) - f_m(k+q) = theta(mu - E_n) theta(E_m' - mu)
            #                   - theta(mu - E_m') theta(E_n - mu)
            terms = [(m2[:, i, j], [mu - e1[:, i], e2[:, j] - mu]),
                     (-m2[:, i, j], [mu - e2[:, j], e1[:, i] - mu])]
        else:
            w = m2[:, i, j] * (fermi(e1[:, i], mu, KB * T) - fermi(e2[:, j], mu, KB * T))
            terms = [(w, [])]
        for w, cons in terms:
            per = delta_integral(eps, w[tri_s], cell / 2, omega,
                                 constraints=[c[tri_s] for c in cons], per_triangle=True)
            if np.any(per[bnd] != 0):
                raise ValueError("the box does not contain the resonant k-region "
                                 f"of band pair {(i, j)}: enlarge half_width")
            total += per.sum()
    return float(np.pi * total / (2 * np.pi) ** 2)


def dynamic_polarization_real(H, q, omega, mu, center, half_width, n, vertex=None, T=0.0,
                              pairs=None, mu_ref=None, n_T=24):
    """Re Pi(q, omega) of a lattice model by the linear triangle method.

    ``Re Pi(q, omega) = int d^2k/(2pi)^2 sum_{n,m} |<n,k| V |m,k+q>|^2
    (f_n(k) - f_m(k+q)) P 1/(E_m(k+q) - E_n(k) - omega)``

    (``Pi = -chi``; at omega = 0 this is :func:`static_polarization`), all
    band pairs: intra- and interband.  On the uniform grid of
    :func:`dynamic_polarization_imag` the transition energy, ``|<n|V|m>|^2``
    and the T = 0 Fermi cuts are linear per triangle and the principal value
    is integrated exactly (:func:`kwant_noneq.triangles.principal_value_integral`):
    the only error is the linear interpolation, O(h^2) for grid spacing h
    (plus the circle-on-a-grid noise of the Fermi cuts, as for Im Pi).

    T > 0 uses Maldague's identity, exact for non-interacting bands:
    ``Pi_T(mu) = int dmu' Pi_0(mu') / (4 k_BT cosh^2((mu' - mu)/2k_BT))``,
    ``n_T`` Gauss-Legendre nodes in ``u = tanh((mu' - mu)/2k_BT)``; every
    node is a T = 0 evaluation with sharp cuts, so no ``h v_F << k_BT``
    condition (unlike a linearly interpolated Fermi function).

    The interband Fermi-sea integral converges only like 1/K in the box size
    K (the vacuum polarisation of a Dirac cone) and the bands of a lattice
    model cover the whole Brillouin zone: give ``mu_ref`` to get
    ``Re Pi(mu) - Re Pi(mu_ref)``, whose integrand vanishes outside the
    region where some ``E_n(k)`` or ``E_m(k+q)`` lies between ``mu_ref`` and
    ``mu`` (plus the thermal window).  Only those triangles are integrated
    (the others cancel exactly) and a ValueError is raised when one of them
    touches the box boundary.  Without ``mu_ref`` the box integral itself is
    returned (a whole Brillouin zone as box is exact for a lattice model).

    Parameters
    ----------
    H : BlochHamiltonian or callable ``H(k)``
    q : (2,) array, 1/nm
    omega : float, eV.  Must not coincide with the transition energy on a
        whole triangle edge (see :mod:`kwant_noneq.triangles`); use a small
        nonzero omega for the static limit on symmetric grids.
    mu : float, eV
    center, half_width, n : box centre (2,), half side (1/nm), cells per side
    vertex : (norb, norb) array, optional (identity): density vertex.
    T : float, K
    pairs : iterable of (n, m) band indices, optional (all pairs whose
        ``|<n|V|m>|^2`` is not below 1e-14 everywhere).
    mu_ref : float, eV, optional
        Reference chemical potential (e.g. in the gap: subtracts the vacuum).
    n_T : int
        Maldague nodes at T > 0.

    Returns
    -------
    float, 1/(eV nm^2)
    """
    from .triangles import box_grid, grid_triangles, principal_value_integral

    _check_box(omega, mu, T, half_width, n)
    if mu_ref is not None:
        _real(mu_ref, "mu_ref", "eV")
    _count(n_T, "n_T")
    q = np.asarray(q, dtype=float)
    pts, cell = box_grid(np.asarray(center, dtype=float), half_width, n)
    k = pts.reshape(-1, 2)
    e1, u1 = bands(H, k)
    e2, u2 = bands(H, k + q)
    # <n,k| V |m,k+q> as two batched matrix products (faster than einsum)
    m = u1.conj().swapaxes(-1, -2) @ (u2 if vertex is None else np.asarray(vertex) @ u2)
    m2 = np.abs(m) ** 2
    tri = grid_triangles(n + 1, n + 1)
    boundary = _boundary_triangles(tri, n + 1)
    nb = e1.shape[1]
    if pairs is None:
        pairs = [(i, j) for i in range(nb) for j in range(nb) if m2[:, i, j].max() > 1e-14]
    if T == 0:
        mus, weights = np.array([mu]), np.array([1.0])
    else:
        mus, weights = maldague_nodes(mu, T, n_T)
    refs = None if mu_ref is None else mus - mu + mu_ref
    total = 0.0
    for i, j in pairs:
        ea, eb = e1[:, i][tri], e2[:, j][tri]
        eps = eb - ea
        w2 = m2[:, i, j][tri]
        ranges = [(e.min(1), e.max(1)) for e in (ea, eb)]
        for node, (mu_n, wt) in enumerate(zip(mus, weights)):
            if refs is None:
                sel = slice(None)
                levels = [(mu_n, 1.0)]
            else:
                lo, hi = min(mu_n, refs[node]), max(mu_n, refs[node])
                # Triangles where neither band's vertex range meets [lo, hi]
                # have the same occupations (and no cut) at mu_n and the
                # reference: they cancel exactly.
                sel = np.zeros(len(tri), bool)
                for emin, emax in ranges:
                    sel |= (emax >= lo) & (emin <= hi)
                if not sel.any():
                    continue
                if boundary[sel].any():
                    raise ValueError("the box does not contain the region where the "
                                     f"occupations of band pair {(i, j)} differ between mu and "
                                     "mu_ref: enlarge half_width")
                levels = [(mu_n, 1.0), (refs[node], -1.0)]
            for level, sign in levels:
                # f_n(k) - f_m(k+q) = theta(mu - E_n) theta(E_m' - mu)
                #                   - theta(mu - E_m') theta(E_n - mu)
                for w, cons in ((w2, [level - ea, eb - level]), (-w2, [level - eb, ea - level])):
                    c = [x[sel] for x in cons]
                    total += wt * sign * principal_value_integral(eps[sel], w[sel], cell / 2, omega,
                                                                  constraints=c)
    return float(total / (2 * np.pi) ** 2)


def _boundary_triangles(tri, nv):
    i, j = tri // nv, tri % nv
    edge = (i == 0) | (i == nv - 1) | (j == 0) | (j == nv - 1)
    return edge.any(axis=1)
