"""Reporting's rules: a report taken in, placed, checked and compared. Pure: no I/O, time passed in.

intake.py      a staff report accepted: retries recognised, the report document and its event
attributes.py  a category's extra fields checked
placing.py     a report's grid from its coordinates, or checked against them
addressing.py  a public report given only an address, placed by the grid map's names
duplicates.py  open cases near a new report, of the same category
public.py      what differs for a report from the public (Open311)
notices.py     telling the public what became of their report, and the link to rate it
"""

from services.reporting.domain.intake import accept_report, check_category, dedup_key, fingerprint, replay_key

__all__ = ["accept_report", "check_category", "dedup_key", "fingerprint", "replay_key"]
