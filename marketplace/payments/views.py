"""HTTP views of the payments feature."""
from flask import Blueprint

bp = Blueprint("payments", __name__)
