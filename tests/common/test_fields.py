"""The vector field sends numpy vectors in its own text form: they must come back unchanged."""

from __future__ import annotations

import numpy as np
import pytest

from annotations.models import Passage
from annotations.services import article_create
from common.fields import VectorField


def test_a_float32_vector_is_written_with_the_digits_it_needs() -> None:
    vector = np.array([0.1, -1 / 3, 1e-7, 12345.678], dtype=np.float32)
    text = VectorField(dimensions=4).get_prep_value(vector)
    assert np.array_equal(np.array(text[1:-1].split(","), dtype=np.float32), vector)
    assert VectorField(dimensions=2).get_prep_value([0.5, 1.0]) == "[0.5,1.0]"  # pgvector's


@pytest.mark.django_db
def test_a_stored_vector_reads_back_bit_for_bit(project) -> None:
    article = article_create(project=project, text="The ferry strike went on.", outlet="Gazette")
    vector = np.random.default_rng(3).standard_normal(384).astype(np.float32)
    passage = Passage.objects.create(article=article, ordinal=0, start=0, end=5, text="The f")
    passage.embedding = vector
    passage.save(update_fields=["embedding"])
    stored = np.asarray(Passage.objects.get(pk=passage.pk).embedding, dtype=np.float32)
    assert np.array_equal(stored, vector)
