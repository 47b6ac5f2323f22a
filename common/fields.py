"""Model fields shared by the apps."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from pgvector.django import VectorField as PgVectorField


class VectorField(PgVectorField):
    """pgvector's field; a numpy vector is sent as text with 9 significant digits, what a
    float32 needs to be read back unchanged, instead of pgvector's str() of every value, which is
    slower; each processed article writes one per passage."""

    def get_prep_value(self, value: Any) -> Any:
        if isinstance(value, np.ndarray) and value.ndim == 1:
            return _template(len(value)) % tuple(value.tolist())
        return super().get_prep_value(value)


@functools.cache
def _template(dimensions: int) -> str:
    """One %-format for a whole vector: faster than a format spec, or a call, per value."""
    return "[" + ",".join(["%.9g"] * dimensions) + "]"
