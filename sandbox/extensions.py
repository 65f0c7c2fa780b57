"""Registered extensions, as DataWorks' Open Platform keeps them: what ``GetExtension`` answers.

A record has the documented ``GetExtension`` fields: ``ExtensionCode``, ``ExtensionName``, ``ExtensionDesc``,
``DetailUrl`` (the "View Details" address), ``HelpDocUrl`` (the "View Documentation" address), ``Status``
(0 testing, 1 publishing, 3 disabled, 4 processing, 5 approved, 6 approval failed), ``ProjectTesting`` (the
one workspace a testing extension works in), ``ParameterSetting``, ``OptionSetting``, ``BindEventList``
(``EventCode``/``EventName``) and ``EventCategoryList``.

An emulator without a registry (``ExtensionRegistry(None)``, the default) accepts any extension code, as the
tests of the answering path need. With one, a code that was not registered is refused by ``GetExtension``,
``GetOptionValueForProject`` and ``UpdateWorkbenchEventResult`` with 404 ``InvalidExtensionCode.NotFound``:
INFERRED — the documentation names no error for an unknown code; any 4xx that is not about credentials is
read by opsguard the same way.

>>> registry = ExtensionRegistry({})
>>> registry.register("ext-1", detail_url="https://og.example/checks")["DetailUrl"]
'https://og.example/checks'
>>> registry.get("ext-2")
Traceback (most recent call last):
...
sandbox.api_error.ApiError: 404 InvalidExtensionCode.NotFound: The extension ext-2 does not exist.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sandbox.api_error import ApiError

__all__ = ["ExtensionRegistry", "OPERATION_CENTER_EVENTS", "STATUS"]

#: the Operation Center extension points opsguard answers, with the names the console shows
OPERATION_CENTER_EVENTS: Mapping[str, str] = {
    "freeze-node": "Node freeze pre-event", "unfreeze-node": "Node unfreeze pre-event",
    "undeploy-node": "Node undeploy pre-event", "backfill-data": "Data backfill pre-event"}
STATUS = {"testing": 0, "publishing": 1, "disabled": 3, "processing": 4, "approved": 5, "approval-failed": 6}


class ExtensionRegistry:
    """Extension records by code; ``None`` records = every code is known (no registry)."""

    def __init__(self, records: Mapping[str, Mapping] | None = None):
        self._records = None if records is None else {code: dict(r) for code, r in records.items()}

    def register(self, code: str, *, name: str = "opsguard", detail_url: str = "", help_doc_url: str = "",
                 status: int = STATUS["publishing"], events: Iterable[str] = tuple(OPERATION_CENTER_EVENTS),
                 project_testing: int | None = None, parameter_setting: str = "", option_setting: str = "") -> dict:
        """Register (or replace) an extension; turns a registry-less emulator into one that knows only these."""
        record = {"ExtensionCode": code, "ExtensionName": name, "ExtensionDesc": f"{name} (sandbox)",
                  "DetailUrl": detail_url, "HelpDocUrl": help_doc_url, "Status": status,
                  "ProjectTesting": project_testing, "ParameterSetting": parameter_setting,
                  "OptionSetting": option_setting,
                  "BindEventList": [{"EventCode": e, "EventName": OPERATION_CENTER_EVENTS.get(e, e)} for e in events],
                  "EventCategoryList": [{"CategoryCode": "node-change", "CategoryName": "Node change event"}]}
        if self._records is None:
            self._records = {}
        self._records[code] = record
        return dict(record)

    def require(self, code: str) -> None:
        """Raise the API's error when ``code`` is not a registered extension (never without a registry)."""
        if self._records is not None and code not in self._records:
            raise ApiError(404, "InvalidExtensionCode.NotFound", f"The extension {code} does not exist.")

    def get(self, code: str) -> dict:
        """The ``Extension`` object of ``GetExtension``; without a registry, a published record with no URLs."""
        self.require(code)
        if self._records is None:
            return ExtensionRegistry({}).register(code)
        return dict(self._records[code])
