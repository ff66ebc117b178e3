"""Departments' webhook endpoints, their signing secrets kept sealed (``services.notifications.secretbox``): these
verbs seal a secret on the way in and open it on the way out, so nothing above them sees the sealed form."""

from datetime import datetime

from pymongo import ASCENDING

from services.notifications.secretbox import SecretBox
from services.notifications.storage.choices import RecentChoices
from services.notifications.storage.indexes import WEBHOOKS
from shared.errors import NotFound


def sealed(secrets: SecretBox, secret: str) -> dict:
    """The stored fields of ``secret``: sealed, and its last four characters to tell it by."""
    return {"secret": secrets.seal(secret), "secret_hint": secret[-4:]}


class WebhookVerbs:
    """A part of ``NotificationRepository`` (``self.db``, ``self.secrets``, ``self.recent``): the ``webhooks``."""

    secrets: SecretBox | None
    recent: RecentChoices

    def _opened(self, endpoint: dict | None) -> dict | None:
        if endpoint is not None and "secret" in endpoint:
            endpoint["secret"] = self.secrets.open(endpoint["secret"])
        return endpoint

    def webhook(self, department: str) -> dict | None:
        return self._opened(self.db[WEBHOOKS].find_one({"_id": department}))

    def webhooks(self) -> list[dict]:
        """Every endpoint, without its secret (its ``secret_hint`` says which it is)."""
        return list(self.db[WEBHOOKS].find({}, {"secret": 0}).sort("_id", ASCENDING))

    def departments_with_webhooks(self, codes: list[str]) -> set[str]:
        def read(missing):
            docs = self.db[WEBHOOKS].find({"_id": {"$in": missing}}, {"active": 1})
            return {d["_id"]: bool(d.get("active", True)) for d in docs}

        return {code for code, active in self.recent.read("webhook", codes, read).items() if active}

    def put_webhook(self, department: str, fields_: dict, secret: str | None, now: datetime) -> tuple[dict, bool]:
        """Create or change a department's endpoint; a new one gets ``secret``. (endpoint, created)."""
        update = {"$set": {**fields_, "updated_at": now}}
        if secret is not None:
            update["$setOnInsert"] = {**sealed(self.secrets, secret), "created_at": now}
        result = self.db[WEBHOOKS].update_one({"_id": department}, update, upsert=True)
        self.recent.forget("webhook", department)
        return self.webhook(department), result.upserted_id is not None

    def set_webhook_secret(self, department: str, secret: str, now: datetime) -> dict:
        if (
            self.db[WEBHOOKS]
            .update_one({"_id": department}, {"$set": {**sealed(self.secrets, secret), "updated_at": now}})
            .matched_count
            != 1
        ):
            raise NotFound.of("webhook.not_found", department=department)
        return self.webhook(department)

    def delete_webhook(self, department: str) -> None:
        self.recent.forget("webhook", department)
        if self.db[WEBHOOKS].delete_one({"_id": department}).deleted_count != 1:
            raise NotFound.of("webhook.not_found", department=department)
