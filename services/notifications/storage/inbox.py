"""People's and departments' inboxes: pages of them, the unread count, marking read.

A person's inbox is their own entries (``user_id``) and, when they belong to one, the entries of a shared inbox (an
audience that is a role, ``audience``: the command centre's, read by every operator; a department's handlers',
``department_handlers:<code>``, read by its handlers), each entry once for everyone in it. Who reads a shared inbox
is decided at read time (the caller's roles and department now, ``audiences.shared_inboxes_of``); what each of them
has read is kept in ``inbox_reads`` (docs/notifications.md, "Shared inboxes"):

- one *mark* per person and shared inbox, ``upto``: everything of that inbox up to this id is read (set by "mark
  all read"), and
- one *read* per entry read on its own after that mark (deleted when the mark moves past it),

so the unread count and a page cost what came after the person's last "mark all read", not the inbox's history.
"""

from datetime import datetime

from services.notifications.domain.audiences import shared_owner
from services.notifications.domain.delivery import INBOX_PREFIX
from services.notifications.storage.indexes import INBOX, INBOX_READS
from services.notifications.storage.pages import by_id, id_of, newest
from shared import paging
from shared.errors import NotFound

UNREAD, READ = "u", "r"  # the two parts a person's inbox is read in, as its cursors name them


def _inbox_place(value) -> tuple[str, str]:
    part, entry_id = paging.one_of(UNREAD, READ)(value)
    return part, id_of(INBOX_PREFIX)(entry_id)


def _shared(audience: str) -> dict:
    # a shared inbox's entries, on the index people's are read by (``audiences.shared_owner``)
    return {"user_id": shared_owner(audience), "read": False}


def _not_for(user_id: str) -> dict:
    # checked on what the index (user_id, read, _id) finds, after its clauses: the members told otherwise when the entry
    # was filed (the actor, those with an entry of their own, those who silenced the kind) never see it
    return {"not_for": {"$ne": user_id}}


def _visible(entry: dict, audience: str, user_id: str) -> bool:
    return entry.get("audience") == audience and user_id not in entry.get("not_for", ())


def _mark_id(audience: str, user_id: str) -> str:
    return f"{audience}:{user_id}"


class ReadState:
    """What one person has read of one shared inbox: ``upto`` (an id, or None) and the entries read after it."""

    def __init__(self, audience: str, upto: str | None, upto_at: datetime | None, reads: dict[str, datetime]):
        self.audience, self.upto, self.upto_at, self.reads = audience, upto, upto_at, reads

    def read_at(self, entry_id: str) -> datetime | None:
        if self.upto is not None and entry_id <= self.upto:
            return self.upto_at
        return self.reads.get(entry_id)


