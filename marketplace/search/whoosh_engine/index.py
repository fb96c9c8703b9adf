"""The Whoosh index on disk: its schema, its generations, its writers, and one open view per process.

Layout of SEARCH_INDEX_DIR:

    CURRENT            the name of the live index directory (replaced atomically by a rebuild)
    ix-<time>-<rand>/  a Whoosh index; a rebuild writes a new one beside it, then switches CURRENT

Readers follow CURRENT on every search, so a rebuild never interrupts searching. A process keeps its
readers open (IndexHolder) and swaps in what changed.
"""
import fcntl
import math
import os
import shutil
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field

from whoosh import columns, fields, formats, index as whoosh_index
from whoosh.index import TOC
from whoosh.reading import SegmentReader
from whoosh.writing import LockError

from ..analysis import IndonesianAnalyzer
from .codec import SearchCodec

POINTER = "CURRENT"
PREFIX = "ix-"
TEXT_FIELDS = ("title", "meta", "body")   # exact words; "<name>_stem" holds their stems
WRITER_MEMORY_MB = 128


def _text(stemming):
    # Existence postings (no frequencies, no lengths): ranking looks at which fields match, not how often.
    return fields.FieldType(formats.Existence(), IndonesianAnalyzer(stemming=stemming), scorable=False)


def _column(typecode):
    return fields.COLUMN(columns.NumericColumn(typecode))


def make_schema():
    """The fields of a listing in the index."""
    text_fields = {}
    for name in TEXT_FIELDS:
        text_fields[name] = _text(False)
        text_fields[f"{name}_stem"] = _text(True)
    return fields.Schema(
        id=fields.ID(stored=True, unique=True), doc=fields.STORED, **text_fields,
        pid=_column("i"), category=_column("i"), district=_column("i"), price=_column("i"),
        stock=_column("i"), approved=_column("q"), title_words=_column("B"), fingerprint=_column("q"))


def _lock_file(root):
    handle = open(os.path.join(root, ".layout.lock"), "a+")
    fcntl.flock(handle, fcntl.LOCK_EX)
    return handle


def current_name(root):
    """The directory name of the live index, or None when there is none yet."""
    try:
        with open(os.path.join(root, POINTER), encoding="ascii") as handle:
            return handle.read().strip() or None
    except FileNotFoundError:
        return None


