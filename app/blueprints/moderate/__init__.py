"""Moderation: the queue and the review screen (queue.py), and the tools beyond the queue (tools.py).

Both add their routes to the one blueprint of blueprint.py and import nothing from each other.
"""

from app.blueprints.moderate import queue, tools  # noqa: F401  (their routes register on the blueprint)
from app.blueprints.moderate.blueprint import bp

__all__ = ["bp"]
