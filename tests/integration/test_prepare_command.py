"""``python -m deploy.prepare`` says what is wrong and exits 1, whatever stops it."""

from urllib.parse import urlparse

import pytest

from deploy.prepare import main
from tests.support.infra import free_port


@pytest.fixture
def environment(monkeypatch, amqp_uri, mongo_server, db_prefix):
    monkeypatch.setenv("AMQP_URI", amqp_uri)
    monkeypatch.setenv("MONGO_URI", mongo_server.uri)
    monkeypatch.setenv("DB_PREFIX", db_prefix)
    for name in (
        "REPORTING_MONGO_URI",
        "CASES_MONGO_URI",
        "DIRECTORY_MONGO_URI",
        "DISPATCH_MONGO_URI",
        "NOTIFICATIONS_MONGO_URI",
        "INDICATORS_MONGO_URI",
    ):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_a_broker_nobody_answers_at_is_named_not_a_traceback(environment, amqp_uri, capsys):
    parsed = urlparse(amqp_uri)
    environment.setenv("AMQP_URI", f"amqp://guest:guest@127.0.0.1:{free_port()}{parsed.path}")

    assert main([]) == 1

    assert "cannot use the broker named in AMQP_URI" in capsys.readouterr().err


def test_a_store_nobody_answers_at_is_named_not_a_traceback(environment, capsys):
    environment.setenv("MONGO_URI", f"mongodb://127.0.0.1:{free_port()}/?directConnection=true")
    environment.setenv("MONGO_TIMEOUT_MS", "500")

    assert main([]) == 1

    assert "cannot use the store named in MONGO_URI" in capsys.readouterr().err


def test_a_prepared_platform_is_prepared_again_without_change(environment, capsys):
    assert main([]) == 0
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "moved" not in out and "collections prepared" in out
