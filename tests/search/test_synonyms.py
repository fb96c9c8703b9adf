"""The synonym file: its format, both directions, phrases, and the shipped list."""
import logging
import os

from marketplace.search import synonyms


def test_parse_groups_phrases_and_skips_comments_and_bad_lines(caplog):
    text = "# comment\n\nAmplang = Kerupuk  Ikan\ngula aren = gula merah = gula semut\nno equals sign\n= lonely\n"
    with caplog.at_level(logging.WARNING):
        parsed = synonyms.parse(text)
    assert parsed.others(("amplang",)) == (("kerupuk", "ikan"),)
    assert parsed.others(("kerupuk", "ikan")) == (("amplang",),)
    assert set(parsed.others(("gula", "merah"))) == {("gula", "aren"), ("gula", "semut")}
    assert parsed.others(("madu",)) == ()
    assert "line 5" in caplog.text and "line 6" in caplog.text


def test_split_finds_the_longest_phrases():
    parsed = synonyms.parse("madu kelulut = madu trigona\nkelulut = trigona\ngula aren = gula merah")
    assert parsed.split(["gula", "aren", "madu", "kelulut", "murah"]) == [
        ("gula", "aren"), ("madu", "kelulut"), ("murah",)]
    assert parsed.split(["kelulut"]) == [("kelulut",)]
    assert parsed.split([]) == []


def test_the_shipped_list_has_the_local_names():
    shipped = synonyms.load()
    assert ("kerupuk", "ikan") in shipped.others(("amplang",))
    assert set(shipped.others(("gula", "aren"))) >= {("gula", "merah"), ("gula", "semut")}
    assert ("madu", "trigona") in shipped.others(("madu", "kelulut"))
    assert ("dodol", "durian") in shipped.others(("lempok",))
    assert ("tenun", "doyo") in shipped.others(("ulap", "doyo"))


def test_an_edited_file_is_read_again(tmp_path):
    path = tmp_path / "synonyms.txt"
    path.write_text("amplang = kerupuk ikan\n", encoding="utf-8")
    assert synonyms.load(str(path)).others(("amplang",)) == (("kerupuk", "ikan"),)
    path.write_text("amplang = kerupuk ikan = keripik ikan\n", encoding="utf-8")
    os.utime(path, ns=(1, 10**18))
    assert len(synonyms.load(str(path)).others(("amplang",))) == 2


def test_a_missing_file_means_no_synonyms(tmp_path):
    assert synonyms.load(str(tmp_path / "nothing.txt")).others(("amplang",)) == ()
