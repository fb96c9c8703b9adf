"""What must come first: a table of queries and the listings a buyer expects at the top.

To add a case, append a Case: `first` lists the titles that must fill the top places (in any order
among themselves); `then` lists titles that must also be found, somewhere below all of `first`.
"""
from dataclasses import dataclass, field

import pytest

from .conftest import run_search, sharing_the_catalogue, titles


# The catalogue is built once for the module (tests/search/conftest.py: catalogue_market).
app, world = sharing_the_catalogue()


@pytest.fixture
def search_backend(every_backend):
    """Every case runs against both backends."""
    return every_backend


@dataclass(frozen=True)
class Case:
    query: str
    first: tuple
    then: tuple = field(default=())
    why: str = ""


MADU = ("Madu Kelulut Asli 250 ml", "Madu Trigona Hutan", "Madu Hutan Liar")

CASES = [
    # Stems: Indonesian affixes meet their root word.
    Case("keripiknya", ("Keripik Pisang Manis", "Keripik Singkong Balado"), why="-nya suffix"),
    Case("olah", ("Olahan Ikan Haruan",), ("Keripik Singkong Balado",),
         why="olahan (title) and mengolah (description) share the stem"),
    Case("mengolah", ("Keripik Singkong Balado", "Olahan Ikan Haruan"), why="same stem both ways"),
    Case("manisan", ("Manisan Pala Kering",), ("Keripik Pisang Manis",),
         why="the exact word ranks above a word that only shares its stem (manisan -> manis)"),
    # Title above description.
    Case("madu", MADU, ("Teh Rempah Hangat",), why="madu only in its description ranks below the titles"),
    # Synonyms and local names, both ways; the buyer's own word first.
    Case("madu kelulut", ("Madu Kelulut Asli 250 ml",), ("Madu Trigona Hutan", "Teh Rempah Hangat")),
    Case("madu trigona", ("Madu Trigona Hutan",), ("Madu Kelulut Asli 250 ml",)),
    Case("amplang", ("Amplang Ikan Pipih",), ("Kerupuk Ikan Belida",), why="amplang = kerupuk ikan"),
    Case("kerupuk ikan", ("Kerupuk Ikan Belida",), ("Amplang Ikan Pipih",)),
    Case("gula merah", ("Gula Merah Kelapa",), ("Gula Aren Cetak", "Gula Semut Organik")),
    Case("gula aren", ("Gula Aren Cetak",), ("Gula Merah Kelapa", "Gula Semut Organik")),
    Case("gula semut", ("Gula Semut Organik",), ("Gula Aren Cetak", "Gula Merah Kelapa")),
    Case("lempok", ("Lempok Durian Asli",), ("Dodol Durian Mini",), why="lempok = dodol durian"),
    Case("dodol durian", ("Dodol Durian Mini",), ("Lempok Durian Asli",)),
    Case("ulap doyo", ("Kain Ulap Doyo Motif Naga",), ("Selendang Tenun Doyo",)),
    Case("tenun doyo", ("Selendang Tenun Doyo",), ("Kain Ulap Doyo Motif Naga",)),
    Case("haruan", ("Olahan Ikan Haruan",)),
    Case("ikan gabus", ("Olahan Ikan Haruan",), why="gabus is haruan's Indonesian name"),
    # Typos, including swapped letters.
    Case("madu kelulutt", ("Madu Kelulut Asli 250 ml",)),
    Case("amplan", ("Amplang Ikan Pipih",)),
    Case("kripik pisang", ("Keripik Pisang Manis",)),
    Case("rmabutan", ("Rambutan Binjai",)),
    Case("mdau", MADU),
    Case("lempk durian", ("Lempok Durian Asli",)),
    Case("mdu kelulut", ("Madu Kelulut Asli 250 ml",), why="three-letter words are corrected too"),
    Case("kpi liberika", ("Kopi Liberika Bubuk",)),
    Case("tsmbutan", ("Rambutan Binjai",), why="long word, both first letters mistyped (r->t, a->s)"),
    Case("kuberika", ("Kopi Liberika Bubuk",), why="long word, both first letters mistyped (l->k, i->u)"),
    Case("awlendang doyo", ("Selendang Tenun Doyo",), why="a letter lost at the start and the next mistyped"),
    # Shop names and districts.
    Case("loa kulu", ("Madu Kelulut Asli 250 ml",), why="the shop's district"),
    Case("sumiati", ("Madu Kelulut Asli 250 ml",), why="the shop's name"),
    Case("kota bangun", ("Lempok Durian Asli", "Dodol Durian Mini", "Manisan Pala Kering")),
    Case("madu tabang", ("Madu Trigona Hutan",), why="a word of the title and the district"),
    # Unfinished last word (as typed in the search box).
    Case("kerip", ("Keripik Pisang Manis", "Keripik Singkong Balado")),
    Case("gula se", ("Gula Semut Organik",)),
    # One-word synonyms, other names and spelling variants.
    Case("klanceng", ("Madu Kelulut Asli 250 ml", "Madu Trigona Hutan"), why="klanceng = kelulut = trigona"),
    Case("lempok duren", ("Lempok Durian Asli",), why="duren = durian"),
    Case("liberica", ("Kopi Liberika Bubuk",), why="liberica = liberika"),
    Case("gula enau", ("Gula Aren Cetak", "Gula Merah Kelapa", "Gula Semut Organik")),
    # English words for Indonesian goods (english.txt).
    Case("honey", MADU, ("Teh Rempah Hangat",)),
    Case("palm sugar", ("Gula Aren Cetak",)),
    Case("fish crackers", ("Kerupuk Ikan Belida", "Amplang Ikan Pipih")),
    Case("banana chips", ("Keripik Pisang Manis",)),
    Case("coffee", ("Kopi Liberika Bubuk",)),
    # Category names.
    Case("kerajinan", ("Tas Anyaman Rotan",), why="the parent category of anyaman"),
]


@pytest.mark.parametrize("case", CASES, ids=[case.query for case in CASES])
def test_relevance(world, case):
    found = titles(run_search(case.query))
    top = found[:len(case.first)]
    assert set(top) == set(case.first), f"{case.query!r} ({case.why}) ranked {found}"
    for title in case.then:
        assert title in found[len(case.first):], f"{case.query!r}: {title!r} missing below the top in {found}"
