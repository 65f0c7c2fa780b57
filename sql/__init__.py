"""The project's SQL, kept as `.sql` files and loaded by name.

Every statement with user input in it is parameterized (`?` or `$name`); nothing here is
ever built with string formatting.

>>> "CREATE TABLE nodes" in load("schema")
True
"""

from __future__ import annotations

from functools import cache
from importlib import resources

__all__ = ["load", "UnknownQueryError"]


class UnknownQueryError(LookupError):
    """No `sql/<name>.sql` file ships with the package."""


@cache
def load(name: str) -> str:
    """Text of `sql/<name>.sql`; raises `UnknownQueryError` naming the file when it is missing."""
    resource = resources.files(__name__).joinpath(f"{name}.sql")
    if not resource.is_file():
        raise UnknownQueryError(f"no SQL file named {name}.sql in the opsguard package")
    return resource.read_text(encoding="utf-8")
