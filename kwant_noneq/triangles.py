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

__all__ = ["grid_triangles", "delta_integral", "box_grid"]


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
