"""tsvector and tsquery text built from the project's own analysis, never from PostgreSQL's parsers.

Snowball's `indonesian` configuration stems `kelulut` to `lulut`; Sastrawi does not. So lexemes are
written out here: a word as itself, its Sastrawi stem (when it differs) as "~stem", each with the
weight of its field. Lexemes are letters and digits only (analysis.tokens), so quoting is plain.
"""
from ..analysis import stem

FIELDS = {"title": "A", "meta": "B", "body": "C"}
STEM = "~"
MAX_POSITION = 16383        # PostgreSQL's largest tsvector position


def _lexeme(text):
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector(fields):
    """A tsvector literal from {field: (exact words, stems)}: every lexeme with its field's weight."""
    parts, position = [], 0
    for name, weight in FIELDS.items():
        exact, stems = fields.get(name, ((), ()))
        for lexeme in [*exact, *(STEM + s for s in stems)]:
            position = min(position + 1, MAX_POSITION)
            parts.append(f"{_lexeme(lexeme)}:{position}{weight}")
    return " ".join(parts)


def morph(word, weights=""):
    """A tsquery matching the word, a word sharing its stem, or its stem, in the given fields (all by
    default): the Whoosh engine's `word()`."""
    root = stem(word)
    lexemes = [word, STEM + root] + ([root] if root != word else [])
    suffix = f":{weights}" if weights else ""
    return "(" + " | ".join(_lexeme(lexeme) + suffix for lexeme in lexemes) + ")"


def exact(word, weights=""):
    """A tsquery matching the exact word in the given fields."""
    return _lexeme(word) + (f":{weights}" if weights else "")


def all_of(parts):
    """The tsquery requiring every part."""
    return "(" + " & ".join(parts) + ")"


def any_of(parts):
    """The tsquery requiring one of the parts."""
    return "(" + " | ".join(parts) + ")"
