"""Notifications: inboxes, subscriptions, channel preferences, departments' webhooks, deliveries."""

from gateway.http import api, query_dict, read_json
from shared.api.common import DeletedSchema, PageQuerySchema
from shared.api.notifications import (
    DeliveryPageSchema,
    DeliveryQuerySchema,
    DeliverySchema,
    InboxPageSchema,
    InboxQuerySchema,
    MarkedReadSchema,
    PreferencesSchema,
    PreferencesWriteSchema,
    SubscriptionListSchema,
    SubscriptionSchema,
    SubscriptionWriteSchema,
    UnreadCountSchema,
    WebhookListSchema,
    WebhookSchema,
    WebhookTestedSchema,
    WebhookWithSecretSchema,
    WebhookWriteSchema,
)

TAGS = ["notifications"]


class NotificationsApi:
    # -- inbox -------------------------------------------------------------------------
    @api(
        "GET",
        "/api/v1/notifications",
        summary="Your inbox, unread first (or a department's, newest first)",
        tags=TAGS,
        query=InboxQuerySchema,
        description="Without `department`: your own notifications, the unread ones and then the read ones, "
        "newest first within each. With `department=CODE`: that department's shared inbox (its people; "
        "the command centre and supervision may read any), newest first. Paged: `limit`, `cursor` "
        "and `next`, as every list.",
        responses={200: ("One page of the inbox.", InboxPageSchema)},
    )
    def list_notifications(self, request):
        return self.notifications.list_inbox(query_dict(request))

    @api(
        "GET",
        "/api/v1/notifications/unread-count",
        summary="How many of your notifications are unread",
        tags=TAGS,
        responses={200: ("The count.", UnreadCountSchema)},
    )
    def unread_count(self, request):
        return self.notifications.unread_count()

    @api(
        "POST",
        "/api/v1/notifications/<notification_id>/read",
        summary="Mark one of your notifications read",
        tags=TAGS,
        responses={200: ("Marked.", MarkedReadSchema)},
    )
    def mark_read(self, request, notification_id):
        return self.notifications.mark_read(notification_id)

    @api(
        "POST",
        "/api/v1/notifications/read-all",
        summary="Mark all your notifications read",
        tags=TAGS,
        responses={200: ("How many were unread.", MarkedReadSchema)},
    )
    def mark_all_read(self, request):
        return self.notifications.mark_all_read()

    # -- subscriptions and preferences ---------------------------------------------------
    @api(
        "GET",
        "/api/v1/notifications/subscriptions",
        summary="What you follow and watch",
        tags=TAGS,
        responses={200: ("Your subscriptions.", SubscriptionListSchema)},
    )
    def list_subscriptions(self, request):
        return self.notifications.list_subscriptions()

    @api(
        "POST",
        "/api/v1/notifications/subscriptions",
        summary="Follow a case, or watch a grid, community, street or category",
        tags=TAGS,
        body=SubscriptionWriteSchema,
        description="You hear only of cases you may see. Subscribing twice to the same thing answers 200 with "
        "the subscription you have.",
        responses={201: ("Subscribed.", SubscriptionSchema), 200: ("Already subscribed.", SubscriptionSchema)},
    )
    def subscribe(self, request):
        answer = self.notifications.subscribe(read_json(request))
        return (201 if answer["created"] else 200), answer["subscription"]

    @api(
        "DELETE",
        "/api/v1/notifications/subscriptions/<subscription_id>",
        summary="Stop following or watching",
        tags=TAGS,
        responses={200: ("Removed.", DeletedSchema)},
    )
    def unsubscribe(self, request, subscription_id):
        return self.notifications.unsubscribe(subscription_id)

    @api(
        "GET",
        "/api/v1/notifications/preferences",
        summary="Your channels per kind of notification",
        tags=TAGS,
        responses={200: ("Your choices, every kind and every channel.", PreferencesSchema)},
    )
    def get_preferences(self, request):
        return self.notifications.get_preferences()

    @api(
        "PUT",
        "/api/v1/notifications/preferences",
        summary="Choose your channels per kind of notification",
        tags=TAGS,
        body=PreferencesWriteSchema,
        responses={200: ("Your choices.", PreferencesSchema)},
    )
    def set_preferences(self, request):
        return self.notifications.set_preferences(read_json(request))

    # -- departments' webhooks (administrators) ------------------------------------------
    @api(
        "GET",
        "/api/v1/notifications/webhooks",
        summary="Departments' webhook endpoints (secrets never shown)",
        tags=TAGS,
        responses={200: ("Every endpoint.", WebhookListSchema)},
    )
    def list_webhooks(self, request):
        return self.notifications.list_webhooks()

    @api(
        "PUT",
        "/api/v1/notifications/webhooks/<department>",
        summary="Set a department's webhook endpoint",
        tags=TAGS,
        body=WebhookWriteSchema,
        description="A new endpoint answers 201 with its signing `secret`, shown this once; a change answers 200 "
        "without it. Requests are signed as docs/notifications.md describes.",
        responses={201: ("Created, with its secret.", WebhookWithSecretSchema), 200: ("Changed.", WebhookSchema)},
    )
    def put_webhook(self, request, department):
        answer = self.notifications.put_webhook(department, read_json(request))
        return (201 if answer["created"] else 200), answer["webhook"]

    @api(
        "POST",
        "/api/v1/notifications/webhooks/<department>/secret",
        summary="Rotate a webhook's signing secret",
        tags=TAGS,
        responses={200: ("The new secret, shown this once.", WebhookWithSecretSchema)},
    )
    def rotate_webhook_secret(self, request, department):
        return self.notifications.rotate_webhook_secret(department)

    @api(
        "POST",
        "/api/v1/notifications/webhooks/<department>/test",
        summary="Send a webhook a test message now",
        tags=TAGS,
        description="One signed message of event `webhook.test`, tried once and kept nowhere (no retry, "
        "no dead delivery); the answer says whether the endpoint took it (2xx) and why not.",
        responses={200: ("Tried: `delivered` says how it went.", WebhookTestedSchema)},
    )
    def test_webhook(self, request, department):
        return self.notifications.test_webhook(department)

    @api(
        "DELETE",
        "/api/v1/notifications/webhooks/<department>",
        summary="Remove a department's webhook endpoint",
        tags=TAGS,
        responses={200: ("Removed.", DeletedSchema)},
    )
    def delete_webhook(self, request, department):
        return self.notifications.delete_webhook(department)

    # -- who was told what ---------------------------------------------------------------
    @api(
        "GET",
        "/api/v1/cases/<case_id>/deliveries",
        summary="Who was told about a case, how, and every attempt",
        tags=TAGS,
        query=DeliveryQuerySchema,
        responses={200: ("Newest first.", DeliveryPageSchema)},
    )
    def case_deliveries(self, request, case_id):
        return self.notifications.deliveries_for_case(case_id, query_dict(request))

    @api(
        "GET",
        "/api/v1/notifications/deliveries",
        summary="Deliveries to a recipient and every attempt",
        tags=TAGS,
        query=DeliveryQuerySchema,
        description="`recipient=user:<id>` or `department:<code>`; yours if left out. Your own and your "
        "department's for everyone; anyone's for the command centre, supervision and administrators.",
        responses={200: ("Newest first.", DeliveryPageSchema)},
    )
    def recipient_deliveries(self, request):
        return self.notifications.deliveries_for_recipient(query_dict(request))

    @api(
        "GET",
        "/api/v1/admin/deliveries/dead",
        summary="Deliveries that failed every attempt",
        tags=["operations"],
        query=PageQuerySchema,
        responses={200: ("Most recently due first.", DeliveryPageSchema)},
    )
    def dead_deliveries(self, request):
        return self.notifications.dead_deliveries(query_dict(request))

    @api(
        "POST",
        "/api/v1/admin/deliveries/<delivery_id>/replay",
        summary="Send a dead delivery again",
        tags=["operations"],
        responses={200: ("Due again, with fresh attempts.", DeliverySchema)},
    )
    def replay_delivery(self, request, delivery_id):
        return self.notifications.replay_delivery(delivery_id)
