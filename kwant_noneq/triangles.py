"""Linear triangle method: 2D integrals with a delta function of the energy.

The two-dimensional analogue of the linear tetrahedron method (Lehmann and
Taut 1972; Bloechl, Jepsen and Andersen 1994).  A uniform grid is cut into
triangles; on each triangle the "energy" ``eps(k)``, the weight ``w(k)`` and
any step-function arguments ``c_j(k)`` are replaced by their linear
interpolants through the three vertex values, and

    I(omega) = sum_triangles int_tri d^2k  w(k) prod_j theta(c_j(k)) delta(eps(k) - omega)

is then integrated EXACTLY.  For a linear ``eps`` the set ``eps = omega`` in a
triangle is a straight segment PQ, ``|grad eps|`` is constant, and

    int_tri w delta(eps - omega) d^2k = g(omega) int_0^1 ds w(P + s (Q - P)),

with the per-triangle density of states (``e1 <= e2 <= e3`` the sorted
vertex energies, S the area)

    g = 2 S (omega - e1)/((e2 - e1)(e3 - e1))     for e1 < omega < e2,
    g = 2 S (e3 - omega)/((e3 - e1)(e3 - e2))     for e2 <= omega < e3.

Along the segment the weight and the step arguments are linear in s, so the
steps cut ``[0, 1]`` to one interval ``[s0, s1]`` and the s integral is
``(s1 - s0) w((s0 + s1)/2)``.  Sharp Fermi surfaces (T = 0 occupations) are
therefore integrated without smearing: the only error is the linear
interpolation of eps, w and c_j, O(h^2) for grid spacing h (checked in the
tests on the density of states of a parabolic and a Dirac band).

Model-agnostic: the functions take vertex values; :func:`grid_triangles`
gives the triangles of a rectangular grid.  Units are those of the inputs
(area in k-units squared, omega in the units of eps).
"""
import numpy as np

__all__ = ["grid_triangles", "delta_integral", "principal_value_integral", "clip_triangles",
           "box_grid"]


def box_grid(center, half_width, n):
    """Vertices of a uniform ``(n+1) x (n+1)`` grid on a square box.

    Parameters
    ----------
    center : (2,) array
        Centre of the box (k units).
    half_width : float
        Half the side of the box.
    n : int
        Cells per side.

    Returns
    -------
    points : array (n+1, n+1, 2)
    cell_area : float
        Area of one grid cell, ``(2 half_width / n)^2`` (two triangles).
    """
    if n < 1 or int(n) != n:
        raise ValueError(f"n must be a positive integer, got {n}")
    if not half_width > 0:
        raise ValueError(f"half_width must be > 0, got {half_width}")
    s = np.linspace(-half_width, half_width, int(n) + 1)
    kx, ky = np.meshgrid(s + center[0], s + center[1], indexing="ij")
    return np.stack([kx, ky], -1), (2 * half_width / n) ** 2


def grid_triangles(n1, n2):
    """Triangles of an ``n1 x n2``-vertex grid (indices into the flattened grid).

    Each cell ``(i, j)-(i+1, j+1)`` is cut along its diagonal into two
    triangles of equal area.  Returns an int array ``(2 (n1-1)(n2-1), 3)``.
    """
    if n1 < 2 or n2 < 2:
        raise ValueError(f"need at least 2 x 2 vertices, got {n1} x {n2}")
    i, j = np.meshgrid(np.arange(n1 - 1), np.arange(n2 - 1), indexing="ij")
    i, j = i.ravel(), j.ravel()
    v00, v10 = i * n2 + j, (i + 1) * n2 + j
    v01, v11 = i * n2 + j + 1, (i + 1) * n2 + j + 1
    return np.concatenate([np.stack([v00, v10, v11], -1),
                           np.stack([v00, v11, v01], -1)])


