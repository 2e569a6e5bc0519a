"""Events → read-model changes. Pure: no I/O, no clock; the same events always give the same changes.

Every projected event becomes an `AggregateChange`: field values of one aggregate, stamped with the event's
`aggregate_version`. The store applies them with these semantics, which make duplicates, redeliveries and
out-of-order arrival harmless:
- an aggregate counts once in its kind's total (`total(kind)`) the first time any event of it is seen;
- each field is last-writer-wins by version, per field: an older event never overwrites a newer value, and a
  late early event still contributes the fields no later event set;
- for a counted field, the counter `counter(kind, field, value)` follows the aggregate's current value;
- a day counter (`DayCounter`) follows a pure function of the aggregate's current fields.

`vocabulary` names what is written and read, `engine` registers and merges, and one module per producer
(`installations`, `ratings`, `credits`, `commerce`) holds its events' projections, registered on import here.
"""

from __future__ import annotations

from kpi_projector.projections import commerce, credits, installations, ratings
from kpi_projector.projections.engine import AggregateChange, project, project_all

__all__ = ["AggregateChange", "commerce", "credits", "installations", "project", "project_all", "ratings"]
