"""People's and departments' inboxes: pages of them, the unread count, marking read."""

from datetime import datetime

from services.notifications.domain.delivery import INBOX_PREFIX
from services.notifications.storage.indexes import INBOX
from services.notifications.storage.pages import by_id, id_of, newest
from shared import paging
from shared.errors import NotFound

UNREAD, READ = "u", "r"  # the two parts a person's inbox is read in, as its cursors name them


def _inbox_place(value) -> tuple[str, str]:
    part, entry_id = paging.one_of(UNREAD, READ)(value)
    return part, id_of(INBOX_PREFIX)(entry_id)


class InboxVerbs:
    """A part of ``NotificationRepository`` (``self.db``): the ``inbox`` collection, filed by ``file``."""

    def department_inbox(self, department: str, limit: int, cursor: str | None) -> dict:
        """A page of a department's shared inbox, newest first (``shared.paging``)."""
        before = paging.decode(cursor, id_of(INBOX_PREFIX)) if cursor else None
        found = newest(self.db[INBOX], {"department": department}, limit + 1, before, prefix=INBOX_PREFIX)
        return paging.page(found, limit, by_id)

    def personal_inbox(self, user_id: str, limit: int, cursor: str | None) -> dict:
        """A page of a person's inbox: unread first, then read, newest first in each; the cursor says which part
        and where."""
        part, after = paging.decode(cursor, _inbox_place) if cursor else (UNREAD, None)
        items: list[dict] = []
        for tag in (UNREAD, READ):
            if part == READ and tag == UNREAD:
                continue
            before = after if tag == part else None
            query = {"user_id": user_id, "read": tag == READ}
            items += newest(self.db[INBOX], query, limit + 1 - len(items), before, prefix=INBOX_PREFIX)
            if len(items) > limit:
                break
        return paging.page(items, limit, lambda entry: [READ if entry["read"] else UNREAD, entry["_id"]])

    def unread_count(self, user_id: str) -> int:
        return self.db[INBOX].count_documents({"user_id": user_id, "read": False})

    def mark_read(self, user_id: str, notification_id: str, now: datetime) -> None:
        result = self.db[INBOX].update_one(
            {"_id": notification_id, "user_id": user_id}, {"$set": {"read": True, "read_at": now}}
        )
        if result.matched_count != 1:
            raise NotFound.of("notification.not_found", notification_id=notification_id)

    def mark_all_read(self, user_id: str, now: datetime) -> int:
        return (
            self.db[INBOX]
            .update_many({"user_id": user_id, "read": False}, {"$set": {"read": True, "read_at": now}})
            .modified_count
        )
