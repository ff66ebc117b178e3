"""Every error a person may read has a key in the texts catalogue, with its text in zh-CN and en.

The scan reads every module of the services, the shared code and the gateway: an error
class called with a sentence of its own (``Forbidden("…")``) would reach the Chinese app
in English, so it fails here; an error raised with ``.of(key, …)`` must name a key the
catalogue holds and give every parameter the texts use.
"""

import ast
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.cases.domain.actions import PRECONDITIONS, When
from shared import errors, texts
from shared.rpc import RpcTimedOut

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(p for folder in ("services", "shared", "gateway") for p in (ROOT / folder).rglob("*.py"))
ERROR_CLASSES = {
    name for name, value in vars(errors).items() if isinstance(value, type) and issubclass(value, errors.CivicgridError)
} | {RpcTimedOut.__name__}
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _name(node) -> str | None:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None


def _calls():
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
            if isinstance(node, ast.Call):
                yield path.relative_to(ROOT), node


def _is_text(node) -> bool:
    return isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str))


def test_no_error_is_raised_with_a_sentence_of_its_own():
    own = [
        f"{path}:{node.lineno}"
        for path, node in _calls()
        if _name(node.func) in ERROR_CLASSES and node.args and _is_text(node.args[0])
    ]
    assert own == [], "raise these with .of(key, …) and put their text in shared/texts.json"


def test_every_key_an_error_is_raised_with_has_both_texts_and_its_parameters():
    keyed = [
        (path, node)
        for path, node in _calls()
        if isinstance(node.func, ast.Attribute) and node.func.attr == "of" and _name(node.func.value) in ERROR_CLASSES
    ]
    assert len(keyed) > 50  # the scan sees the raises
    problems = []
    for path, node in keyed:
        key = node.args[0]
        if not isinstance(key, ast.Constant):
            continue  # a key from a table: checked below
        entry = texts.CATALOGUE.get(key.value)
        if entry is None:
            problems.append(f"{path}:{node.lineno}: no text {key.value!r}")
            continue
        given = {k.arg for k in node.keywords}
        for language in texts.LANGUAGES:
            missing = texts.placeholders(entry[language]) - given
            if missing:
                problems.append(f"{path}:{node.lineno}: {key.value} ({language}) needs {sorted(missing)}")
    assert problems == []


def test_the_keys_kept_in_tables_are_in_the_catalogue():
    when = When(datetime.now(UTC), timedelta(days=30))
    keys = {
        missing(when)[0] if callable(missing) else missing for rules in PRECONDITIONS.values() for _, missing in rules
    }
    assert keys <= set(texts.CATALOGUE)


@pytest.mark.parametrize("key", sorted(texts.CATALOGUE))
def test_each_text_is_in_chinese_and_english_naming_no_parameter_the_english_lacks(key):
    entry = texts.CATALOGUE[key]
    assert set(entry) == set(texts.LANGUAGES) and all(entry.values())
    assert texts.placeholders(entry["zh-CN"]) <= texts.placeholders(entry["en"])
    assert _CJK.search(_PLACEHOLDERS.sub("", entry["zh-CN"])), "the Chinese text is not Chinese"
    assert not _CJK.search(entry["en"])


_PLACEHOLDERS = re.compile(r"\{\w+\}")


def test_the_app_has_a_generic_text_in_both_languages_for_every_error_code():
    app = (ROOT / "web" / "src" / "i18n.js").read_text("utf-8")
    codes = {getattr(errors, name).code for name in ERROR_CLASSES - {RpcTimedOut.__name__}} | {RpcTimedOut.code}
    assert [c for c in sorted(codes) if app.count(f"'error.{c}':") != 2] == []


def test_a_text_renders_in_the_readers_language_with_its_words_translated():
    assert texts.render("case.not_visible", {}, "zh-CN") == "你无权查看此案件。"
    assert texts.render("case.not_visible", {}, "en-GB") == "You may not see this case."
    assert texts.render("note.escalated", {"rung": 2, "rung_name": "overdue"}, "zh-CN") == "第2级升级：超时"
    assert texts.render("note.escalated", {"rung": 5, "rung_name": "mayor"}, "en") == "Escalation rung 5: mayor"


def test_an_error_carries_its_key_and_parameters_across_rpc():
    from nameko.exceptions import deserialize, serialize

    error = deserialize(serialize(errors.WrongState.of("case.reopen_too_late", {"x": 1}, days=30)))
    assert isinstance(error, errors.WrongState)
    assert error.reason == "case.reopen_too_late" and set(error.params) == {"days"} and set(error.details) == {"x"}
    assert str(error.params["days"]) == "30"  # (nameko sends numbers in an error's arguments as strings)
    assert error.message.startswith("The case was closed more than 30 days ago")
