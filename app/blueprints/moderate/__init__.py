"""Moderation: the queue and the review screen (queue.py), the tools beyond the queue (tools.py), and the merge
of possible duplicates (duplicates.py).

Each adds its routes to the one blueprint of blueprint.py and imports nothing from the others.
"""

from app.blueprints.moderate import duplicates, queue, tools, upstream  # noqa: F401  (their routes register on the blueprint)
from app.blueprints.moderate.blueprint import bp

__all__ = ["bp"]
