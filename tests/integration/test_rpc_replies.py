"""RPC replies (``shared.bus.SerialisedOnceResponder``): serialised once, and what nameko guaranteed still holds —
an answer arrives whole, an expected error comes back typed, an answer that cannot be serialised comes back as
nameko's ``UnserializableValueError`` and the service goes on serving; publishes find their pool through
``shared.nameko_patches`` (one key per set of options however many calls)."""

import pytest
from nameko.exceptions import IncorrectSignature, RemoteError
from nameko.testing.services import entrypoint_hook

from shared import bus, nameko_patches
from shared.bus import standalone_rpc
from shared.errors import NotFound
from shared.rpc import TimedRpcProxy, rpc

ANSWER = {"case_id": "C1", "description": "垃圾堆积 rubbish pile", "history": [{"n": n} for n in range(50)]}


class Answering:
    name = "answering"

    @rpc
    def answer(self, n: int) -> dict:
        return {**ANSWER, "n": n}

    @rpc
    def refuse(self) -> None:
        raise NotFound.of("case.not_found", case_id="C404")

    @rpc
    def unserialisable(self):
        return {"when": object()}


class Asking:
    name = "asking"
    answering = TimedRpcProxy("answering")

    @rpc
    def ask(self, n: int) -> dict:
        return self.answering.answer(n)


@pytest.fixture
def answering(container_factory, service_config):
    container = container_factory(Answering, service_config)
    container.start()
    return container


def test_an_answer_arrives_whole_however_many_calls(answering, container_factory, service_config):
    asking = container_factory(Asking, service_config)
    asking.start()
    with entrypoint_hook(asking, "ask") as ask:
        assert ask(0) == {**ANSWER, "n": 0}
        keys = len(nameko_patches._keys)
        assert [ask(n)["n"] for n in range(1, 30)] == list(range(1, 30))
    assert len(nameko_patches._keys) == keys, "a publish made a new pool key"


def test_an_expected_error_comes_back_typed(answering, service_config):
    with standalone_rpc(service_config, timeout=10) as proxy, pytest.raises(NotFound) as raised:
        proxy.answering.refuse()
    assert raised.value.reason == "case.not_found"


def test_an_answer_that_cannot_be_serialised_comes_back_as_such_and_the_service_goes_on(answering, service_config):
    with standalone_rpc(service_config, timeout=10) as proxy:
        with pytest.raises(RemoteError) as raised:
            proxy.answering.unserialisable()
        assert raised.value.exc_type == "UnserializableValueError"
        assert proxy.answering.answer(7)["n"] == 7


def test_a_call_that_does_not_fit_the_method_is_refused_each_time(answering, service_config):
    with standalone_rpc(service_config, timeout=10) as proxy:
        for _ in range(2):
            with pytest.raises(IncorrectSignature):
                proxy.answering.answer()
            with pytest.raises(IncorrectSignature):
                proxy.answering.answer(1, 2)
        assert proxy.answering.answer(n=3)["n"] == 3


def test_a_reply_is_published_without_waiting_for_a_confirm(answering, service_config, monkeypatch):
    # the reply's publisher, recorded as it is made, publishing for real
    made = []
    real = bus.publisher

    def recording(amqp_uri, **options):
        made.append(options.get("use_confirms"))
        return real(amqp_uri, **options)

    monkeypatch.setattr(bus, "publisher", recording)
    with standalone_rpc(service_config, timeout=10) as proxy:
        assert proxy.answering.answer(3)["n"] == 3
    assert made == [False]
