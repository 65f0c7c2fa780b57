"""Listing every row of a DataWorks list action within its page limits, by partitioning the query.

DataWorks documents PageNumber 1-100 for ListNodes, ListInstances and ListProjects and at most 30 pages
for ListBaselines, with PageSize <= 100: one query reaches at most 10,000 (3,000) rows. A workspace with
more nodes, or a bizdate with more instances, is listed as several queries narrowed by the action's own
request filters (`Dimension`s, tried in order), each small enough to page through:

- a query whose `TotalCount` fits is paged to its end, and only such *leaf* queries hand rows to the
  caller, so rows are never duplicated (the filters are exact matches, so leaves are disjoint);
- a query that does not fit is split by its next dimension, one sub-query per value. The values are the
  ones known in advance (a documented closed set, or the synced nodes' values) plus every value seen in
  rows of that query so far;
- the sub-queries' totals must add up to the query's total. When they fall short, some rows carry a value
  not seen yet: the query's own reachable pages (its first 10,000 rows) are read to discover more values.
  If that finds none, `PageLimitError` says which query cannot be listed exactly: a sync never publishes
  a silently smaller workspace.

INFERRED (undocumented): the filters match exactly (`Owner=u1` does not also return `u10`'s rows) and
`TotalCount` is the size of the filtered result. If sub-queries overlap after all, their totals add up to
more than the whole, which is accepted (rows are keyed by id downstream).

`Partitioner` is the plan only (pure, no I/O): the sync runs the queries it asks for, concurrently.

>>> p = Partitioner([Dimension("scheduler_type", "SchedulerType", closed=("NORMAL", "MANUAL"))], max_pages=2)
>>> first = p.start(215001)
>>> keep, more = p.on_page(first, [{"SchedulerType": "NORMAL"}] * 100, total=250)
>>> keep, [(q.filters, q.page) for q in more]
(False, [((('scheduler_type', 'MANUAL'),), 1), ((('scheduler_type', 'NORMAL'),), 1)])
>>> p.on_page(more[1], [{"SchedulerType": "NORMAL"}] * 100, total=150)
(True, [Query(key=215001, filters=(('scheduler_type', 'NORMAL'),), page=2)])
>>> p.on_page(more[0], [{"SchedulerType": "MANUAL"}] * 100, total=100)
(True, [])
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lineage.errors import PageLimitError

__all__ = ["Dimension", "Query", "Partitioner", "PAGE_SIZE", "MAX_PAGES"]

PAGE_SIZE = 100  # the largest PageSize the list actions accept
#: documented PageNumber ceilings (the ListNodes, ListInstances, ListProjects, ListBaselines and ListProjectMembers
#: pages; ListProjectMembers documents PageNumber 1-30 and PageSize 1-100)
MAX_PAGES = {"ListProjects": 100, "ListNodes": 100, "ListInstances": 100, "ListBaselines": 30,
             "ListProjectMembers": 30}

Filters = tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Dimension:
    """A request filter a listing can be split by: `param` (the SDK request keyword) matches record field
    `field` exactly. `closed` lists values known in advance; `known(key, filters)` adds values known for
    one query (e.g. the program types of the synced nodes of a workspace)."""

    param: str
    field: str
    closed: tuple[Any, ...] = ()
    known: Callable[[Hashable, Mapping[str, Any]], Iterable[Any]] | None = None


@dataclass(frozen=True)
class Query:
    """One page of one (possibly filtered) query of `key` (a workspace id, or (workspace id, bizdate))."""

    key: Hashable
    filters: Filters = ()
    page: int = 1


@dataclass
class _Cell:
    """One query (key + filters): its total, and if it was split, how far its sub-queries have got."""

    total: int = -1
    split: bool = False
    queried: set[Any] = field(default_factory=set)   # values of the split dimension asked for
    waiting: int = 0                                 # sub-queries (or discovery pages) not answered yet
    covered: int = 0                                 # sum of the sub-queries' totals
    discovered: bool = False                         # its own pages were read to find more values


class Partitioner:
    """The queries that list every row of some keys, `max_pages` pages of `page_size` rows at most each."""

    def __init__(self, dimensions: Sequence[Dimension], *, action: str = "ListNodes", max_pages: int | None = None,
                 page_size: int = PAGE_SIZE, strict: bool = True):
        self.dimensions = tuple(dimensions)
        self.strict = strict
        #: non-strict only: rows no query could reach, per (key, filters) — counted instead of raised
        self.unreached: dict[tuple[Hashable, Filters], int] = {}
        self.action = action
        self.max_pages = max_pages if max_pages is not None else MAX_PAGES.get(action, 100)
        self.page_size = page_size
        self._cells: dict[tuple[Hashable, Filters], _Cell] = {}
        self._seen: dict[tuple[Hashable, Filters, str], set[Any]] = {}
        self.queries = 0

    @property
    def max_rows(self) -> int:
        return self.max_pages * self.page_size

    def start(self, key: Hashable) -> Query:
        """The first query of `key`: page 1, unfiltered."""
        self._cells[(key, ())] = _Cell()
        return Query(key)

    def partitioned(self, key: Hashable) -> bool:
        """Did listing `key` need more than one query?"""
        cell = self._cells.get((key, ()))
        return cell is not None and cell.split

    def on_page(self, query: Query, rows: Sequence[Mapping[str, Any]], total: int) -> tuple[bool, list[Query]]:
        """Take one answered page: (are its rows part of the listing?, the queries to run next)."""
        self.queries += 1
        self._see(query, rows)
        cell = self._cells[(query.key, query.filters)]
        if query.page > 1:
            if not cell.split:
                return True, []
            cell.waiting -= 1  # a discovery page
            return False, self._after_discovery(query.key, query.filters, cell) if cell.waiting == 0 else []
        cell.total = int(total)
        follow: list[Query] = []
        if cell.total <= self.max_rows:
            pages = -(-cell.total // self.page_size)
            follow = [Query(query.key, query.filters, page) for page in range(2, pages + 1)]
            keep = True
        else:
            follow = self._split(query.key, query.filters, cell)
            keep = not cell.split  # a query given up on (not strict) keeps the rows it reaches
        if query.filters:
            follow += self._sub_answered(query.key, query.filters[:-1], cell.total)
        return keep, follow

    # -- splitting --------------------------------------------------------------------------------------
    def _split(self, key: Hashable, filters: Filters, cell: _Cell) -> list[Query]:
        depth = len(filters)
        if depth >= len(self.dimensions):
            return self._give_up(key, filters, cell, f"{cell.total:,} rows and no filter left to narrow it by")
        cell.split = True
        return self._ask(key, filters, cell, self._values(key, filters))

    def _values(self, key: Hashable, filters: Filters) -> list[Any]:
        dim = self.dimensions[len(filters)]
        values = set(dim.closed)
        if dim.known is not None:
            values.update(dim.known(key, dict(filters)))
        values.update(self._seen.get((key, filters, dim.field), ()))
        values.discard(None)
        return sorted(values, key=str)

    def _ask(self, key: Hashable, filters: Filters, cell: _Cell, values: Iterable[Any]) -> list[Query]:
        param = self.dimensions[len(filters)].param
        new = [v for v in values if v not in cell.queried]
        cell.queried.update(new)
        cell.waiting += len(new)
        for value in new:
            self._cells[(key, (*filters, (param, value)))] = _Cell()
        return [Query(key, (*filters, (param, value))) for value in new]

    def _sub_answered(self, key: Hashable, parent: Filters, total: int) -> list[Query]:
        cell = self._cells[(key, parent)]
        cell.covered += total
        cell.waiting -= 1
        if cell.waiting > 0 or cell.covered >= cell.total:
            return []
        if not cell.discovered:  # rows with values not seen yet: read the query's own pages for them
            cell.discovered = True
            cell.waiting = self.max_pages - 1
            return [Query(key, parent, page) for page in range(2, self.max_pages + 1)]
        return self._after_discovery(key, parent, cell)

    def _after_discovery(self, key: Hashable, filters: Filters, cell: _Cell) -> list[Query]:
        more = self._ask(key, filters, cell, self._values(key, filters))
        if not more and cell.waiting == 0 and cell.covered < cell.total:
            dim = self.dimensions[len(filters)]
            return self._give_up(key, filters, cell, f"{cell.total:,} rows, but its {dim.param} values seen in the "
                                                     f"first {self.max_rows:,} reach only {cell.covered:,}")
        return more

    def _give_up(self, key: Hashable, filters: Filters, cell: _Cell, why: str) -> list[Query]:
        """Strict: raise. Otherwise count the rows out of reach and page what the query itself reaches."""
        if self.strict:
            raise self._error(key, filters, cell.total, why)
        if not cell.split:  # no dimension left: its first `max_rows` rows are all there is to have
            self.unreached[(key, filters)] = cell.total - self.max_rows
            return [Query(key, filters, page) for page in range(2, self.max_pages + 1)]
        self.unreached[(key, filters)] = cell.total - cell.covered
        return []

    def _see(self, query: Query, rows: Sequence[Mapping[str, Any]]) -> None:
        """Remember each dimension's values in the rows, for this query and every query it narrows."""
        for depth in range(len(query.filters) + 1):
            prefix = query.filters[:depth]
            for dim in self.dimensions[depth:]:
                bucket = self._seen.setdefault((query.key, prefix, dim.field), set())
                bucket.update(row.get(dim.field) for row in rows)

    def _error(self, key: Hashable, filters: Filters, total: int, why: str) -> PageLimitError:
        where = " ".join(f"{p}={v}" for p, v in filters)
        return PageLimitError(
            f"{self.action} of {key}{' with ' + where if where else ''} cannot be listed exactly within "
            f"{self.max_pages} pages of {self.page_size}: {why}. Nothing was published; please report this "
            f"(the workspace needs another way to split its listing)", action=self.action, key=key, total=total)
