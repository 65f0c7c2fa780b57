"""The store's exceptions, one tree::

    StoreError                  the state store cannot do what was asked
    ├── StoreUnavailable        it cannot be reached or written now (disk full, read-only, database down)
    └── StoreConfigError        `state_url` or the data dir is not something a store can be opened on
"""

from __future__ import annotations

__all__ = ["StoreError", "StoreUnavailable", "StoreConfigError"]


class StoreError(Exception):
    """The state store cannot do what was asked; `str()` says what, in one line, without secrets."""


class StoreUnavailable(StoreError):
    """The store cannot be reached or written right now; a later try may work."""


class StoreConfigError(StoreError):
    """The store's address or location cannot be used at all."""
