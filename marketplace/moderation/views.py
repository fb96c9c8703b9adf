"""HTTP views of the moderation feature."""
from flask import Blueprint

bp = Blueprint("moderation", __name__)
