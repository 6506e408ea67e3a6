"""Near-duplicate grouping of texts by sampled word shingles (stdlib only, deterministic).

Each text (already normalised to single-spaced words) is reduced to the set of stable hashes (blake2b, 8 bytes)
of its 5-word shingles (of those whose hash is 0 mod SAMPLE_MOD; 1 keeps all: sampling made short texts noisy).
Two texts are near-duplicates when the Jaccard similarity of these sets is at least THRESHOLD (0.9: at 0.7-0.8,
union-find chained e.g. every BSD/MIT variant into one group); groups are the connected components, labelled by
their smallest member index.
"""
import hashlib

SHINGLE = 5
SAMPLE_MOD = 1
THRESHOLD = 0.9
MAX_POSTING = 400  # shingles shared by more texts than this carry no signal for near-duplication


def sampled_shingles(text):
    words = text.split()
    out = set()
    for i in range(max(1, len(words) - SHINGLE + 1)):
        h = int.from_bytes(hashlib.blake2b(" ".join(words[i:i + SHINGLE]).encode(), digest_size=8).digest(), "big")
        if h % SAMPLE_MOD == 0:
            out.add(h)
    return out


def shingle_index(texts):
    sets = [sampled_shingles(t) for t in texts]
    postings = {}
    for i, s in enumerate(sets):
        for h in s:
            postings.setdefault(h, []).append(i)
    return sets, postings


def near_duplicate_groups(texts, threshold=None):
    threshold = THRESHOLD if threshold is None else threshold
    sets, postings = shingle_index(texts)
    parent = list(range(len(texts)))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, s in enumerate(sets):
        if not s:
            continue
        counts = {}
        for h in s:
            p = postings[h]
            if len(p) > MAX_POSTING:
                continue
            for j in p:
                if j > i:
                    counts[j] = counts.get(j, 0) + 1
        for j, c in counts.items():
            if c / (len(s) + len(sets[j]) - c) >= threshold:
                a, b = find(i), find(j)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    return [find(i) for i in range(len(texts))]


def containment(text_shingles, postings_sets):
    """Fraction of a text's sampled shingles that occur in `postings_sets` (a set of shingle hashes)."""
    if not text_shingles:
        return 0.0
    return len(text_shingles & postings_sets) / len(text_shingles)


class OverlapIndex:
    """Index of shingle sets answering containment queries between a query text and the indexed texts."""

    def __init__(self, texts):
        self.sets, self.postings = shingle_index(texts)

    def _shared(self, query):
        counts = {}
        for h in query:
            for j in self.postings.get(h, ()):
                counts[j] = counts.get(j, 0) + 1
        return counts

    def contained_in(self, text, threshold):
        """Indexed texts that hold at least `threshold` of the query's shingles (the query lies inside them)."""
        s = sampled_shingles(text)
        return sorted(j for j, c in self._shared(s).items() if c / len(s) >= threshold) if s else []

    def containing(self, text, threshold):
        """Indexed texts whose shingles lie at least `threshold` inside the query (the query contains them)."""
        s = sampled_shingles(text)
        return sorted(j for j, c in self._shared(s).items() if c / len(self.sets[j]) >= threshold) if s else []