def delta_integral(eps, weight, area, omega, constraints=(), per_triangle=False):
    """``sum_tri int w prod_j theta(c_j) delta(eps - omega) d^2k`` (linear triangles).

    Parameters
    ----------
    eps : array (T, 3)
        Vertex values of the argument of the delta function.
    weight : array (T, 3), real or complex
        Vertex values of the weight.
    area : float or array (T,)
        Triangle areas.
    omega : float
        Where the delta function is evaluated.
    constraints : sequence of arrays (T, 3)
        Vertex values of linear functions ``c_j``; only the part of each
        triangle where every ``c_j > 0`` contributes.
    per_triangle : bool
        Return the contribution of each triangle instead of the sum.

    Returns
    -------
    complex or float (or array (T,)) in units of weight x area / eps.
    """
    eps = np.asarray(eps, dtype=float)
    weight = np.asarray(weight)
    if eps.ndim != 2 or eps.shape[1] != 3 or weight.shape != eps.shape:
        raise ValueError(f"eps and weight must have shape (T, 3), got {eps.shape}, {weight.shape}")
    cons = [np.asarray(c, dtype=float) for c in constraints]
    for c in cons:
        if c.shape != eps.shape:
            raise ValueError(f"constraint shape {c.shape} differs from eps {eps.shape}")
    order = np.argsort(eps, axis=1)
    take = lambda a: np.take_along_axis(a, order, axis=1)
    e = take(eps)
    e1, e2, e3 = e[:, 0], e[:, 1], e[:, 2]
    inside = (e1 < omega) & (omega < e3)
    lower = omega < e2
    d31 = np.where(inside, e3 - e1, 1.0)
    d21 = np.where(inside & lower, e2 - e1, 1.0)
    d32 = np.where(inside & ~lower, e3 - e2, 1.0)
    area = np.broadcast_to(np.asarray(area, dtype=float), e1.shape)
    g = np.where(lower, 2 * area * (omega - e1) / (d31 * d21),
                 2 * area * (e3 - omega) / (d31 * d32))
    g = np.where(inside, g, 0.0)
    # Segment end points: P on edge 1-3, Q on edge 1-2 (lower) or 2-3 (upper).
    tp = np.clip((omega - e1) / d31, 0, 1)
    tq = np.where(lower, np.clip((omega - e1) / d21, 0, 1), np.clip((omega - e2) / d32, 0, 1))

    def ends(values):
        v = take(values)
        p = v[:, 0] + tp * (v[:, 2] - v[:, 0])
        qv = np.where(lower, v[:, 0] + tq * (v[:, 1] - v[:, 0]),
                      v[:, 1] + tq * (v[:, 2] - v[:, 1]))
        return p, qv

    s0, s1 = np.zeros_like(e1), np.ones_like(e1)
    for c in cons:
        cp, cq = ends(c)
        with np.errstate(divide="ignore", invalid="ignore"):
            root = cp / (cp - cq)
        # c(s) = cp + s (cq - cp) > 0
        rising = cq > cp
        falling = cq < cp
        s0 = np.where(rising, np.maximum(s0, root), s0)
        s1 = np.where(falling, np.minimum(s1, root), s1)
        flat_bad = (cq == cp) & (cp <= 0)
        s1 = np.where(flat_bad, s0, s1)
    length = np.clip(s1 - s0, 0, 1)
    wp, wq = ends(weight)
    mid = 0.5 * (s0 + s1)
    contrib = g * length * (wp + mid * (wq - wp))
    contrib = np.where(inside & (length > 0), contrib, 0)
    return contrib if per_triangle else contrib.sum()


# ------------------------------------------------------------ principal value
#
# Real part of a resolvent, the companion of delta_integral:
#
#     P sum_tri int_tri w(k) prod_j theta(c_j(k)) / (eps(k) - omega) d^2k
#
# with eps, w and c_j linear on each triangle (the 2D analogue of the
# Lehmann-Taut / Bloechl real part).  The step functions are exact cuts: the
# triangle is clipped by each half-plane c_j > 0 (clip_triangles) into at most
# a few sub-triangles on which eps and w are the same linear functions.  On a
# triangle, with e = eps - omega sorted e1 <= e2 <= e3 (weights w1, w2, w3
# carried along), the level sets of e are segments and the integral becomes
# the energy integral of the weighted per-triangle density p(E),
#
#     int_tri w/e d^2k = P int dE p(E)/E,   p(E) = int_{e=E} w dl/|grad e|,
#
# p piecewise quadratic: with t in [0, 1] running over each piece,
#
#     lower piece E = e1 + d21 t:  p = (2S/d31) t [w1 + t (d21 w31/(2 d31) + w21/2)]
#     upper piece E = e3 - d32 t:  p = (2S/d31) t [w3 - t (d32 w31/(2 d31) + w32/2)]
#
# (dij = ei - ej, wij = wi - wj, S the area; the segment length is linear in t
# and w is averaged along it).  Both pieces are bounded for any dij >= 0, a
# piece of zero width contributes zero, and the flat triangle (d31 = 0) is
# S <w>/e.  The t integrals are
#
#     Q_k(x, D) = int_0^1 D t^k / (x + D t) dt,   k = 1, 2,
#     Q_1 = 1 - log|1 + r|/r,  Q_2 = 1/2 - 1/r + log|1 + r|/r^2,  r = D/x,
#
# evaluated by their power series for |r| < 1/2 (the pole far from the piece:
# the closed forms cancel catastrophically there) and Q_1 = 1, Q_2 = 1/2 at
# x = 0 (pole at the piece's p = 0 end: finite).  A pole exactly at the other
# end (E = e2, where p is largest) is a logarithm that cancels between the
# lower and upper piece of the same triangle; |E| is floored at 1e-300 so the
# two equal and opposite logarithms cancel to rounding.  The one ill-defined
# case is a whole triangle EDGE lying exactly on eps = omega (the PV of a
# piecewise-linear interpolant with a kink on its zero line diverges):
# choose omega off the vertex values (any omega not equal to them works).


