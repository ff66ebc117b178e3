"""The deploy step creates every service's collections and indexes before any service starts, once, not in every
replica: on real data an index takes long to build, a rolling update runs a newer replica beside an older one, and on
the embedded store a collection created while another connection holds a transaction open can deadlock the server."""

from deploy.services import service_classes
from shared.mongo import MongoStore, prepare_databases
from tests.support.infra import unique_name


def test_the_launcher_prepares_every_services_collections_and_indexes_before_they_start(mongo_server):
    prefix = unique_name("cgt_prepare") + "_"
    config = {"MONGO_URI": mongo_server.uri, "DB_PREFIX": prefix}
    client = mongo_server.client()
    try:
        assert prepare_databases(config, service_classes()) > 0
        for cls in service_classes():
            for store in (d for d in vars(cls).values() if isinstance(d, MongoStore)):
                db = client[f"{prefix}{cls.name}"]
                for collection, models in store.wanted_indexes().items():
                    names = set(db[collection].index_information())
                    assert {m.document["name"] for m in models} <= names, (cls.name, collection)
    finally:
        for name in client.list_database_names():
            if name.startswith(prefix):
                client.drop_database(name)
        client.close()


def test_an_index_an_earlier_version_made_is_kept_during_the_update_and_dropped_when_told(mongo_server):
    from services.notifications.service import NotificationsService

    prefix = unique_name("cgt_retire") + "_"
    client = mongo_server.client()
    db = client[f"{prefix}notifications"]
    config = {"MONGO_URI": mongo_server.uri, "DB_PREFIX": prefix}
    try:
        db.inbox.create_index("case_id")  # as the version before this one had it
        db.inbox.create_index("read_at")  # made by an operator, not by civicgrid: left alone
        prepare_databases(config, [NotificationsService])
        assert "case_id_1" in set(db.inbox.index_information()), "an older replica may still ask by it"

        prepare_databases(config, [NotificationsService], retire=True)

        names = set(db.inbox.index_information())
        assert "case_id_1" not in names and {"read_at_1", "dedup_key_1", "user_id_1_read_1__id_-1"} <= names
    finally:
        client.drop_database(db.name)
        client.close()
