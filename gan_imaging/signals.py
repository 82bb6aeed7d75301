"""Signals a shop can listen to.

``rendition_ready(sender=Job, job=Job, renditions=list[Rendition])`` is sent by the worker
after a job succeeded and its rows are committed.
"""

from django.dispatch import Signal

rendition_ready = Signal()
