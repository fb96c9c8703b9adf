"""Typo correction: optimal string alignment distance (a swap is one edit) against the vocabulary."""
import random

import pytest

from marketplace.search.spelling import Vocabulary, correct, distance, max_edits, within


@pytest.mark.parametrize("a, b, expected", [
    ("madu", "madu", 0), ("mdau", "madu", 1), ("rmabutan", "rambutan", 1), ("kripik", "keripik", 1),
    ("amplan", "amplang", 1), ("kelulutt", "kelulut", 1), ("gula", "gulai", 1), ("kopi", "kipo", 2),
    ("ca", "abc", 3),  # optimal string alignment does not edit a swapped pair again
    ("", "abc", 3),
])
def test_distance(a, b, expected):
    assert distance(a, b) == expected == distance(b, a)


def test_within_agrees_with_distance_on_random_words():
    rng = random.Random(5)
    for _ in range(20_000):
        a = "".join(rng.choice("abcd") for _ in range(rng.randint(0, 7)))
        b = "".join(rng.choice("abcd") for _ in range(rng.randint(0, 7)))
        for limit in (0, 1, 2):
            assert within(a, b, limit) == (distance(a, b) <= limit), (a, b, limit)


@pytest.mark.parametrize("word, edits", [("ke", 0), ("kue", 1), ("madu", 1), ("kelulut", 1), ("kelulutt", 2),
                                         ("pengrajinan", 2)])
def test_edits_allowed_grow_with_length(word, edits):
    assert max_edits(word) == edits


VOCABULARY = [Vocabulary({"madu": 40, "mahu": 1, "kelulut": 12, "amplang": 20, "keripik": 30, "pisang": 25,
                          "rambutan": 6, "durian": 9, "lempok": 3})]


@pytest.mark.parametrize("typed, intended", [
    ("mdau", "madu"), ("madi", "madu"), ("kelulutt", "kelulut"), ("amplan", "amplang"), ("kripik", "keripik"),
    ("rmabutan", "rambutan"), ("nadu", "madu"), ("mdu", "madu"), ("adu", "madu"), ("du", None), ("lempk", "lempok"), ("madu", None),
    ("xyzxyz", None), ("durain", "durian"), ("250ml", None),
    ("tsmbutan", "rambutan"), ("eanbutan", "rambutan"), ("xyrambutan", "rambutan"),
    ("kwlulut", "kelulut"), ("wlulut", None),   # 6 letters: one edit only, and "wlulut" is two away
])
def test_correct(typed, intended):
    assert correct(typed, VOCABULARY) == intended


def test_correct_prefers_the_nearer_then_the_more_frequent_word():
    vocabularies = [Vocabulary({"kopi": 5, "kapi": 50}), Vocabulary({"kopi": 100})]
    assert correct("kopo", vocabularies) == "kopi"      # both one edit away; kopi: 105 listings
    assert correct("kaip", vocabularies) == "kapi"      # a swap (1) beats two substitutions


def _one_edit(word, alphabet):
    """Every word one insertion, deletion, substitution or adjacent swap away from word."""
    found = {word[:i] + c + word[i:] for i in range(len(word) + 1) for c in alphabet}
    found |= {word[:i] + word[i + 1:] for i in range(len(word))}
    found |= {word[:i] + c + word[i + 1:] for i in range(len(word)) for c in alphabet}
    found |= {word[:i] + word[i + 1] + word[i] + word[i + 2:] for i in range(len(word) - 1)}
    return found


def test_candidates_include_every_word_within_reach_wherever_the_edits_fall():
    """The buckets only skip words: every typo of up to two edits (the first two letters included)
    still has its word among the candidates."""
    rng = random.Random(11)
    for alphabet in ("ab", "abcd", "abcdefgh"):
        for _ in range(6):
            word = "".join(rng.choice(alphabet) for _ in range(rng.randint(6, 10)))
            vocabulary = Vocabulary({word: 1})
            typos = set().union(*(_one_edit(once, alphabet) for once in _one_edit(word, alphabet)))
            for typo in typos:
                limit = max_edits(typo)
                if limit and within(typo, word, limit):
                    assert word in set(vocabulary.candidates(typo, limit)), (typo, word)


def test_candidates_skip_most_of_the_vocabulary():
    words = {"".join(random.Random(n).choice("abcdefghijklmnopqrstuvwxyz") for _ in range(8)): 1
             for n in range(5000)}
    vocabulary = Vocabulary({**words, "rambutan": 3})
    found = list(vocabulary.candidates("tsmbutan", 2))
    assert "rambutan" in found and len(found) < len(words) / 4
