"""Typo correction against the words of the index, counting a swap of two letters as one edit.

Whoosh's fuzzy terms use plain Levenshtein distance, where `mdau` is two edits away from `madu`; here
the distance is the optimal string alignment (restricted Damerau-Levenshtein) distance.
"""
from collections import defaultdict

MIN_LENGTH = 3      # shorter words are too ambiguous to correct ("mdu", "ikn", "tpi" are not)
LONG_WORD = 8       # from this length on, two edits are allowed


def max_edits(word):
    """How many edits a correction of `word` may make: 0 below 3 letters, 1 up to 7, 2 above.
    The search keeps a correction only when it finds more than the words as typed."""
    if len(word) < MIN_LENGTH:
        return 0
    return 1 if len(word) < LONG_WORD else 2


def distance(a, b):
    """The optimal string alignment distance: insertions, deletions, substitutions, adjacent swaps."""
    previous2, previous = None, list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]


def within(a, b, limit):
    """True when distance(a, b) <= limit; fast for limits of 1 or 2 (string slices, no table)."""
    if abs(len(a) - len(b)) > limit:
        return False
    start, end = 0, min(len(a), len(b))
    while start < end and a[start] == b[start]:
        start += 1
    a, b = a[start:], b[start:]
    if a == b:
        return True
    if limit == 0:
        return False
    if not a or not b:
        return max(len(a), len(b)) <= limit
    lower = limit - 1
    return (within(a[1:], b[1:], lower) or within(a[1:], b, lower) or within(a, b[1:], lower)
            or (len(a) > 1 and len(b) > 1 and a[0] == b[1] and a[1] == b[0] and within(a[2:], b[2:], lower)))


class Vocabulary:
    """Words with their document frequencies, bucketed for quick lookup.

    A candidate must share its first letter with the typed word, or have the typed word's first letter
    second (a letter missing at the start), or the typed word's second letter first or second (a swap,
    an extra or a wrong first letter): within one edit that finds every word. With two edits (words of
    8 letters or more) both may fall on the first two letters ("tsmbutan" for "rambutan"); the rest of
    the word is then exactly as typed, so such words are also looked up by their last three letters.
    """

    def __init__(self, frequencies):
        self.frequencies = dict(frequencies)
        self._buckets = defaultdict(list)
        for word in self.frequencies:
            if len(word) >= 3 and word.isalpha():
                self._buckets[(word[0], 0, len(word))].append(word)
                self._buckets[(word[1], 1, len(word))].append(word)
                self._buckets[(word[-3:], -3, len(word))].append(word)

    def __contains__(self, word):
        return word in self.frequencies

    def candidates(self, word, limit):
        """Vocabulary words that may lie within `limit` edits of `word`."""
        keys = {(word[0], 0), (word[0], 1)}
        if len(word) > 1:
            keys |= {(word[1], 0), (word[1], 1)}
        if limit >= 2:
            keys.add((word[-3:], -3))
        seen = set()
        for key, position in keys:
            for length in range(len(word) - limit, len(word) + limit + 1):
                for candidate in self._buckets.get((key, position, length), ()):
                    if candidate not in seen:
                        seen.add(candidate)
                        yield candidate

    def frequency(self, word):
        """In how many documents the word occurs (0 when unknown)."""
        return self.frequencies.get(word, 0)


def correct(word, vocabularies, live=None):
    """The closest word of the vocabularies within the allowed edits (ties: the most frequent), or None.

    Known words and words of fewer than three letters are left alone. `live`, when given, tells the
    frequency of a word among live listings (None for a word only deleted listings had): vocabularies
    built from a lexicon that keeps deleted documents' words are then filtered through it.
    """
    limit = max_edits(word)
    if not limit or not word.isalpha():
        return None
    if any(word in vocabulary for vocabulary in vocabularies) and (live is None or live(word) is not None):
        return None
    best, seen = None, set()
    for vocabulary in vocabularies:
        for candidate in vocabulary.candidates(word, limit):
            if candidate in seen:
                continue
            seen.add(candidate)
            if within(word, candidate, limit):
                frequency = live(candidate) if live else sum(v.frequency(candidate) for v in vocabularies)
                if frequency is None:
                    continue
                key = (distance(word, candidate), -frequency, candidate)
                if best is None or key < best:
                    best = key
    return best[2] if best else None
