"""Generated corpus with planted duplicate and overlapping-report pairs (ground truth for benchmarks).

Text is made of pseudo-words drawn from a character bigram chain trained on the seed files, with
Zipf word frequencies, so unrelated documents share common 3-grams the way real news does. Every
document may carry stock sentences (a pool shared by the whole corpus). Planted pairs:
- duplicate: a repost with a new lead sentence, two edited words and perhaps the last sentence cut;
- overlap: a new report that carries 4-6 sentences of the original, reworded (a sixth of the words
  replaced, one dropped, neighbours swapped).
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np

from transforms.script import to_simplified

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
LEXICON = 30_000  # pseudo-words; Chinese news uses a few tens of thousands of words
ZIPF = 1.1  # word frequency exponent of natural language
STOCK_SENTENCES = 40  # sentences that recur across the corpus (site lines, stock phrases)
STOCK_RATE = 0.3  # share of documents that carry one stock sentence
DUPLICATE_RATE = 0.05  # share of documents planted as a repost of an earlier one
OVERLAP_RATE = 0.05  # share of documents planted as another report of an earlier one's event
REWORD_RATE = 0.17  # share of words replaced when a shared sentence is reworded
# Frequent words are short (Zipf's law of abbreviation): the lexicon is ranked by word length plus
# Gaussian noise of this spread. Measured with character 3-grams against the dev pages (random pairs
# of passages from different documents): real text shares 0.30 grams per pair on average, 2.5 % of
# pairs share two or more, the commonest gram is in 11 % of passages. With noise 1.5 and
# SENTENCE_WORDS the generator gives 0.57, 11.5 % and 50 % (harder than real, on purpose). Unranked
# (uniform lengths 1-4 at every rank) it gave 1.43, 41 % and 40 % with passages of 27 characters:
# every passage pair looked related through frequent 3-4 character words, which real news lacks.
LENGTH_RANK_NOISE = 1.5
# Words per sentence: with the ranked lexicon a word averages about 2 characters, and this range
# gives sentences of about 45 characters, the dev pages' mean passage length (6-20 words gave 27).
SENTENCE_WORDS = (12, 33)

Sentence = list[str]
_CJK = re.compile(r"[\u4e00-\u9fff]+")


def _bigram_chain(rng: np.random.Generator) -> list[str]:
    """Pseudo-words of 1-4 characters walked on the seed files' bigrams, most frequent (first) shortest."""
    text = "".join(_CJK.findall(to_simplified("".join(p.read_text() for p in sorted(SEEDS.glob("*.txt"))))))
    chars = sorted(set(text))
    index = {c: i for i, c in enumerate(chars)}
    follow: list[list[int]] = [[] for _ in chars]
    for a, b in itertools.pairwise(text):
        follow[index[a]].append(index[b])
    words: set[str] = set()
    while len(words) < LEXICON:
        c = int(rng.integers(len(chars)))
        w = chars[c]
        for _ in range(int(rng.integers(0, 4))):
            nxt = follow[c]
            if not nxt:
                break
            c = nxt[int(rng.integers(len(nxt)))]
            w += chars[c]
        words.add(w)
    ordered = sorted(words)
    rank = np.array([len(w) for w in ordered]) + rng.normal(0.0, LENGTH_RANK_NOISE, len(ordered))
    return [ordered[i] for i in np.argsort(rank, kind="stable")]


class _Writer:
    """Draws sentences and documents from the lexicon."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.words = _bigram_chain(rng)
        p = 1.0 / np.arange(1, len(self.words) + 1) ** ZIPF
        self.cdf = np.cumsum(p / p.sum())

    def draw(self, n: int) -> list[str]:
        """n words by Zipf frequency (inverse CDF: rng.choice with p costs O(lexicon) per call)."""
        idx = np.minimum(np.searchsorted(self.cdf, self.rng.random(n)), len(self.words) - 1)
        return [self.words[i] for i in idx]

    def sentence(self) -> Sentence:
        """SENTENCE_WORDS words."""
        n = int(self.rng.integers(*SENTENCE_WORDS))
        return self.draw(n)

    def document(self) -> list[Sentence]:
        """12-30 sentences."""
        return [self.sentence() for _ in range(int(self.rng.integers(12, 31)))]

    def reword(self, s: Sentence) -> Sentence:
        """Replace a share of the words, drop one, swap a neighbour pair."""
        fresh = self.draw(len(s))
        out = [f if self.rng.random() < REWORD_RATE else w for w, f in zip(s, fresh, strict=True)]
        if len(out) > 6:
            del out[int(self.rng.integers(len(out)))]
        k = int(self.rng.integers(len(out) - 1))
        out[k], out[k + 1] = out[k + 1], out[k]
        return out


def _render(doc: list[Sentence], rng: np.random.Generator) -> str:
    """Sentences with commas between clauses, grouped into paragraphs of 2-6."""
    paras: list[str] = []
    cur = ""
    for s in doc:
        cut = len(s) // 2
        cur += "".join(s[:cut]) + "," + "".join(s[cut:]) + "。"
        if rng.random() < 0.25:
            paras.append(cur)
            cur = ""
    if cur:
        paras.append(cur)
    return "\n".join(paras)


def generate(n_docs: int, rng: np.random.Generator) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """n_docs documents and the planted pairs {(doc_a, doc_b): relation}."""
    w = _Writer(rng)
    stock = [w.sentence() + w.sentence() for _ in range(STOCK_SENTENCES)]
    docs: list[list[Sentence]] = []
    planted: dict[tuple[str, str], str] = {}
    for k in range(n_docs):
        roll = rng.random()
        if k > 0 and roll < DUPLICATE_RATE:
            src = int(rng.integers(k))
            doc = [list(s) for s in docs[src]]
            for _ in range(2):
                s = doc[int(rng.integers(len(doc)))]
                s[int(rng.integers(len(s)))] = w.words[int(rng.integers(len(w.words)))]
            if rng.random() < 0.5:
                doc = doc[:-1]
            doc.insert(0, w.sentence())
            planted[(f"d{src:07d}", f"d{k:07d}")] = "duplicate"
        elif k > 0 and roll < DUPLICATE_RATE + OVERLAP_RATE:
            src = int(rng.integers(k))
            doc = w.document()
            shared = rng.choice(len(docs[src]), min(int(rng.integers(4, 7)), len(docs[src])), replace=False)
            for i in sorted(shared):
                doc.insert(int(rng.integers(len(doc) + 1)), w.reword(docs[src][int(i)]))
            planted[(f"d{src:07d}", f"d{k:07d}")] = "overlap"
        else:
            doc = w.document()
        if rng.random() < STOCK_RATE:
            doc.insert(int(rng.integers(len(doc) + 1)), stock[int(rng.integers(len(stock)))])
        docs.append(doc)
    texts = {f"d{k:07d}": _render(doc, rng) for k, doc in enumerate(docs)}
    # a repost of a repost is also a pair of the two originals' group: count only direct plants
    return texts, planted
