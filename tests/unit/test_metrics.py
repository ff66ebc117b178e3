"""Per-service measurements: store commands seen by pymongo's listener, worker times."""

from types import SimpleNamespace

from shared.metrics import StoreCommandMetrics, WorkerTimer, samples


def _value(service, name, **labels):
    return sum(s["value"] for s in samples(service) if s["name"] == name and labels.items() <= s["labels"].items())


def test_store_commands_and_the_documents_they_wrote_are_counted_per_service():
    listener = StoreCommandMetrics("svc-a")
    listener.succeeded(SimpleNamespace(command_name="insert", duration_micros=500, reply={"n": 1}))
    listener.succeeded(SimpleNamespace(command_name="update", duration_micros=1500, reply={"n": 4, "nModified": 3}))
    listener.succeeded(SimpleNamespace(command_name="find", duration_micros=100, reply={}))
    listener.failed(SimpleNamespace(command_name="insert", duration_micros=200))

    assert _value("svc-a", "civicgrid_store_commands_total", command="insert") == 2
    assert _value("svc-a", "civicgrid_store_documents_written_total", command="insert") == 1
    assert _value("svc-a", "civicgrid_store_documents_written_total", command="update") == 3
    assert _value("svc-a", "civicgrid_store_command_seconds_total", command="update") == 0.0015
    assert _value("svc-a", "civicgrid_store_commands_total", command="find") == 1
    assert _value("svc-b", "civicgrid_store_commands_total") == 0, "another service's samples stay apart"


class _Worker(SimpleNamespace):
    __hash__ = object.__hash__  # as nameko's WorkerContext: one key per worker


def test_each_worker_is_timed_under_its_entrypoint():
    timer = WorkerTimer()
    timer.setup()
    worker = _Worker(service_name="svc-c", entrypoint=SimpleNamespace(method_name="on_thing"))
    timer.worker_setup(worker)
    timer.worker_result(worker)
    timer.worker_result(worker)  # a result without a start is not counted twice

    assert _value("svc-c", "civicgrid_worker_seconds_count", entrypoint="on_thing") == 1
    assert _value("svc-c", "civicgrid_worker_seconds_sum", entrypoint="on_thing") > 0
