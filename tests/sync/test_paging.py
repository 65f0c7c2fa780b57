"""The partition plan of `lineage.paging`, driven by an in-memory 'API' that enforces a page limit."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from lineage.errors import PageLimitError
from lineage.paging import Dimension, Partitioner, Query

DIMS = [Dimension("kind", "Kind", closed=("a", "b")), Dimension("owner", "Owner")]


class Api:
    """Rows filtered exactly by `filters`; refuses pages past `max_pages`, as DataWorks does."""

    def __init__(self, rows: Sequence[dict], max_pages: int, page_size: int = 10):
        self.rows, self.max_pages, self.page_size = list(rows), max_pages, page_size
        self.queries: list[Query] = []

    def page(self, query: Query) -> tuple[list[dict], int]:
        assert query.page <= self.max_pages, f"page {query.page} past the limit"
        self.queries.append(query)
        matching = [r for r in self.rows if all(r[field] == v for field, v in
                                                ((d.field, dict(query.filters).get(d.param)) for d in DIMS)
                                                if v is not None)]
        start = (query.page - 1) * self.page_size
        return matching[start:start + self.page_size], len(matching)


def list_everything(api: Api, partitioner: Partitioner, key: object = "ws") -> list[dict]:
    """Run the plan to the end, one query at a time; the rows the plan keeps."""
    kept, todo = [], [partitioner.start(key)]
    while todo:
        query = todo.pop(0)
        rows, total = api.page(query)
        keep, more = partitioner.on_page(query, rows, total)
        kept += rows if keep else []
        todo += more
    return kept


def rows(n: int, kind: str, owner: str, start: int = 0) -> list[dict]:
    return [{"Id": start + i, "Kind": kind, "Owner": owner} for i in range(n)]


def test_a_listing_that_fits_is_paged_without_filters():
    api = Api(rows(25, "a", "u1"), max_pages=3)
    got = list_everything(api, Partitioner(DIMS, max_pages=3, page_size=10))
    assert sorted(r["Id"] for r in got) == list(range(25))
    assert [q.filters for q in api.queries] == [()] * 3


def test_a_listing_past_the_limit_is_split_and_every_row_comes_once():
    data = rows(25, "a", "u1") + rows(25, "a", "u2", 100) + rows(12, "b", "u1", 200)
    api = Api(data, max_pages=3)
    partitioner = Partitioner(DIMS, max_pages=3, page_size=10)
    got = list_everything(api, partitioner)
    assert sorted(r["Id"] for r in got) == sorted(r["Id"] for r in data)
    assert partitioner.partitioned("ws")
    assert {q.filters for q in api.queries} >= {(("kind", "a"), ("owner", "u1")), (("kind", "b"),)}


def test_a_value_not_in_the_first_pages_of_the_split_is_found_by_reading_the_query_itself():
    # page 1 (the only one read before the split) shows u1 alone; u9 and u2 first appear on pages 2-3
    data = rows(10, "a", "u1") + rows(2, "a", "u9", 50) + rows(25, "a", "u2", 100)
    api = Api(data, max_pages=3)
    got = list_everything(api, Partitioner([Dimension("owner", "Owner")], max_pages=3, page_size=10))
    assert sorted(r["Id"] for r in got) == sorted(r["Id"] for r in data)
    asked = [q for q in api.queries]
    assert asked.index(Query("ws", (), 2)) < asked.index(Query("ws", (("owner", "u9"),), 1))


def test_rows_out_of_reach_of_every_filter_raise_in_strict_mode():
    data = rows(30, "a", "u1") + rows(2, "a", "u9", 50)  # u9 only past the 30 rows a query reaches
    with pytest.raises(PageLimitError, match="owner values seen in the first 30 reach only 30") as info:
        list_everything(Api(data, max_pages=3), Partitioner([Dimension("owner", "Owner")], max_pages=3,
                                                            page_size=10))
    assert info.value.total == 32


def test_rows_out_of_reach_are_counted_when_not_strict():
    data = rows(30, "a", "u1") + rows(2, "a", "u9", 50)
    partitioner = Partitioner([Dimension("owner", "Owner")], max_pages=3, page_size=10, strict=False)
    list_everything(Api(data, max_pages=3), partitioner)
    assert partitioner.unreached == {("ws", ()): 2}


def test_a_cell_too_big_for_every_filter_keeps_what_it_reaches_when_not_strict():
    data = rows(45, "a", "u1")
    partitioner = Partitioner(DIMS, max_pages=3, page_size=10, strict=False)
    got = list_everything(Api(data, max_pages=3), partitioner)
    assert len(got) == 30 and partitioner.unreached == {("ws", (("kind", "a"), ("owner", "u1"))): 15}
    with pytest.raises(PageLimitError, match="no filter left"):
        list_everything(Api(data, max_pages=3), Partitioner(DIMS, max_pages=3, page_size=10))
