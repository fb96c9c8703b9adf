"""A SearchQuery as SQL over search_document: one tsquery for matching (GIN index), and a score
expression that follows the Whoosh engine's ranking (engine.py):

- a word scores the weight of its best field, exact above same-stem (FIELD_WEIGHTS);
- an alternative of several words scores only where all its words are found; a same-field phrase
  scores its best field where all its words share that field;
- a unit scores its best alternative, scaled by the unit's idf; a listing sums its units;
- ties: fewer title words, then the newest listing.
"""
from ..backend import FIELD_WEIGHTS
from . import text

FIELD_WEIGHT_LETTERS = {"title": "A", "meta": "B", "body": "C"}


class Params:
    """Bind parameters collected while building SQL text."""

    def __init__(self):
        self.values = {}

    def add(self, value):
        """The placeholder of a new parameter."""
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f":{name}"

    def tsquery(self, query_text):
        """A placeholder cast to tsquery."""
        return f"CAST({self.add(query_text)} AS tsquery)"


def alternative_tsquery(alternative):
    """The tsquery of one alternative: all its words anywhere, or all in one field."""
    if alternative.same_field and len(alternative.words) > 1:
        return text.any_of([text.all_of([text.morph(word, letter) for word in alternative.words])
                            for letter in FIELD_WEIGHT_LETTERS.values()])
    return text.all_of([text.morph(word) for word in alternative.words])


def unit_tsquery(unit):
    """The tsquery of a unit: any of its alternatives."""
    return text.any_of([alternative_tsquery(alternative) for alternative in unit])


def match_tsquery(units, match_any=False):
    """The tsquery every result matches: all units (or any one of them)."""
    parts = [unit_tsquery(unit) for unit in units]
    return text.any_of(parts) if match_any else text.all_of(parts)


def _best_field(params, cases):
    # cases: per field, (exact tsquery, exact weight, morph tsquery, stem weight). The best field's
    # weight is the largest weight whose tsquery matches: one CASE tries them from the largest down and
    # stops at the first match (a title match is decided by one test instead of six).
    tests = sorted(((weight, query_text) for exact_q, exact_w, morph_q, stem_w in cases
                    for query_text, weight in ((exact_q, exact_w), (morph_q, stem_w))),
                   key=lambda test: -test[0])
    whens = " ".join(f"WHEN terms @@ {params.tsquery(query_text)} THEN {weight}" for weight, query_text in tests)
    return f"CASE {whens} ELSE 0 END"


def _word_score(params, word, share, gate=True):
    cases = [(text.exact(word, letter), FIELD_WEIGHTS[name][0] * share,
              text.morph(word, letter), FIELD_WEIGHTS[name][1] * share)
             for name, letter in FIELD_WEIGHT_LETTERS.items()]
    best = _best_field(params, cases)
    if not gate:
        return best
    # A listing without the word (in any field) fails one test instead of the six of the fields: most
    # completions of an unfinished word and most synonyms are absent from a given listing.
    return f"CASE WHEN terms @@ {params.tsquery(text.morph(word))} THEN {best} ELSE 0 END"


def _alternative_score(params, alternative, gate=True):
    if alternative.same_field and len(alternative.words) > 1:
        cases = [(text.all_of([text.exact(word, letter) for word in alternative.words]),
                  FIELD_WEIGHTS[name][0] * alternative.weight,
                  text.all_of([text.morph(word, letter) for word in alternative.words]),
                  FIELD_WEIGHTS[name][1] * alternative.weight)
                 for name, letter in FIELD_WEIGHT_LETTERS.items()]
        return _best_field(params, cases)
    share = alternative.weight / len(alternative.words)
    if len(alternative.words) == 1:
        return _word_score(params, alternative.words[0], share, gate)
    words = " + ".join(_word_score(params, word, share) for word in alternative.words)
    return f"CASE WHEN terms @@ {params.tsquery(alternative_tsquery(alternative))} THEN {words} ELSE 0 END"


def score_sql(params, units, idfs):
    """The relevance score of a row."""
    terms = []
    for unit, unit_idf in zip(units, idfs):
        # The only word of the only unit is in every row found: no need to test for it first.
        gate = len(units) > 1 or len(unit) > 1
        alternatives = [_alternative_score(params, alternative, gate) for alternative in unit]
        best = alternatives[0] if len(alternatives) == 1 else f"GREATEST({', '.join(alternatives)})"
        terms.append(f"{unit_idf!r} * ({best})")
    return " + ".join(terms) or "0"


def filtered(query):
    """True when the query has filters besides its words."""
    return (query.category_ids is not None or query.district_codes is not None or query.in_stock
            or query.min_price is not None or query.max_price is not None)


def where_sql(params, query, units_tsquery):
    """The WHERE clause: the words (when any) and the filters."""
    clauses = []
    if units_tsquery:
        clauses.append(f"terms @@ {params.tsquery(units_tsquery)}")
    if query.category_ids is not None:
        clauses.append(f"category_id IN ({', '.join(str(int(c)) for c in sorted(query.category_ids)) or 'NULL'})")
    if query.district_codes is not None:
        clauses.append(f"district IN ({', '.join(str(int(c)) for c in sorted(query.district_codes)) or 'NULL'})")
    if query.in_stock:
        clauses.append("stock > 0")
    if query.min_price is not None:
        clauses.append(f"price_idr >= {params.add(query.min_price)}")
    if query.max_price is not None:
        clauses.append(f"price_idr <= {params.add(query.max_price)}")
    return " AND ".join(clauses) or "TRUE"


def order_sql(query, score):
    """The ORDER BY clause of the query's sort."""
    if query.sort == "price_asc":
        return "price_idr, product_id"
    if query.sort == "price_desc":
        return "price_idr DESC, product_id"
    if query.sort == "newest" or not query.units:
        return "approved_ms DESC, product_id"
    # Scores rounded as the Whoosh engine's tiers are, so float noise does not break ties.
    return f"round(CAST({score} AS numeric), 6) DESC, title_words, approved_ms DESC, product_id"