def clip_triangles(constraints):
    """Clip triangles by half-planes ``c_j > 0`` of linear functions.

    Parameters
    ----------
    constraints : sequence of arrays (T, 3)
        Vertex values of the linear functions ``c_j``.

    Returns
    -------
    parent : int array (K,)
        Index of the triangle each sub-triangle lies in.
    bary : array (K, 3, 3)
        Barycentric coordinates (rows: the sub-triangle's vertices) in the
        parent triangle.  A linear function with parent vertex values ``v``
        (T, 3) has sub-triangle vertex values ``bary @ v[parent]``; the
        sub-triangle's area is ``|det bary|`` times the parent's.

    The clipped region ``{every c_j > 0}`` of each triangle is a convex
    polygon; it is returned fan-triangulated (exactly, no approximation
    beyond the linearity of the ``c_j``).
    """
    cons = [np.asarray(c, dtype=float) for c in constraints]
    if not cons:
        raise ValueError("clip_triangles needs at least one constraint")
    ntri = len(cons[0])
    parent = np.arange(ntri)
    bary = np.broadcast_to(np.eye(3), (ntri, 3, 3)).copy()
    for c in cons:
        if c.shape != (ntri, 3):
            raise ValueError(f"constraint shape {c.shape} differs from ({ntri}, 3)")
        cv = np.einsum("kij,kj->ki", bary, c[parent])      # values at current vertices
        pos = cv > 0
        npos = pos.sum(1)
        keep = npos == 3
        new_parent, new_bary = [parent[keep]], [bary[keep]]
        for count in (1, 2):
            sel = npos == count
            if not sel.any():
                continue
            p, b, v, s = parent[sel], bary[sel], cv[sel], pos[sel]
            # Roll so that the odd vertex (the positive one for count 1, the
            # non-positive one for count 2) comes first; rolling keeps the cycle.
            odd = np.argmax(s if count == 1 else ~s, axis=1)
            idx = (odd[:, None] + np.arange(3)) % 3
            b = np.take_along_axis(b, idx[:, :, None], axis=1)
            v = np.take_along_axis(v, idx, axis=1)
            # Crossing points on edges 0-1 and 0-2 (c changes sign there).
            t1 = (v[:, 0] / (v[:, 0] - v[:, 1]))[:, None]
            t2 = (v[:, 0] / (v[:, 0] - v[:, 2]))[:, None]
            x01 = b[:, 0] + t1 * (b[:, 1] - b[:, 0])
            x02 = b[:, 0] + t2 * (b[:, 2] - b[:, 0])
            if count == 1:
                new_parent.append(p)
                new_bary.append(np.stack([b[:, 0], x01, x02], 1))
            else:                      # quadrilateral x01, v1, v2, x02
                new_parent += [p, p]
                new_bary += [np.stack([x01, b[:, 1], b[:, 2]], 1),
                             np.stack([x01, b[:, 2], x02], 1)]
        parent = np.concatenate(new_parent)
        bary = np.concatenate(new_bary)
    return parent, bary


def _q_integrals(x, D):
    """``Q_1, Q_2 = int_0^1 D t^k/(x + D t) dt`` (principal value), D >= 0."""
    x = np.asarray(x, dtype=float)
    D = np.asarray(D, dtype=float)
    small = np.abs(D) < 0.5 * np.abs(x)          # |r| < 1/2: series
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(small, D / np.where(small, x, 1.0), 0.0)
        # series: Q_k = sum_n (-1)^n r^(n+1)/(n+k+1); |r| < 1/2 -> 52 terms < 1e-16
        q1 = np.zeros_like(r)
        q2 = np.zeros_like(r)
        rn = r.copy()
        for n in range(52):
            q1 += rn / (n + 2)
            q2 += rn / (n + 3)
            rn = -rn * r
        big = ~small
        xb = np.where(big, x, 1.0)
        Db = np.where(big, D, 1.0)
        log_ratio = (np.log(np.maximum(np.abs(xb + Db), 1e-300))
                     - np.log(np.maximum(np.abs(xb), 1e-300)))
        inv_r = xb / Db
        c1 = 1 - inv_r * log_ratio
        c2 = 0.5 - inv_r + inv_r ** 2 * log_ratio
        at_pole = xb == 0                          # pole at the p = 0 end: finite limit
        c1 = np.where(at_pole, 1.0, c1)
        c2 = np.where(at_pole, 0.5, c2)
    return np.where(small, q1, c1), np.where(small, q2, c2)


