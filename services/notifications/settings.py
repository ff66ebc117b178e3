"""The notifications service's settings, read and checked once at start-up."""

from dataclasses import dataclass
from datetime import timedelta

from nameko.extensions import DependencyProvider

from services.notifications.domain.delivery import RetryPolicy
from services.notifications.domain.digest import BurstRule
from services.notifications.domain.messages import Messages
from shared.config import ConfigError, setting


@dataclass(frozen=True)
class NotifySettings:
    messages: Messages
    burst: BurstRule
    retry: RetryPolicy
    lease: timedelta  # how long a claimed delivery is ours before another process may take it
    batch: int
    concurrency: int
    feed_keep: int
    backlog_limit: int


def settings_from_config(config) -> NotifySettings:
    timezone = setting(config, "NOTIFY_TIMEZONE", "Asia/Shanghai")
    try:
        messages = Messages(setting(config, "PUBLIC_BASE_URL", "http://127.0.0.1:8000"), timezone)
    except (KeyError, ValueError) as exc:
        raise ConfigError(f"configuration NOTIFY_TIMEZONE={timezone!r} is not a known time zone") from exc
    return NotifySettings(
        messages=messages,
        burst=BurstRule(
            setting(config, "DIGEST_THRESHOLD", 5, int),
            timedelta(seconds=setting(config, "DIGEST_WINDOW_SECONDS", 60.0, float)),
        ),
        retry=RetryPolicy(
            setting(config, "DELIVERY_MAX_ATTEMPTS", 6, int),
            setting(config, "DELIVERY_RETRY_BASE_SECONDS", 30.0, float),
            setting(config, "DELIVERY_RETRY_MAX_SECONDS", 3600.0, float),
        ),
        lease=timedelta(seconds=setting(config, "DELIVERY_LEASE_SECONDS", 120.0, float)),
        batch=setting(config, "DELIVERY_BATCH", 50, int),
        concurrency=setting(config, "DELIVERY_CONCURRENCY", 8, int),
        feed_keep=setting(config, "SSE_FEED_KEEP", 10000, int),
        backlog_limit=setting(config, "SSE_BACKLOG_LIMIT", 1000, int),
    )


class Settings(DependencyProvider):
    def setup(self):
        self.settings = settings_from_config(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.settings
