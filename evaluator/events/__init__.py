"""DataWorks event messages (CloudEvents envelopes, or a bare `data` object) → typed, frozen events.

`parse_event` returns a `NodeOperation`, `Backfill`, `NodeChanged` or `Ignored`, or raises one of:

    EventParseError (ValueError)    every message names the field and what was wrong (or what to fix)
    ├── MalformedEvent              not JSON, not UTF-8, not a JSON object
    ├── MissingField                a required field is absent or null (the message id: see below)
    ├── WrongType                   a field has the wrong JSON type
    └── InvalidValue                right type, impossible value (bad date, begin > end, empty list,
                                    too long, a number past int64, a lone UTF-16 surrogate)

When an extension-point event names its message id and code but its payload cannot be read, the error
carries `unreadable`, an `Unreadable` event: it must still be answered (`evaluate` gives it the policy's
`on_error` verdict). Without `unreadable` no answer is possible (no readable message id, no readable
code, or not an extension point). `parse_event(..., require_id=True)` (a push) also refuses a bare
`data` object: without the
envelope's `id` there is nothing to answer with. Every field is bounded (`LIMITS`): a message id past
256 characters could not travel in any result call.
Field names and semantics: docs/dataworks.md (extension-point events). Unknown fields are kept (`extra`), never dropped.
Modules: `_model` (the event types), `_parse` (envelope and dispatch), `_fields` (typed field readers),
`_errors`.
"""

from __future__ import annotations

from evaluator.events._errors import EventParseError, InvalidValue, MalformedEvent, MissingField, WrongType
from evaluator.events._fields import LIMITS
from evaluator.events._model import (Backfill, Envelope, Event, EventCode, EventIdentity, Ignored, NodeChanged,
                                     NodeOperation, Unreadable)
from evaluator.events._parse import parse_event

__all__ = ["EventCode", "Envelope", "NodeOperation", "Backfill", "NodeChanged", "Ignored", "Unreadable", "Event",
           "EventIdentity", "parse_event", "EventParseError", "MalformedEvent", "MissingField", "WrongType",
           "InvalidValue", "LIMITS"]

for _name in __all__:  # public names belong to the package (as in tracebacks and doctests)
    if _name not in ("Event", "LIMITS"):
        globals()[_name].__module__ = __name__