def principal_value_integral(eps, weight, area, omega, constraints=(), per_triangle=False):
    """``P sum_tri int w prod_j theta(c_j) / (eps - omega) d^2k`` (linear triangles).

    The principal-value companion of :func:`delta_integral` (same arguments):
    ``eps``, ``w`` and the ``c_j`` are linear on each triangle and the
    integral of that interpolant is exact (closed form with logarithms,
    see the comment above :func:`clip_triangles`).  Together,
    ``int w theta / (eps - omega - i0) = principal_value_integral + i pi
    delta_integral``.

    Parameters
    ----------
    eps : array (T, 3)
        Vertex values of the energy in the denominator.
    weight : array (T, 3), real or complex
    area : float or array (T,)
    omega : float
        Must not make a whole triangle edge satisfy ``eps = omega`` exactly
        (the PV of the interpolant is undefined there); isolated vertices
        with ``eps = omega`` are fine.
    constraints : sequence of arrays (T, 3)
        Only the part of each triangle where every ``c_j > 0`` contributes
        (exact clipping).
    per_triangle : bool
        Return the contribution of each input triangle.

    Returns
    -------
    float or complex (or array (T,)), units of weight x area / eps.
    """
    eps = np.asarray(eps, dtype=float)
    weight = np.asarray(weight)
    if eps.ndim != 2 or eps.shape[1] != 3 or weight.shape != eps.shape:
        raise ValueError(f"eps and weight must have shape (T, 3), got {eps.shape}, {weight.shape}")
    ntri = len(eps)
    area = np.broadcast_to(np.asarray(area, dtype=float), (ntri,))
    if constraints:
        parent, bary = clip_triangles(constraints)
        eps_s = np.einsum("kij,kj->ki", bary, eps[parent])
        w_s = np.einsum("kij,kj->ki", bary, weight[parent])
        area_s = area[parent] * np.abs(np.linalg.det(bary))
    else:
        parent, eps_s, w_s, area_s = np.arange(ntri), eps, weight, area
    contrib = _pv_linear(eps_s - omega, w_s, area_s)
    if per_triangle:
        out = np.zeros(ntri, dtype=contrib.dtype)
        np.add.at(out, parent, contrib)
        return out
    return contrib.sum()


def _pv_linear(e, w, area):
    """``P int_tri w/e d^2k`` for e, w linear (vertex values (K, 3)), no cuts."""
    order = np.argsort(e, axis=1)
    e = np.take_along_axis(e, order, axis=1)
    w = np.take_along_axis(w, order, axis=1)
    e1, e2, e3 = e[:, 0], e[:, 1], e[:, 2]
    w1, w2, w3 = w[:, 0], w[:, 1], w[:, 2]
    d21, d32, d31 = e2 - e1, e3 - e2, e3 - e1
    flat = d31 == 0
    s31 = np.where(flat, 1.0, d31)
    s21 = np.where(d21 == 0, 1.0, d21)
    s32 = np.where(d32 == 0, 1.0, d32)
    pref = 2 * area / s31
    # lower piece: int_0^1 d21 dt p(t) / (e1 + d21 t)
    a_lo = w1
    b_lo = d21 * (w3 - w1) / (2 * s31) + (w2 - w1) / 2
    q1, q2 = _q_integrals(e1, d21)
    lower = np.where(d21 > 0, (a_lo * q1 + b_lo * q2), 0.0)
    # upper piece: E = e3 - d32 t, 1/E = -1/(-e3 + d32 t)
    a_up = w3
    b_up = -(d32 * (w3 - w1) / (2 * s31) + (w3 - w2) / 2)
    q1, q2 = _q_integrals(-e3, d32)
    upper = np.where(d32 > 0, -(a_up * q1 + b_up * q2), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        flat_val = np.where(flat & (e1 != 0), area * (w1 + w2 + w3) / 3 / np.where(e1 == 0, 1.0, e1), 0.0)
    del s21, s32
    return np.where(flat, flat_val, pref * (lower + upper))
