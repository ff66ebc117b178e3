"""The figures every department, grid, community, street and category is judged by (docs/domain.md §6). Pure.

    transitions.py  a case's transitions, from its events or from its history
    counters.py     what a case adds to each day's counters, and the difference an event makes
    durations.py    the stages a case went through, and the histogram buckets of their durations
    rates.py        a period's figures for a key, from its summed counters

A case's contribution to the daily counters is derived from its *transitions* —
(kind, version, time, detail) — whether they come from the cases service's events
(the read model) or from a case's own history (the recomputation that checks it):
both go through ``contributions`` and must give the same numbers.

Definitions (per dimension key and period):

- a case is *due* in the period holding its disposal deadline (as last set); due
  cases are also the *dispatched* cases of that period;
- *deferred* (缓办/挂起): due cases that are suspended now;
- 按期结案率 on-time closure rate = closed on time / (due − deferred);
  结案率 closure rate = closed / (due − deferred);
- 返工率 rework rate = cases that failed a check / cases checked at least once;
- 延期率 extension rate = cases given an extension / cases dispatched;
- time per stage — registration and dispatch (report → dispatch), signing for
  (dispatch → accept), disposal (dispatch → resolve), verification (resolve →
  check) — each stage taken counted on the day it ended: mean, and the 90th
  percentile as the upper edge of its histogram bucket (buckets grow by 25%);
- *reported*: cases reported that day (hot spots are the grids with most).

接诉即办, over the public's cases only (reported through Open311, ``source: public``):

- 响应率 response rate = public cases answered (registered, rejected, dispatched,
  merged or cancelled — screened one way or the other) within the response limit
  (``RESPONSE_LIMIT_HOURS`` after the report) / public cases reported; counted on
  the day reported;
- 解决率 resolution rate = public cases closed and not rated 不满意 (their latest
  rating) / public due cases not deferred; counted on the deadline's day, like 结案率;
- 满意率 satisfaction rate = public cases rated 满意 or 基本满意 / public cases rated
  (each case by its latest rating); counted on the day of that rating.
"""

from services.indicators.domain.counters import (
    ANSWERS,
    COUNTS,
    DIMENSIONS,
    OPEN,
    RESPONSE_LIMIT,
    SATISFIED,
    contributions,
    difference,
    local_day,
)
from services.indicators.domain.durations import (
    BUCKET_BASE_S,
    BUCKET_GROWTH,
    STAGES,
    bucket,
    bucket_top,
    p90_hours,
    stage_samples,
)
from services.indicators.domain.rates import add_up, figures, period_days
from services.indicators.domain.transitions import (
    KIND_OF_EVENT,
    transition_from_event,
    transitions_from_event,
    transitions_from_history,
)

__all__ = [
    "ANSWERS",
    "BUCKET_BASE_S",
    "BUCKET_GROWTH",
    "COUNTS",
    "DIMENSIONS",
    "KIND_OF_EVENT",
    "OPEN",
    "RESPONSE_LIMIT",
    "SATISFIED",
    "STAGES",
    "add_up",
    "bucket",
    "bucket_top",
    "contributions",
    "difference",
    "figures",
    "local_day",
    "p90_hours",
    "period_days",
    "stage_samples",
    "transition_from_event",
    "transitions_from_event",
    "transitions_from_history",
]
