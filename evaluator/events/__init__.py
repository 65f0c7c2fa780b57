"""DataWorks event messages (CloudEvents envelopes, or a bare `data` object) → typed, frozen events.

`parse_event` returns a `NodeOperation`, `Backfill`, `NodeChanged` or `Ignored`, or raises one of:

    EventParseError (ValueError)    every message names the field and what was wrong
    ├── MalformedEvent              not JSON, not UTF-8, not a JSON object
    ├── MissingField                a required field is absent or null
    ├── WrongType                   a field has the wrong JSON type
    └── InvalidValue                right type, impossible value (bad date, begin > end, empty list)

Field names and semantics: REFERENCE.md §1. Unknown fields are kept (`extra`), never dropped.
Modules: `_model` (the event types), `_parse` (envelope and dispatch), `_fields` (typed field readers),
`_errors`.
"""

from __future__ import annotations

from evaluator.events._errors import EventParseError, InvalidValue, MalformedEvent, MissingField, WrongType
from evaluator.events._model import Backfill, Envelope, Event, EventCode, Ignored, NodeChanged, NodeOperation
from evaluator.events._parse import parse_event

__all__ = ["EventCode", "Envelope", "NodeOperation", "Backfill", "NodeChanged", "Ignored", "Event",
           "parse_event", "EventParseError", "MalformedEvent", "MissingField", "WrongType", "InvalidValue"]

for _name in __all__:  # public names belong to the package (as in tracebacks and doctests)
    if _name != "Event":
        globals()[_name].__module__ = __name__
