"""The project's SQL, kept as `.sql` files and loaded by name.

Every statement with user input in it is parameterized (`?`, `$1` or `:name`); nothing here is
ever built with string formatting.

The state store speaks two dialects (SQLite, PostgreSQL). A query is written once, in `<name>.sql`;
where PostgreSQL needs other words, `<name>.postgres.sql` holds its version of that one query, so every
dialect difference is one small file beside the common one.

>>> "CREATE TABLE nodes" in load("schema")
True
>>> "SKIP LOCKED" in load("store_claim", dialect="postgres"), "SKIP LOCKED" in load("store_claim")
(True, False)
"""

from __future__ import annotations

from functools import cache
from importlib import resources

__all__ = ["load", "names", "UnknownQueryError"]


class UnknownQueryError(LookupError):
    """No `sql/<name>.sql` file ships with the package."""


@cache
def load(name: str, dialect: str | None = None) -> str:
    """Text of `sql/<name>.<dialect>.sql` when that exists, else `sql/<name>.sql`; raises
    `UnknownQueryError` naming the file when neither does."""
    root = resources.files(__name__)
    if dialect:
        special = root.joinpath(f"{name}.{dialect}.sql")
        if special.is_file():
            return special.read_text(encoding="utf-8")
    resource = root.joinpath(f"{name}.sql")
    if not resource.is_file():
        raise UnknownQueryError(f"no SQL file named {name}.sql in the opsguard package")
    return resource.read_text(encoding="utf-8")


def names(prefix: str) -> list[str]:
    """The query names starting with `prefix`, sorted (dialect variants not listed separately).

    >>> names("store_migration_")[0]
    'store_migration_0001'
    """
    found = {p.name.split(".", 1)[0] for p in resources.files(__name__).iterdir()
             if p.name.startswith(prefix) and p.name.endswith(".sql")}
    return sorted(found)
