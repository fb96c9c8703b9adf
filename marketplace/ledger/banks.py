"""The Indonesian banks a payout can go to, with their clearing codes (shipped data: banks.csv)."""
import csv
import os
from functools import cache

HERE = os.path.dirname(os.path.abspath(__file__))


@cache
def banks():
    """{code: name} of every bank, in the file's order."""
    with open(os.path.join(HERE, "banks.csv"), newline="", encoding="utf-8") as handle:
        return {row["code"]: row["name"] for row in csv.DictReader(handle)}


def bank_name(code):
    """The bank's name, or the code itself for a code no longer listed."""
    return banks().get(code, code)


def choices():
    """(code, name) pairs for a form's select, by name."""
    return sorted(banks().items(), key=lambda pair: pair[1].lower())
