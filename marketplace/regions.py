"""Indonesia's administrative regions (Kemendagri codes), read once from the shipped CSV.

The data is read-only, so caching it per process shares nothing that must stay in step.
"""
import csv
import os
from functools import lru_cache

REGIONS_CSV = os.path.join(os.path.dirname(__file__), "data", "regions.csv")
HOME_REGENCY = "64.02"  # Kabupaten Kutai Kartanegara


@lru_cache(maxsize=1)
def _names():
    with open(REGIONS_CSV, newline="", encoding="utf-8") as handle:
        return {row["code"]: row["name"] for row in csv.DictReader(handle)}


@lru_cache(maxsize=1)
def _children():
    children = {}
    for code in _names():
        parent = code.rsplit(".", 1)[0] if "." in code else ""
        children.setdefault(parent, []).append(code)
    return children


def name(code):
    """The region's name, or None for an unknown code."""
    return _names().get(code or "")


def children(parent_code):
    """(code, name) pairs directly below a region, sorted by name; '' lists the provinces."""
    codes = _children().get(parent_code, [])
    return sorted(((code, _names()[code]) for code in codes), key=lambda pair: pair[1])


def parent(code):
    """The code one level up ('' for a province)."""
    return code.rsplit(".", 1)[0] if "." in code else ""


def home_districts():
    """The districts (kecamatan) of Kutai Kartanegara."""
    return children(HOME_REGENCY)


def is_home_village(district_code, village_code):
    """True when the village lies in that Kutai Kartanegara district."""
    return (parent(district_code) == HOME_REGENCY and parent(village_code) == district_code
            and name(village_code) is not None)
