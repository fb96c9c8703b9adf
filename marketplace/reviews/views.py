"""Writing, answering and hiding reviews."""
from flask import Blueprint

bp = Blueprint("reviews", __name__)
