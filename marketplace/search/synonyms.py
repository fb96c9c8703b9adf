"""The synonym list (synonyms.txt): reading it and finding its phrases in a query."""
import logging
import os
from dataclasses import dataclass

from .analysis import words

DEFAULT_PATH = os.path.join(os.path.dirname(__file__), "synonyms.txt")
ENGLISH_PATH = os.path.join(os.path.dirname(__file__), "english.txt")   # English names -> Indonesian
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Synonyms:
    """Groups of equivalent phrases; each phrase is a tuple of analysed words."""

    groups: tuple = ()

    def __post_init__(self):
        index = {}
        for group in self.groups:
            for phrase in group:
                index.setdefault(phrase, set()).update(other for other in group if other != phrase)
        object.__setattr__(self, "_others", {phrase: tuple(sorted(others)) for phrase, others in index.items()})
        object.__setattr__(self, "_longest", max((len(p) for p in index), default=0))

    def others(self, phrase):
        """The phrases that mean the same as `phrase` (a tuple of words), or ()."""
        return self._others.get(tuple(phrase), ())

    def split(self, query_words):
        """The query as a list of phrases: the longest synonym phrases found, single words elsewhere."""
        phrases, i = [], 0
        while i < len(query_words):
            for size in range(min(self._longest, len(query_words) - i), 0, -1):
                candidate = tuple(query_words[i:i + size])
                if size == 1 or candidate in self._others:
                    phrases.append(candidate)
                    i += size
                    break
        return phrases

    def vocabulary(self):
        """Every word of every phrase (spelling correction may correct towards them)."""
        return {word for phrase in self._others for word in phrase}


def parse(text):
    """Synonyms from the text of a synonym file; malformed lines are logged and skipped."""
    groups = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        members = []
        for part in line.split("="):
            phrase = tuple(words(part))
            if phrase and phrase not in members:
                members.append(phrase)
        if "=" not in line or len(members) < 2:
            log.warning("synonyms line %d skipped: needs two or more members separated by '='", number)
            continue
        groups.append(tuple(members))
    return Synonyms(tuple(groups))


_loaded = {}


def load(path=None):
    """The synonyms of the file at `path` (the shipped list by default), re-read when the file changes."""
    path = path or DEFAULT_PATH
    try:
        stamp = os.stat(path).st_mtime_ns
    except OSError:
        log.warning("synonym file %s not found; searching without synonyms", path)
        return Synonyms()
    cached = _loaded.get(path)
    if cached and cached[0] == stamp:
        return cached[1]
    with open(path, encoding="utf-8") as handle:
        synonyms = parse(handle.read())
    _loaded[path] = (stamp, synonyms)
    return synonyms


_merged = {}


def load_all(path=None, english_path=None):
    """The synonyms and the English vocabulary together, as one list of groups (rebuilt when a file changes)."""
    own, english = load(path), load(english_path or ENGLISH_PATH)
    cached = _merged.get("last")
    if cached and cached[0] is own and cached[1] is english:
        return cached[2]
    merged = Synonyms(own.groups + english.groups)
    _merged["last"] = (own, english, merged)
    return merged
