"""The attachments' store (``shared.attachments.AttachmentStore``) on a real store: files in GridFS's own layout."""

import gridfs
import pytest
from pymongo import MongoClient, monitoring

from services.cases.storage import CaseStore
from shared.attachments import CHUNK_BYTES, AttachmentStore
from shared.errors import NotFound
from tests.support.samples import NOW


class Commands(monitoring.CommandListener):
    def __init__(self):
        self.names = []

    def started(self, event):
        self.names.append(event.command_name)

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


@pytest.fixture
def db(database):
    return database("cases", CaseStore)


@pytest.mark.parametrize("size", [10, CHUNK_BYTES, CHUNK_BYTES * 2 + 7], ids=["small", "one chunk", "three chunks"])
def test_a_stored_file_reads_back_whole_through_the_store_and_through_gridfs(db, size):
    data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    store = AttachmentStore(db, prefix="F")
    stored = store.put(data, filename="../fix 1.png", content_type="image/png", uploaded_by="u1", now=NOW, case_id="C1")
    assert stored["attachment_id"].startswith("F")
    assert (stored["size"], stored["filename"], stored["content_type"]) == (size, "fix 1.png", "image/png")
    assert store.read(stored["attachment_id"]) == data
    assert gridfs.GridFS(db, collection="attachments").get(stored["attachment_id"]).read() == data
    meta = store.meta(stored["attachment_id"])
    assert (meta["case_id"], meta["uploaded_by"], meta["size"], meta["content_type"]) == ("C1", "u1", size, "image/png")
    assert [m["attachment_id"] for m in store.metas([stored["attachment_id"], "Fnone"])] == [stored["attachment_id"]]


def test_storing_a_file_reads_nothing(db, mongo_server):
    """Two writes, its chunks and its files document: no unfiltered read, which on the embedded store decodes every
    stored file."""
    listener = Commands()
    client = MongoClient(mongo_server.uri, tz_aware=True, serverSelectionTimeoutMS=20000, event_listeners=[listener])
    try:
        store = AttachmentStore(client[db.name], prefix="F")
        store.put(b"a photo", filename="a.png", content_type="image/png", uploaded_by="u1", now=NOW, case_id="C1")
        store.put(b"another", filename="b.png", content_type="image/png", uploaded_by="u1", now=NOW, case_id="C1")
    finally:
        client.close()
    assert [n for n in listener.names if n not in ("hello", "isMaster", "ping", "endSessions")] == ["insert"] * 4


def test_a_file_never_stored_is_not_found(db):
    with pytest.raises(NotFound):
        AttachmentStore(db, prefix="F").read("Fnone")
