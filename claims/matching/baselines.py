"""Plain rankers the engine is measured against (`evaluate_matching --baseline ...`).

Each ranks every passage of an article for a claim by one cosine of whole texts, with nothing
else: `embedding` compares the packaged model's vectors of the claim's wordings (its statement,
and the marked mention's text in the mentions protocol) with each passage's stored vector;
`tfidf` compares TF-IDF vectors (scikit-learn, fitted on the project's passages and the claim
texts). No clauses, aliases, numbers, names or fitted weights. They answer through the same
rows the evaluation reads from the engine, so every protocol and figure is computed alike.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from annotations.models import Passage
from claims.matching.context import embed_cached
from claims.models import Claim

# (claim id, article id, start, end, score, signals)
Row = tuple[int, int, int, int, float, dict[str, Any] | None]
# Rows kept per claim and article, as the engine stores at most `store_per_article`.
PER_ARTICLE = 5


class Baseline:
    name = ""

    def __init__(self, project_id: int) -> None:
        self.project_id = project_id

    def vectors(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def passage_vectors(self, passages: list[dict[str, Any]]) -> np.ndarray:
        raise NotImplementedError

    def _passages(self, **filters: Any) -> list[dict[str, Any]]:
        rows = Passage.objects.filter(article__project_id=self.project_id, **filters).exclude(
            embedding=None
        )
        return [
            dict(r) for r in rows.values("id", "article_id", "start", "end", "text", "embedding")
        ]

    def claim_rows(self, claim_id: int, wordings: list[str], skip_article: int) -> list[Row]:
        """Every other article's best passages for one claim, by the best wording's cosine."""
        passages = [p for p in self._passages() if p["article_id"] != skip_article]
        if not passages:
            return []
        cosines = (self.vectors(wordings) @ self.passage_vectors(passages).T).max(axis=0)
        by_article: dict[int, list[Row]] = defaultdict(list)
        for p, value in zip(passages, cosines.tolist(), strict=True):
            by_article[p["article_id"]].append(
                (claim_id, p["article_id"], p["start"], p["end"], float(value), None)
            )
        return [
            r
            for rows in by_article.values()
            for r in sorted(rows, key=lambda r: -r[4])[:PER_ARTICLE]
        ]

    def article_rows(self, article_id: int) -> list[Row]:
        """Each tracked claim's best passage in the article, by cosine with its statement."""
        passages = self._passages(article_id=article_id)
        claims = list(
            Claim.objects.filter(project_id=self.project_id).values_list("pk", "statement")
        )
        if not passages or not claims:
            return []
        cosines = self.vectors([s for _, s in claims]) @ self.passage_vectors(passages).T
        best = cosines.argmax(axis=1).tolist()
        return [
            (pk, article_id, passages[i]["start"], passages[i]["end"], float(cosines[c, i]), None)
            for c, ((pk, _), i) in enumerate(zip(claims, best, strict=True))
        ]


class EmbeddingBaseline(Baseline):
    name = "embedding"

    def vectors(self, texts: list[str]) -> np.ndarray:
        return embed_cached(texts)

    def passage_vectors(self, passages: list[dict[str, Any]]) -> np.ndarray:
        return np.stack([np.asarray(p["embedding"], dtype=np.float32) for p in passages])


class TfidfBaseline(Baseline):
    name = "tfidf"

    def __init__(self, project_id: int) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        super().__init__(project_id)
        texts = [p["text"] for p in self._passages()]
        texts += list(
            Claim.objects.filter(project_id=project_id).values_list("statement", flat=True)
        )
        self._vectorizer = TfidfVectorizer(sublinear_tf=True).fit(texts or ["empty"])

    def vectors(self, texts: list[str]) -> np.ndarray:
        # TfidfVectorizer rows are L2-normalised: the dot product is the cosine.
        return self._vectorizer.transform(texts).toarray()

    def passage_vectors(self, passages: list[dict[str, Any]]) -> np.ndarray:
        return self.vectors([p["text"] for p in passages])


BASELINES: dict[str, type[Baseline]] = {"embedding": EmbeddingBaseline, "tfidf": TfidfBaseline}
