"""HTTP views of the orders feature."""
from flask import Blueprint

bp = Blueprint("orders", __name__)
