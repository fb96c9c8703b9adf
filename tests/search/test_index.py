"""The process's view of the index follows updates, deletions, merges and rebuilds."""
from whoosh.writing import NO_MERGE

from marketplace.search.whoosh_engine import index as search_index
from marketplace.search.codec import SearchCodec
from marketplace.search.whoosh_engine.index import IndexHolder


def _write(root, *docs, delete=(), mergetype=NO_MERGE):
    with search_index.live_writer(root) as writer:
        for pid in delete:
            writer.delete_by_term("id", str(pid))
        for pid, word in docs:
            writer.update_document(id=str(pid), title=[word], pid=pid, doc={"pid": pid})
        writer.commit(mergetype=mergetype)


def _visible(holder):
    with holder.snapshot() as snapshot:
        found = []
        for leaf in snapshot.leaves:
            found += [leaf.reader.stored_fields(d)["doc"]["pid"] for d in range(leaf.reader.doc_count_all())
                      if d not in leaf.deleted]
        return sorted(found), snapshot.doc_count


def test_updates_and_deletions_show_in_a_kept_view(tmp_path):
    """Whoosh's own Searcher.refresh() showed an updated document twice; this view must not."""
    root = str(tmp_path)
    holder = IndexHolder(root)
    _write(root, (1, "madu"), (2, "kopi"))
    assert _visible(holder) == ([1, 2], 2)
    _write(root, (1, "madu"))                     # an update deletes the old document in segment 1
    assert _visible(holder) == ([1, 2], 2)
    _write(root, delete=[2])
    assert _visible(holder) == ([1], 1)


def test_merges_retire_segments_from_the_view(tmp_path):
    root = str(tmp_path)
    holder = IndexHolder(root)
    for pid in range(1, 13):                      # 12 one-document segments
        _write(root, (pid, "madu"))
        _visible(holder)
    _write(root, (13, "kopi"), mergetype=search_index.merge_tiers)
    pids, count = _visible(holder)
    assert pids == list(range(1, 14)) and count == 13
    with holder.snapshot() as snapshot:
        assert len(snapshot.leaves) < 13


def test_a_rebuild_switches_every_holder_to_the_new_index(tmp_path):
    root = str(tmp_path)
    holder = IndexHolder(root)
    _write(root, (1, "madu"))
    assert _visible(holder) == ([1], 1)
    name, ix = search_index.new_generation(root)
    writer = ix.writer(codec=SearchCodec())
    writer.add_document(id="7", title=["gula"], pid=7, doc={"pid": 7})
    writer.commit()
    search_index.switch_to(root, name)
    assert _visible(holder) == ([7], 1)
    assert search_index.current_name(root) == name


def test_old_generations_are_removed_but_never_the_live_one(tmp_path):
    root = str(tmp_path)
    search_index.open_live(root)
    names = []
    for _ in range(4):
        name, _ = search_index.new_generation(root)
        names.append(name)
    search_index.switch_to(root, names[0])
    search_index.remove_old_generations(root, keep=1)
    left = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("ix-"))
    assert names[0] in left and len(left) == 2
