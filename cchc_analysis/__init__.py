"""cchc_analysis: check and consolidate the periodic CCHC reports of a district's departments.

The package computes; the notebooks under ``notebooks/`` narrate. Rooms, in the order of the flow:
``catalogue`` (what is asked), ``ingest`` (what was sent), ``checks`` (what is wrong), ``history``
(what changed), ``outputs`` (what people see), ``run`` (how a period is driven).
"""

__version__ = "0.1.0"
