"""Indonesian text analysis: words, stop words and Sastrawi stems, shared by indexing and queries.

STABLE PATH: Whoosh pickles the analyzer objects into every index's table of contents, so
`marketplace.search.analysis.IndonesianAnalyzer` must stay importable under exactly this name, with
these attributes, for as long as any index built with it exists (a renamed or moved class makes
every existing index unreadable until `flask search reindex`). Add new classes; never rename this one.
"""
import re
import time
import unicodedata

from whoosh.analysis import Analyzer, Token

# Letters and digits of any script; everything else (punctuation, Whoosh query syntax) separates words.
WORD = re.compile(r"[^\W_]+")
# "oleh2" is how Indonesians write the reduplication "oleh-oleh".
_REDUPLICATION = re.compile(r"^([a-z]{3,})2$")

# Function words only. Sastrawi's general-text list (809 words) also drops words buyers search for
# ("besar", "baru", "kecil", "lama", "satu"), so the marketplace keeps its own short list.
STOP_WORDS = frozenset("""
ada adalah agar akan anda antara apa apabila atau bagi bahwa begitu bisa dalam dan dapat dari
demikian dengan di dia hanya harus ini itu jika juga kami kamu karena ke kita lagi maupun mau
merupakan namun nya pada para pula pun saja sangat saya secara sedang sehingga sejak selama
serta setiap sudah tapi telah tersebut tetapi tiap untuk yaitu yakni yang
""".split())

STEM_CACHE_LIMIT = 200_000
_stemmer = None
_stems = {}
# Cost accounting, read by the benchmark: how many words reached Sastrawi and what they cost.
STEM_STATS = {"misses": 0, "seconds": 0.0}


def _sastrawi():
    global _stemmer
    if _stemmer is None:
        from Sastrawi.Dictionary.ArrayDictionary import ArrayDictionary
        from Sastrawi.Stemmer.Stemmer import Stemmer
        from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

        # The bare stemmer: the factory's CachedStemmer caches whole texts without bound.
        _stemmer = Stemmer(ArrayDictionary(StemmerFactory().get_words()))
    return _stemmer


def stem(word):
    """The Sastrawi stem of one lower-case word, cached per process (Sastrawi costs ~0.3 ms a word)."""
    cached = _stems.get(word)
    if cached is not None:
        return cached
    if not word.isalpha() or len(word) <= 3:
        result = word
    else:
        started = time.perf_counter()
        result = _sastrawi().stem_word(word) or word
        STEM_STATS["misses"] += 1
        STEM_STATS["seconds"] += time.perf_counter() - started
    if len(_stems) >= STEM_CACHE_LIMIT:
        _stems.clear()
    _stems[word] = result
    return result


def _normalise(text):
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return text.lower()


def tokens(text):
    """The lower-case words of a text, stop words included, in order."""
    text = text or ""
    found = WORD.findall(_normalise(text))
    if "2" in text:
        found = [_undouble(word) if word[-1] == "2" else word for word in found]
    return found


def _undouble(word):
    reduplicated = _REDUPLICATION.match(word)
    return reduplicated.group(1) if reduplicated else word


def words(text):
    """The searchable words of a text: lower-case, stop words removed."""
    return [word for word in tokens(text) if word not in STOP_WORDS]


class IndonesianAnalyzer(Analyzer):
    """Lower-case words without stop words; with stemming=True, only the Sastrawi stems that differ
    from their word ("olahan" -> "olah"; "madu" yields nothing).

    A word that is already its own stem is found through the exact field, so the stemmed field holds
    only what the exact field cannot answer: half the postings, half the indexing time. One class
    instead of a Whoosh filter chain because every chained generator costs time per word.
    Character offsets are not recorded (the search does not highlight).
    """

    def __init__(self, stemming=False):
        self.stemming = stemming

    def __repr__(self):
        return f"IndonesianAnalyzer(stemming={self.stemming!r})"

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pos = start_pos
        for word in tokens(value):
            if word in STOP_WORDS:
                continue
            pos += 1
            text = word
            if self.stemming:
                text = stem(word)
                if text == word:
                    continue
            token.text = text
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = word
            if positions:
                token.pos = pos - 1
            yield token


def index_terms(text):
    """(exact words, stems that differ from their word) of a text, as the index stores them.

    Indexing passes these lists straight to Whoosh (lists bypass the field's analyzer), so each word
    is split and stemmed once instead of once per field; the terms equal what the analyzer yields.
    """
    exact = set(words(text))
    stems = set()
    for word in exact:
        stemmed = stem(word)
        if stemmed != word:
            stems.add(stemmed)
    return sorted(exact), sorted(stems)
