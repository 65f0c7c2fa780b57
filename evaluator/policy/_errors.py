"""PolicyError: what is wrong with a policy, and where."""

from __future__ import annotations

class PolicyError(ValueError):
    """A policy file, override or options JSON is wrong; `source`, `line` and `key` say where."""

    def __init__(self, source: str, reason: str, *, key: str | None = None, line: int | None = None):
        self.source, self.reason, self.key, self.line = source, reason, key, line
        where = source + (f":{line}" if line else "")
        super().__init__(f"{where}: {key + ': ' if key else ''}{reason}")

