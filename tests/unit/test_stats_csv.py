"""The indicator and hot-spot CSVs: headed in the reader's language when asked (`lang`), by field name for machines
otherwise; an unknown language is refused, naming the field."""

import csv
import io

import pytest

from gateway.routes.stats import CSV_HEADERS, csv_response
from shared.api.stats import HotspotQuerySchema, HotspotSchema, IndicatorRowSchema, StatsQuerySchema
from shared.errors import ValidationFailed
from shared.validation import load

ROWS = [{"key": "justice", "name": "司法所", "reported": 3, "on_time_closure_rate": 0.5, "overdue": 1}]


def _table(response):
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


@pytest.mark.parametrize(
    ("lang", "header"),
    [
        ("zh-CN", ["编号", "名称", "上报", "按期结案率", "超期"]),
        ("en", ["Code", "Name", "Reported", "On-time closure rate", "Overdue"]),
        (None, ["key", "name", "reported", "on_time_closure_rate", "overdue"]),
    ],
)
def test_the_header_is_in_the_language_asked_and_the_rows_are_unchanged(lang, header):
    table = _table(csv_response(ROWS, "department.csv", lang))
    assert table[0] == header
    assert table[1] == ["justice", "司法所", "3", "0.5", "1"]


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_every_column_of_both_tables_has_a_header_in_each_language(lang):
    columns = set(IndicatorRowSchema().fields) | set(HotspotSchema().fields)
    assert columns - set(CSV_HEADERS[lang]) == set()


@pytest.mark.parametrize("schema", [StatsQuerySchema(), HotspotQuerySchema()])
def test_an_unknown_language_is_refused_by_name(schema):
    with pytest.raises(ValidationFailed) as refused:
        load(schema, {"format": "csv", "lang": "fr"})
    assert set(refused.value.details["fields"]) == {"lang"}
    assert load(schema, {"format": "csv", "lang": "en"})["lang"] == "en"
