"""The document's notation as NumPy: 1-based indices, column and row vectors, and products that
refuse shapes that do not fit (as the mathematics does), so that a literal transcription of a
formula fails where the formula is undefined."""

from __future__ import annotations

import numpy as np

__all__ = ["at", "column", "entry", "matmul", "row", "strict_hadamard"]


def strict_hadamard(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The elementwise product of two arrays of equal shape (no broadcasting: a Hadamard
    product of different shapes is undefined)."""
    if x.shape != y.shape:
        raise ValueError(f"Hadamard product of shapes {x.shape} and {y.shape} is undefined")
    return x * y


def matmul(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The matrix product of 2-d arrays, with a short error when the shapes do not fit."""
    if x.shape[1] != y.shape[0]:
        raise ValueError(f"matrix product of shapes {x.shape} and {y.shape} is undefined")
    return x @ y


def column(vector: np.ndarray) -> np.ndarray:
    """A 1-d array as a column vector, shape (n, 1)."""
    return np.asarray(vector).reshape(-1, 1)


def row(vector: np.ndarray) -> np.ndarray:
    """A 1-d array as a row vector, shape (1, n)."""
    return np.asarray(vector).reshape(1, -1)


def at(array: np.ndarray, index: int):
    """``array[index - 1]`` for a 1-based index, raising IndexError outside 1..len."""
    if not 1 <= index <= len(array):
        raise IndexError(f"index {index} outside 1..{len(array)}")
    return array[index - 1]


def entry(matrix: np.ndarray, i: int, j: int):
    """``matrix[i - 1, j - 1]`` for 1-based indices, raising IndexError outside the shape."""
    rows, columns = matrix.shape
    if not (1 <= i <= rows and 1 <= j <= columns):
        raise IndexError(f"entry ({i}, {j}) outside a {rows}x{columns} matrix")
    return matrix[i - 1, j - 1]
