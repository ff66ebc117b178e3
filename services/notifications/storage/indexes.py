"""The notifications' collections and the indexes that answer their queries.

Queries never hint an index: on the embedded store (SecantusDB) a hint walks the whole index; its planner takes the
index whose leading fields the query's equalities (then one range) name. ``tests/integration/
test_notification_queries.py`` checks that every query has one.
"""

from pymongo import ASCENDING, DESCENDING, IndexModel

INBOX = "inbox"
INBOX_READS = "inbox_reads"  # who read what of a shared inbox (storage/inbox.py)
DELIVERIES = "deliveries"
SUBSCRIPTIONS = "subscriptions"
PREFERENCES = "preferences"
WEBHOOKS = "webhooks"
FEED = "feed"

# index keys by what they answer
INDEXES = {
    INBOX: {
        "dedup": [("dedup_key", ASCENDING)],
        "department": [("department", ASCENDING), ("_id", DESCENDING)],
        # also the shared inboxes' (the command centre's, each department's handlers'), filed under
        # ``audiences.shared_owner``
        "person": [("user_id", ASCENDING), ("read", ASCENDING), ("_id", DESCENDING)],
        # nothing else: every entry written pays for every index (a dozen entries per report), and nobody asks
        # the inbox by case or correlation id
    },
    INBOX_READS: {
        # a person's marks, read whole (a mark per shared inbox, and the entries read one by one since), and those
        # a "mark all read" covers, deleted
        "person": [("user_id", ASCENDING), ("entry_id", ASCENDING)],
    },
    DELIVERIES: {
        "dedup": [("dedup_key", ASCENDING)],
        "due": [("state", ASCENDING), ("due_at", ASCENDING)],
        "burst": [("recipient_key", ASCENDING), ("channel", ASCENDING), ("created_at", ASCENDING)],
        "recipient": [("recipient_key", ASCENDING), ("_id", DESCENDING)],
        "case": [("case_id", ASCENDING), ("_id", DESCENDING)],
        "digest": [("digest_id", ASCENDING)],
    },
    SUBSCRIPTIONS: {
        "owner": [("user_id", ASCENDING), ("key", ASCENDING)],
        "key": [("key", ASCENDING)],
    },
    FEED: {
        # ``seq`` repeats ``_id``: the store answers a range on ``_id`` by a scan, on an indexed field by the index
        "seq": [("seq", ASCENDING)],
        "event": [("event_id", ASCENDING)],
        "grid": [("grid", ASCENDING), ("seq", ASCENDING)],
        "departments": [("departments", ASCENDING), ("seq", ASCENDING)],
        "reporters": [("reporters", ASCENDING), ("seq", ASCENDING)],
    },
}
UNIQUE = {(INBOX, "dedup"), (DELIVERIES, "dedup"), (SUBSCRIPTIONS, "owner"), (FEED, "event")}
# indexes an earlier version made, which nothing asks by any more (the deploy step drops them)
RETIRED = {INBOX: ("case_id_1", "correlation_id_1")}

MODELS = {
    collection: [
        IndexModel(keys, unique=(collection, name) in UNIQUE, sparse=name == "digest") for name, keys in by_name.items()
    ]
    for collection, by_name in INDEXES.items()
}