class InboxVerbs:
    """A part of ``NotificationRepository`` (``self.db``): the ``inbox`` collection, filed by ``file``, and the read
    state of shared inboxes (``inbox_reads``)."""

    def department_inbox(self, department: str, limit: int, cursor: str | None) -> dict:
        """A page of a department's shared inbox, newest first (``shared.paging``)."""
        before = paging.decode(cursor, id_of(INBOX_PREFIX)) if cursor else None
        found = newest(self.db[INBOX], {"department": department}, limit + 1, before, prefix=INBOX_PREFIX)
        return paging.page(found, limit, by_id)

    def _read_states(self, user_id: str, shared) -> list[ReadState]:
        """The person's read state of each shared inbox they read now: one indexed read of all their marks."""
        if not shared:
            return []
        marks = list(self.db[INBOX_READS].find({"user_id": user_id}))
        states = []
        for audience in shared:
            upto = next((m for m in marks if m.get("audience") == audience and "upto" in m), None)
            reads = {m["entry_id"]: m["read_at"] for m in marks if m.get("audience") == audience and "entry_id" in m}
            states.append(ReadState(audience, upto and upto["upto"], upto and upto["read_at"], reads))
        return states

    def personal_inbox(self, user_id: str, limit: int, cursor: str | None, shared=()) -> dict:
        """A page of a person's inbox: unread first, then read, newest first in each; the cursor says which part
        and where. ``shared``: the shared inboxes (audiences) the person reads now, whose entries are theirs too,
        read or unread as they have them."""
        part, after = paging.decode(cursor, _inbox_place) if cursor else (UNREAD, None)
        states = self._read_states(user_id, shared)
        items: list[dict] = []
        for tag in (UNREAD, READ):
            if part == READ and tag == UNREAD:
                continue
            before = after if tag == part else None
            room = limit + 1 - len(items)
            query = {"user_id": user_id, "read": tag == READ}
            found = newest(self.db[INBOX], query, room, before, prefix=INBOX_PREFIX)
            for state in states:
                found += self._shared_part(state, user_id, tag == READ, room, before)
            # each source gave its newest ``room``: the newest ``room`` of them all are among those
            items += sorted(found, key=by_id, reverse=True)[:room]
            if len(items) > limit:
                break
        return paging.page(items, limit, lambda entry: [READ if entry["read"] else UNREAD, entry["_id"]])

    def _shared_part(self, state: ReadState, user_id: str, read: bool, room: int, before: str | None) -> list[dict]:
        """Up to ``room`` of a shared inbox's entries the person has (not) read, newest first, older than
        ``before``; each with ``read`` and ``read_at`` as the person has it."""
        query, checked = _shared(state.audience), _not_for(user_id)
        if read:
            found = []
            if state.upto:
                found = newest(
                    self.db[INBOX], query, room, before, prefix=INBOX_PREFIX, upto=state.upto, checked=checked
                )
            singly = sorted((i for i in state.reads if before is None or i < before), reverse=True)[:room]
            if singly:  # ids alone: point lookups
                found += [
                    e
                    for e in self.db[INBOX].find({"_id": {"$in": singly}}, {"_outbox": 0})
                    if _visible(e, state.audience, user_id)
                ]
        else:
            # the entries read one by one are all after ``upto``: read that many more, leave them out
            found = newest(
                self.db[INBOX],
                query,
                room + len(state.reads),
                before,
                prefix=INBOX_PREFIX,
                above=state.upto,
                checked=checked,
            )
            found = [e for e in found if e["_id"] not in state.reads]
        return [{**e, "read": read, "read_at": state.read_at(e["_id"]) if read else None} for e in found]

    def unread_count(self, user_id: str, shared=()) -> int:
        count = self.db[INBOX].count_documents({"user_id": user_id, "read": False})
        for state in self._read_states(user_id, shared):
            count += self._shared_unread(state, user_id)
        return count

    def _shared_unread(self, state: ReadState, user_id: str) -> int:
        after = {"_id": {"$gt": state.upto}} if state.upto else {}
        return self.db[INBOX].count_documents({**_shared(state.audience), **after, **_not_for(user_id)}) - len(
            state.reads
        )

    def mark_read(self, user_id: str, notification_id: str, now: datetime, shared=()) -> None:
        result = self.db[INBOX].update_one(
            {"_id": notification_id, "user_id": user_id}, {"$set": {"read": True, "read_at": now}}
        )
        if result.matched_count == 1:
            return
        entry = self.db[INBOX].find_one({"_id": notification_id}, {"audience": 1, "not_for": 1}) if shared else None
        if entry is None or entry.get("audience") not in shared or not _visible(entry, entry["audience"], user_id):
            raise NotFound.of("notification.not_found", notification_id=notification_id)
        (state,) = self._read_states(user_id, [entry["audience"]])
        if state.read_at(notification_id) is None:
            self.db[INBOX_READS].update_one(
                {"_id": f"{_mark_id(entry['audience'], user_id)}:{notification_id}"},
                {
                    "$setOnInsert": {
                        "user_id": user_id,
                        "audience": entry["audience"],
                        "entry_id": notification_id,
                        "read_at": now,
                    }
                },
                upsert=True,
            )

    def mark_all_read(self, user_id: str, now: datetime, shared=()) -> int:
        marked = (
            self.db[INBOX]
            .update_many({"user_id": user_id, "read": False}, {"$set": {"read": True, "read_at": now}})
            .modified_count
        )
        for state in self._read_states(user_id, shared):
            # the newest entry of the shared inbox now: what is filed after it stays unread
            (last,) = newest(self.db[INBOX], _shared(state.audience), 1, None, prefix=INBOX_PREFIX) or [None]
            if last is None or (state.upto is not None and last["_id"] <= state.upto):
                continue
            marked += self._shared_unread(state, user_id)
            self.db[INBOX_READS].update_one(
                {"_id": _mark_id(state.audience, user_id)},
                {"$set": {"user_id": user_id, "audience": state.audience, "upto": last["_id"], "read_at": now}},
                upsert=True,
            )
            # the reads one by one the mark now covers
            self.db[INBOX_READS].delete_many(
                {"user_id": user_id, "entry_id": {"$lte": last["_id"]}, "audience": state.audience}
            )
        return marked
