"""The query engine over one Whoosh segment: matching with set algebra, ranking by field weights.

Why not Whoosh's searcher: it scores document by document through nested Python matcher objects
(p95 of 820 ms at 100,000 listings, measured); the engine below reads each posting list once as a set
and does the rest with set operations that run in C.

Ranking: a word scores the weight of its best field (title > shop, category and district names >
description; an exact word above one that only shares its stem), scaled by how rare the word is
(idf); a synonym or a completion of an unfinished word scores a little less than the buyer's own
word, and a part of the query scores its best alternative. Scores take few distinct values, so
documents are handled as groups of equal score (sets, no per-document arithmetic); within the best
groups, fewer title words come first (a closer match), then the newest listing.
"""
import heapq
from collections import Counter

from ..analysis import stem
from ..backend import FIELD_WEIGHTS, Alternative, idf  # noqa: F401  (shared by every engine)
from .index import TEXT_FIELDS

FACET_SET_LIMIT = 64        # up to this many distinct values, facets count by set intersections


def intersect(sets):
    """The intersection of sets (smallest first), or an empty set."""
    sets = sorted(sets, key=len)
    if not sets:
        return set()
    result = set(sets[0])
    for other in sets[1:]:
        if not result:
            break
        result &= other
    return result


class Leaf:
    """One segment during one query: its reader and deletions, its cached data, the terms read so far."""

    def __init__(self, leaf, data):
        self.reader, self.deleted, self.offset, self.data = leaf.reader, leaf.deleted, leaf.offset, data
        self._memo = {}

    def term(self, field, text):
        """Live documents containing the term."""
        key = (field, text)
        docs = self._memo.get(key)
        if docs is None:
            docs = self.data.term(self.reader, field, text)
            docs = self._memo[key] = docs - self.deleted if self.deleted else docs
        return docs

    def word(self, field, word):
        """(documents with the word or a word of the same stem, documents with the exact word)."""
        exact = self.term(field, word)
        root = stem(word)
        morph = exact | self.term(field + "_stem", root)
        if root != word:
            morph |= self.term(field, root)
        return morph, exact

    def live(self):
        """Every live document."""
        return self.data.everything() - self.deleted if self.deleted else self.data.everything()


def match_unit(leaf, unit):
    """Documents matching one alternative of the unit, and what scores them:
    (docs, [(set, weight, slot)], [alternative of each slot]). A slot is one word of an alternative
    (or a whole same-field phrase) and scores its best field."""
    docs, weighted, slots = set(), [], []
    for index, alternative in enumerate(unit):
        if alternative.same_field and len(alternative.words) > 1:
            docs |= _match_together(leaf, alternative, weighted, len(slots))
            slots.append(index)
        else:
            docs |= _match_anywhere(leaf, alternative, weighted, len(slots))
            slots += [index] * len(alternative.words)
    return docs, weighted, slots


def _add(weighted, morph, exact, field, weight, slot):
    exact_weight, stem_weight = FIELD_WEIGHTS[field]
    if len(morph) > len(exact):                # exact is a subset; equal sizes: the same set
        weighted.append((morph, stem_weight * weight, slot))
    if exact:
        weighted.append((exact, exact_weight * weight, slot))


def _match_anywhere(leaf, alternative, weighted, first_slot):
    share = alternative.weight / len(alternative.words)
    per_word, mine = [], []
    for offset, word in enumerate(alternative.words):
        anywhere = set()
        for field in TEXT_FIELDS:
            morph, exact = leaf.word(field, word)
            _add(mine, morph, exact, field, share, first_slot + offset)
            anywhere |= morph
        per_word.append(anywhere)
    found = intersect(per_word)
    if len(per_word) > 1:
        # Only listings with every word earn this alternative's weight.
        mine = [(docs & found, weight, slot) for docs, weight, slot in mine]
    weighted += mine
    return found


def _match_together(leaf, alternative, weighted, slot):
    found = set()
    for field in TEXT_FIELDS:
        pairs = [leaf.word(field, word) for word in alternative.words]
        together = intersect([morph for morph, _ in pairs])
        if together:
            exact = intersect([exact for _, exact in pairs]) & together
            _add(weighted, together, exact, field, alternative.weight, slot)
            found |= together
    return found