def new_generation(root):
    """Create an empty index in a new directory (not live yet); returns (name, index)."""
    # Names sort by creation time to the nanosecond: several generations made in one second keep order.
    now = time.time_ns()
    stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime(now // 1_000_000_000))
    name = f"{PREFIX}{stamp}{now % 1_000_000_000:09d}-{uuid.uuid4().hex[:8]}"
    path = os.path.join(root, name)
    os.makedirs(path)
    return name, whoosh_index.create_in(path, make_schema())


def switch_to(root, name):
    """Make `name` the live index atomically (readers see the old or the new one, never neither)."""
    temporary = os.path.join(root, f".{POINTER}.{uuid.uuid4().hex}")
    with open(temporary, "w", encoding="ascii") as handle:
        handle.write(name + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, os.path.join(root, POINTER))


def remove_old_generations(root, keep=2):
    """Delete index directories other than the live one and the newest `keep` others (a grace period for
    processes still reading them; on POSIX their open files stay readable anyway)."""
    live = current_name(root)
    others = sorted((n for n in os.listdir(root) if n.startswith(PREFIX) and n != live), reverse=True)
    for name in others[keep:]:
        shutil.rmtree(os.path.join(root, name), ignore_errors=True)


def open_live(root):
    """The live index, created empty on first use; returns (name, index)."""
    os.makedirs(root, exist_ok=True)
    name = current_name(root)
    if name is None:
        with _lock_file(root):
            name = current_name(root)
            if name is None:
                name, _ = new_generation(root)
                switch_to(root, name)
    return name, whoosh_index.open_dir(os.path.join(root, name))


@contextmanager
def live_writer(root, timeout=0.0):
    """A writer on the live index; raises LockError when another process holds it after `timeout`.

    The live index is checked again once the lock is held: a rebuild may have switched CURRENT while
    we waited, and a change written into a retired index would be lost.
    """
    while True:
        name, ix = open_live(root)
        writer = ix.writer(codec=SearchCodec(), timeout=timeout, limitmb=WRITER_MEMORY_MB)
        if current_name(root) == name:
            break
        writer.cancel()
    try:
        yield writer
    except BaseException:
        if not writer.is_closed:
            writer.cancel()
        raise
    else:
        if not writer.is_closed:
            writer.cancel()


def merge_tiers(writer, segments):
    """Merge policy: segments are grouped in tiers by size (1-9, 10-99, 100-999 documents); a tier
    holding 10 segments is merged into one. Whoosh's default policy sometimes merges large segments,
    a commit of several seconds; here a merge rewrites at most ~10,000 documents, and segments of 1,000
    documents and more (a rebuild writes one big one) are never rewritten by an ordinary commit."""
    from whoosh.reading import SegmentReader

    tiers = {}
    for segment in segments:
        live = segment.doc_count()
        if live < 1000:
            tiers.setdefault(int(math.log10(max(live, 1))), []).append(segment)
    merged = set()
    for group in tiers.values():
        if len(group) >= 10:
            for segment in group:
                reader = SegmentReader(writer.storage, writer.schema, segment)
                writer.add_reader(reader)
                reader.close()
                merged.add(segment.segment_id())
    return [segment for segment in segments if segment.segment_id() not in merged]


@dataclass
class Leaf:
    """One segment as a search sees it: its reader, its deletions now, its first document number."""

    reader: object
    deleted: frozenset
    offset: int

    @property
    def segment_id(self):
        """The segment's name (stable for the segment's life; its deletions are not)."""
        return self.reader.segment().segment_id()


@dataclass
class Snapshot:
    """One generation of the live index."""

    generation: int
    leaves: list
    doc_count: int
    answers: dict = field(default_factory=dict)  # searches answered from this generation (search.service)


class IndexHolder:
    """One process's view of the live index, kept open and refreshed when the index changes.

    Opening the readers of 100,000 listings costs ~90 ms, so a segment's reader is kept for as long
    as the segment exists. This replaces Whoosh's Searcher.refresh(): Whoosh-Reloaded 2.7.5 reuses a
    reader by segment name and keeps the deletions it had when opened (an updated listing then shows
    twice), and adds segments that a merge has retired back into the new reader. Here readers are
    reused for their (immutable) files, and deletions always come from the newest table of contents.
    Whoosh readers share file positions, so one thread at a time searches (the work is CPU-bound).
    """

    def __init__(self, root):
        self.root = root
        self.lock = threading.RLock()
        self._pid = os.getpid()
        self._name = self._ix = self._snapshot = None
        self._readers = {}
        # Per-segment data built from immutable segment files, kept while the segment is live.
        self.segments = {}
        self.vocabularies = {}

    @contextmanager
    def snapshot(self):
        """The newest generation of the live index, held exclusively for the duration of the block."""
        with self.lock:
            yield self._fresh()

    def _fresh(self):
        if self._pid != os.getpid():           # forked: never share open files with the parent
            self.__init__(self.root)
        name = current_name(self.root)
        if self._ix is None or name != self._name:
            self._close_readers(keep=())
            self._name, self._ix = open_live(self.root)
            self._snapshot = None
        if self._snapshot is None or self._snapshot.generation != self._ix.latest_generation():
            self._snapshot = self._read_snapshot()
        return self._snapshot

    def _read_snapshot(self):
        for attempt in range(10):
            try:
                toc = TOC.read(self._ix.storage, self._ix.indexname)
                return self._open(toc)
            except OSError:
                # A writer removed a merged segment's files between our reading the table of contents
                # and opening them: read the newer table of contents (Whoosh's reader() does the same).
                if attempt == 9:
                    raise
                time.sleep(0.05)

    def _open(self, toc):
        leaves, offset, live = [], 0, 0
        for segment in toc.segments:
            reader = self._readers.get(segment.segment_id())
            if reader is None:
                reader = SegmentReader(self._ix.storage, toc.schema, segment, generation=toc.generation)
                self._readers[segment.segment_id()] = reader
            deleted = frozenset(segment.deleted_docs())
            leaves.append(Leaf(reader, deleted, offset))
            offset += segment.doc_count_all()
            live += segment.doc_count_all() - len(deleted)
        self._close_readers(keep={segment.segment_id() for segment in toc.segments})
        return Snapshot(toc.generation, leaves, live)

    def _close_readers(self, keep):
        for segment_id in list(self._readers):
            if segment_id not in keep:
                self._readers.pop(segment_id).close()
                self.segments.pop(segment_id, None)
                self.vocabularies.pop(segment_id, None)


def holder_for(app):
    """The app's index holder in this process (created on first use)."""
    state = app.extensions.setdefault("pasar_search", {})
    root = app.config["SEARCH_INDEX_DIR"]
    holder = state.get("holder")
    if holder is None or holder.root != root:
        holder = state["holder"] = IndexHolder(root)
    return holder


__all__ = ["LockError", "IndexHolder", "holder_for", "live_writer", "make_schema", "merge_tiers",
           "new_generation", "open_live", "remove_old_generations", "switch_to", "current_name"]
