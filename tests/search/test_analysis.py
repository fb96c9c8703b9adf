"""Indonesian analysis: words, stop words, Sastrawi stems (cached), and the analyzer Whoosh pickles."""
import pickle

import pytest

from marketplace.search import analysis
from marketplace.search.analysis import IndonesianAnalyzer, index_terms, stem, tokens, words


def test_tokens_are_lower_case_words_and_punctuation_separates():
    assert tokens("Madu KELULUT, asli!") == ["madu", "kelulut", "asli"]
    assert tokens('title:(madu) OR *kopi* ~2 "gula"') == ["title", "madu", "or", "kopi", "2", "gula"]
    assert tokens("!!! ??? ...") == []
    assert tokens("") == [] and tokens(None) == []


def test_reduplication_written_with_2_is_the_word():
    assert tokens("oleh2 khas Kutai") == ["oleh", "khas", "kutai"]
    assert tokens("250ml 2") == ["250ml", "2"]


def test_stop_words_are_dropped_but_product_words_stay():
    assert words("madu yang asli dari hutan untuk anak") == ["madu", "asli", "hutan", "anak"]
    # Sastrawi's general list would drop these; buyers search for them.
    assert words("besar baru kecil lama satu") == ["besar", "baru", "kecil", "lama", "satu"]


def test_full_width_and_accented_text_is_normalised():
    assert tokens("ＭＡＤＵ") == ["madu"]


@pytest.mark.parametrize("word, expected", [
    ("olahan", "olah"), ("mengolah", "olah"), ("olah", "olah"), ("keripiknya", "keripik"),
    ("pengrajin", "rajin"), ("manisan", "manis"), ("minuman", "minum"),
    # Never an English (Porter) stemmer: it cut pembeli to "pemb" and pedas to "peda".
    ("pembeli", "beli"), ("pedas", "pedas"), ("madu", "madu"), ("250ml", "250ml"),
])
def test_sastrawi_stems(word, expected):
    assert stem(word) == expected


def test_stems_are_cached_per_word():
    word = "dikemasnya"
    analysis._stems.pop(word, None)
    before = analysis.STEM_STATS["misses"]
    assert stem(word) == stem(word) == "kemas"
    assert analysis.STEM_STATS["misses"] == before + 1


def test_stemmed_analyzer_yields_only_stems_that_differ():
    exact = [t.text for t in IndonesianAnalyzer()("Olahan madu dan keripiknya")]
    stems = [t.text for t in IndonesianAnalyzer(stemming=True)("Olahan madu dan keripiknya")]
    assert exact == ["olahan", "madu", "keripiknya"]
    assert stems == ["olah", "keripik"]


@pytest.mark.parametrize("text", ["Madu Kelulut Asli 250 ml", "Kami mengolah singkong, pisang dan madunya",
                                  "title:( *** ~", ""])
def test_index_terms_equal_what_the_analyzers_yield(text):
    exact, stems = index_terms(text)
    assert set(exact) == {t.text for t in IndonesianAnalyzer()(text)}
    assert set(stems) == {t.text for t in IndonesianAnalyzer(stemming=True)(text)}


def test_analyzer_pickles_by_its_stable_path():
    """Whoosh stores the analyzer in the index by module path and class name."""
    data = pickle.dumps(IndonesianAnalyzer(stemming=True))
    assert b"marketplace.search.analysis" in data and b"IndonesianAnalyzer" in data
    assert pickle.loads(data) == IndonesianAnalyzer(stemming=True)
    assert pickle.loads(data) != IndonesianAnalyzer(stemming=False)