def apply_filters(leaf, docs, query):
    """The documents that also pass the query's filters, as a new set: `docs` may be a cached set
    (every live document, for a browse without words) and is never changed."""
    data = leaf.data
    if query.category_ids is not None:
        docs = docs & set().union(*(data.docs_where("category", c) for c in query.category_ids))
    if query.district_codes is not None:
        docs = docs & set().union(*(data.docs_where("district", c) for c in query.district_codes))
    if query.in_stock:
        docs = docs & data.in_stock()
    if query.min_price is not None or query.max_price is not None:
        price = data.columns["price"]
        low = query.min_price if query.min_price is not None else -1
        high = query.max_price if query.max_price is not None else 1 << 62
        docs = {d for d in docs if low <= price[d] <= high}
    return docs


def facets(leaf, docs):
    """(category counts, district counts) of the documents."""
    return _counts(leaf, docs, "category"), _counts(leaf, docs, "district")


def _counts(leaf, docs, column):
    values = leaf.data.values_of(column)
    if len(values) <= FACET_SET_LIMIT:          # a few values: one set intersection each, in C
        counts = Counter()
        for value in values:
            matching = len(docs & leaf.data.docs_where(column, value))
            if matching:
                counts[value] = matching
        return counts
    return Counter(map(leaf.data.columns[column].__getitem__, docs))


def _tiers(scored_sets, docs):
    """`docs` grouped by the best score among the sets holding them: [(score, docs)], best first.
    Each document is peeled off once, by the first (highest) set holding it."""
    remaining, tiers = set(docs), {}
    for score, group in sorted(scored_sets, key=lambda pair: -pair[0]):
        if not remaining:
            break
        inside = remaining & group
        if inside:
            _put(tiers, score, inside)
            remaining -= inside
    if remaining:
        _put(tiers, 0.0, remaining)
    return sorted(tiers.items(), key=lambda pair: -pair[0])


def _put(tiers, score, group):
    key = round(score, 6)
    tiers[key] = tiers[key] | group if key in tiers else group


def _sum(first, second):
    """Two partitions of the same documents combined: scores add up."""
    combined = {}
    for score_a, group_a in first:
        for score_b, group_b in second:
            part = group_a & group_b
            if part:
                _put(combined, score_a + score_b, part)
    return sorted(combined.items(), key=lambda pair: -pair[0])


def _unit_tiers(docs, weighted, slots):
    """One unit's partition of `docs` by score. A slot (a word of an alternative, or a same-field
    phrase) counts its best field; an alternative sums its slots; the unit counts its best alternative,
    so a listing found through a synonym does not also collect half of the buyer's phrase."""
    by_slot = {}
    for matching, weight, slot in weighted:
        by_slot.setdefault(slot, []).append((weight, matching & docs))
    by_alternative = {}
    for slot in by_slot:
        by_alternative.setdefault(slots[slot], []).append(slot)
    candidates = []
    for alternative_slots in by_alternative.values():
        if len(alternative_slots) == 1:        # its best list is its score: no need to split
            candidates += by_slot[alternative_slots[0]]
            continue
        members = set().union(*(group for slot in alternative_slots for _, group in by_slot[slot]))
        partition = None
        for slot in alternative_slots:
            tiers = _tiers(by_slot[slot], members)
            partition = tiers if partition is None else _sum(partition, tiers)
        candidates += partition
    return _tiers(candidates, docs)


def top_by_relevance(leaf, docs, units, count):
    """The best `count` documents as (sort key, doc). `units` holds (weighted sets, slots, idf) per
    unit; a document's score is the sum over units of idf times its unit score. Documents of equal
    score are ordered by the tie-breaker."""
    scored = None
    for weighted, slots, unit_idf in units:
        tiers = [(unit_idf * score, group) for score, group in _unit_tiers(docs, weighted, slots)]
        scored = tiers if scored is None else _sum(scored, tiers)
    tie, found = leaf.data.tie, []
    for score, group in scored or [(0.0, docs)]:
        if len(found) >= count:
            break
        best = heapq.nsmallest(count - len(found), group, key=tie.__getitem__)
        found.extend(((-score, tie[d], d + leaf.offset), d) for d in best)
    return found


def top_by_column(leaf, docs, column, descending, count):
    """The first `count` documents ordered by a column, as (sort key, doc)."""
    values = leaf.data.columns[column]
    pick = heapq.nlargest if descending else heapq.nsmallest
    best = pick(count, docs, key=values.__getitem__)
    sign = -1 if descending else 1
    return [((sign * values[d], d + leaf.offset), d) for d in best]
