"""Pauli matrices, defined once for the whole package.

``SIGMA_0`` is the 2 x 2 identity, ``SIGMA_X``, ``SIGMA_Y``, ``SIGMA_Z`` the
Pauli matrices, all complex and read-only (shared, so they must not be
changed in place: copy before modifying).  ``PAULI[i]`` is ``sigma_i`` for
``i = 0, 1, 2, 3``.
"""
import numpy as np

__all__ = ["SIGMA_0", "SIGMA_X", "SIGMA_Y", "SIGMA_Z", "PAULI", "pauli_spin"]


def _frozen(matrix):
    out = np.array(matrix, dtype=complex)
    out.setflags(write=False)
    return out


SIGMA_0 = _frozen([[1, 0], [0, 1]])
SIGMA_X = _frozen([[0, 1], [1, 0]])
SIGMA_Y = _frozen([[0, -1j], [1j, 0]])
SIGMA_Z = _frozen([[1, 0], [0, -1]])
#: ``(sigma_0, sigma_x, sigma_y, sigma_z)``, shape (4, 2, 2).
PAULI = _frozen([SIGMA_0, SIGMA_X, SIGMA_Y, SIGMA_Z])


def pauli_spin(norbs, spin_block=None):
    """Pauli spin operators ``(sigma_x, sigma_y, sigma_z)`` for ``norbs`` orbitals.

    Parameters
    ----------
    norbs : int
        Number of orbitals ``n = 2 m`` (even).
    spin_block : (m, m) array, optional
        The matrix that multiplies each Pauli matrix from the left in the
        Kronecker product ``kron(spin_block, sigma)``; default the identity
        ``1_m``, i.e. spin is the fastest index, as in ``tau (x) s`` models.

    Returns
    -------
    ndarray, shape (3, n, n)
        Complex spin operators (dimensionless; multiply by 1/2 for spin 1/2).
    """
    if norbs % 2:
        raise ValueError(f"need an even number of orbitals, got {norbs}")
    eye = np.eye(norbs // 2) if spin_block is None else spin_block
    return np.array([np.kron(eye, s) for s in PAULI[1:]])
