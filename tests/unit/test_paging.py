"""The one paging contract's cursors and pages (shared/paging.py)."""

import base64
from datetime import UTC, datetime, timedelta, timezone

import pytest

from gateway.errors import error_body
from shared import paging, texts
from shared.api.common import PageQuerySchema, PageSchema, page_of
from shared.errors import ValidationFailed
from shared.validation import load_query

MOMENT = datetime(2026, 12, 6, 8, 30, 15, 123000, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        "C01JD0000000000000000000000",
        "1|20261206T083015.123000|C1",
        ["u", "N01"],
        ["2026-12-06T08:30:15.123000+00:00", "C1"],
        "中文",
    ],
)
def test_a_cursor_gives_back_what_it_was_made_of(value):
    cursor = paging.encode(value)
    assert paging.decode(cursor, lambda v: v) == value
    assert "=" not in cursor and "/" not in cursor and "+" not in cursor  # safe in a query string as it is


def test_a_moment_travels_with_its_offset_to_the_microsecond():
    cursor = paging.encode([MOMENT, "C1"])
    assert paging.decode(cursor, paging.moment_and_id) == (MOMENT, "C1")
    beijing = MOMENT.astimezone(timezone(timedelta(hours=8)))
    assert paging.decode(paging.encode([beijing, "C1"]), paging.moment_and_id) == (MOMENT, "C1")


def test_readers_refuse_the_shapes_of_other_lists():
    time_cursor = paging.encode([MOMENT, "C1"])
    text_cursor = paging.encode("C1")
    for cursor, reader in (
        (time_cursor, paging.text),
        (text_cursor, paging.moment_and_id),
        (text_cursor, paging.one_of("u", "r")),
        (paging.encode(["x", "N1"]), paging.one_of("u", "r")),
        (paging.encode(["2026-12-06T08:30:15", "C1"]), paging.moment_and_id),  # no offset
        (paging.encode(["yesterday", "C1"]), paging.moment_and_id),
        (paging.encode([MOMENT, ""]), paging.moment_and_id),
        (paging.encode(""), paging.text),
        (paging.encode(7), paging.text),
        (paging.encode(None), paging.text),
        # nothing a store query could not carry: a lone surrogate, a NUL
        (paging.encode("C\ud800"), paging.text),
        (paging.encode("C\x00"), paging.text),
        (paging.encode([MOMENT, "C\ud800"]), paging.moment_and_id),
        (paging.encode(["u", "N\x00"]), paging.one_of("u", "r")),
    ):
        with pytest.raises(ValidationFailed):
            paging.decode(cursor, reader)


@pytest.mark.parametrize(
    "forged",
    [
        "",
        "!!!",
        "bm90LWEtY3Vyc29y",
        "x" * 5,
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        base64.urlsafe_b64encode(b"[1, 2").decode(),
        "u:N01JD00000000000000000000",
    ],
)
def test_anything_else_is_the_one_error_naming_the_field_with_its_own_text(forged):
    with pytest.raises(ValidationFailed) as refused:
        paging.decode(forged, paging.text)
    error = refused.value
    assert error.reason == paging.REASON == "paging.not_a_cursor"
    assert set(texts.CATALOGUE[error.reason]) == set(texts.LANGUAGES)
    assert list(error.details["fields"]) == [paging.FIELD] == ["cursor"]
    status, body = error_body(error, "X1")
    assert status == 400 and body["reason"] == "paging.not_a_cursor" and "cursor" in body["fields"]


def test_a_reader_that_fails_its_own_way_is_the_same_error():
    def fussy(value):
        raise KeyError(value)

    with pytest.raises(ValidationFailed) as refused:
        paging.decode(paging.encode("C1"), fussy)
    assert refused.value.reason == paging.REASON


def test_a_page_read_with_one_more_says_where_the_next_starts():
    found = [{"_id": f"C{i}"} for i in range(6)]
    answer = paging.page(found, 5, lambda d: d["_id"])
    assert [d["_id"] for d in answer["items"]] == ["C0", "C1", "C2", "C3", "C4"]
    assert paging.decode(answer["next"], paging.text) == "C4"
    assert paging.page(found[:5], 5, lambda d: d["_id"]) == {"items": found[:5], "next": None}
    assert paging.page([], 5, lambda d: d["_id"]) == {"items": [], "next": None}


def test_a_merged_page_may_know_more_follow_without_holding_them():
    found = [{"_id": "C0"}, {"_id": "C1"}]
    assert paging.decode(paging.page(found, 5, lambda d: d["_id"], more=True)["next"], paging.text) == "C1"
    assert paging.page([], 5, lambda d: d["_id"], more=True)["next"] is None  # nothing to continue from


def test_the_query_piece_and_the_answer_envelope():
    assert load_query(PageQuerySchema(), {}) == {"limit": 50, "cursor": None}
    assert load_query(PageQuerySchema(), {"limit": "200", "cursor": "abc"}) == {"limit": 200, "cursor": "abc"}
    for bad in ({"limit": "0"}, {"limit": "201"}, {"cursor": "x" * 501}):
        with pytest.raises(ValidationFailed) as refused:
            load_query(PageQuerySchema(), bad)
        assert set(refused.value.details["fields"]) == set(bad)
    schema = page_of(PageQuerySchema, "ExamplePageSchema")
    assert issubclass(schema, PageSchema) and schema.__name__ == "ExamplePageSchema"
    assert schema().dump({"items": [{"limit": 3}], "next": None}) == {"items": [{"limit": 3}], "next": None}
