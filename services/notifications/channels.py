"""The channels that leave the platform: e-mail (SMTP), SMS (a provider), webhooks (HTTP).

Each sender answers an ``Outcome`` and never raises for a failed send: the courier
records every attempt and decides about retries. HTTP goes through one
``requests.Session`` per process (its connection pool is reused), with a timeout on
every request. E-mail and SMS have a log adapter for development: the message is
written to the log and counts as delivered.
"""

import ipaddress
import json
import logging
import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import urlsplit

import requests
from nameko.extensions import DependencyProvider

from services.notifications.domain.delivery import Outcome
from shared.config import ConfigError, setting

_log = logging.getLogger(__name__)
SMTP_SECURITY = ("none", "starttls", "ssl")


def _http_outcome(call) -> Outcome:
    try:
        answer = call()
    except requests.Timeout:
        return Outcome.failed("no answer within the timeout")
    except requests.RequestException as exc:
        return Outcome.failed(f"{type(exc).__name__}: {exc}"[:500])
    if 200 <= answer.status_code < 300:
        return Outcome(True)
    return Outcome.failed(f"HTTP {answer.status_code}: {answer.text[:200]}")


class LogMailer:
    def send(self, to: str, message: dict, headers: dict) -> Outcome:
        _log.info("e-mail to %s (%s): %s", to, headers.get("X-Civicgrid-Delivery"), message["subject"])
        return Outcome(True)


class SmtpMailer:
    def __init__(
        self,
        host: str,
        port: int,
        security: str,
        username: str | None,
        password: str | None,
        sender: str,
        timeout: float,
    ):
        self.host, self.port, self.security = host, port, security
        self.username, self.password = username, password
        self.sender, self.timeout = sender, timeout

    def compose(self, to: str, message: dict, headers: dict) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = to
        mail["Subject"] = message["subject"]
        mail["Date"] = formatdate(localtime=False)
        # the same on every retry, so a mail client shows a resent message once
        mail["Message-ID"] = f"<{headers['X-Civicgrid-Delivery']}@civicgrid>"
        mail.set_content(message["text"])
        mail.add_alternative(message["html"], subtype="html")
        for name, value in headers.items():  # after the content, which resets every Content-* header
            mail[name] = value
        return mail

    def send(self, to: str, message: dict, headers: dict) -> Outcome:
        mail = self.compose(to, message, headers)
        try:
            if self.security == "ssl":
                server = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                server = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with server:
                if self.security == "starttls":
                    server.starttls(context=ssl.create_default_context())
                if self.username:
                    server.login(self.username, self.password or "")
                server.send_message(mail)
        except (smtplib.SMTPException, OSError) as exc:
            return Outcome.failed(f"{type(exc).__name__}: {exc}"[:500])
        return Outcome(True)


class LogSms:
    def send(self, phone: str, text: str, delivery_id: str) -> Outcome:
        _log.info("SMS to %s (%s): %s", phone, delivery_id, text)
        return Outcome(True)


class HttpSmsGateway:
    """A generic HTTP SMS gateway: POST ``{to, text, sender, reference}`` as JSON, bearer token; 2xx is sent."""

    def __init__(self, session: requests.Session, url: str, token: str | None, sender: str | None, timeout: float):
        self.session, self.url, self.token, self.sender, self.timeout = session, url, token, sender, timeout

    def send(self, phone: str, text: str, delivery_id: str) -> Outcome:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        body = {"to": phone, "text": text, "sender": self.sender, "reference": delivery_id}
        return _http_outcome(lambda: self.session.post(self.url, json=body, headers=headers, timeout=self.timeout))


# why a webhook address is refused
NOT_HTTP, UNRESOLVED, INSIDE = "not_http", "unresolved", "inside_networks"


@dataclass(frozen=True)
class Refusal:
    rule: str
    host: str
    addresses: tuple[str, ...]
    text: str  # for the attempt's record


class WebhookPoster:
    """Posts to departments' endpoints — but never, unless a host is listed in ``WEBHOOK_ALLOWED_HOSTS``, to an
    address inside the platform's own networks (loopback, private, link-local such as a cloud's metadata
    service): an administrator's URL must not turn the platform into a way in (SSRF)."""

    def __init__(
        self,
        session: requests.Session,
        timeout: float,
        allowed_hosts: frozenset[str] = frozenset(),
        resolve=socket.getaddrinfo,
    ):
        self.session, self.timeout, self.allowed_hosts, self.resolve = session, timeout, allowed_hosts, resolve

    def refusal(self, url: str) -> Refusal | None:
        """Why ``url`` may not be called, or None. Asked when an endpoint is registered and again at every attempt
        (the host's addresses may have changed since)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return Refusal(NOT_HTTP, parts.hostname or "", (), f"refused: {url!r} is not an http(s) URL")
        host = parts.hostname.lower()
        if host in self.allowed_hosts:
            return None
        try:
            addresses = {info[4][0] for info in self.resolve(host, parts.port or 443, proto=socket.IPPROTO_TCP)}
        except (OSError, UnicodeError) as exc:
            return Refusal(UNRESOLVED, host, (), f"refused: {host} does not resolve ({exc})")
        inside = tuple(sorted(a for a in addresses if not ipaddress.ip_address(a.split("%")[0]).is_global))
        if inside:
            return Refusal(
                INSIDE,
                host,
                inside,
                f"refused: {host} resolves to {', '.join(inside)}, inside the platform's networks; "
                f"list it in WEBHOOK_ALLOWED_HOSTS if the department's system really lives there",
            )
        return None

    def post(self, url: str, body: bytes, headers: dict) -> Outcome:
        refused = self.refusal(url)
        if refused and refused.rule == UNRESOLVED:
            return Outcome.failed(refused.text)  # a name server's bad moment: retried like any failed attempt
        if refused:
            return Outcome.refused_by_rule(refused.text)
        return _http_outcome(
            lambda: self.session.post(url, data=body, headers=headers, timeout=self.timeout, allow_redirects=False)
        )


def webhook_bytes(body: dict) -> bytes:
    """The exact bytes sent and signed."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


class Channels:
    def __init__(self, email, sms, webhook):
        self.email, self.sms, self.webhook = email, sms, webhook


def channels_from_config(config, session: requests.Session) -> Channels:
    timeout = setting(config, "NOTIFY_HTTP_TIMEOUT_SECONDS", 10.0, float)
    transport = setting(config, "EMAIL_TRANSPORT", "log")
    if transport == "smtp":
        security = setting(config, "SMTP_SECURITY", "starttls")
        if security not in SMTP_SECURITY:
            raise ConfigError(f"configuration SMTP_SECURITY={security!r}: one of {', '.join(SMTP_SECURITY)}")
        email = SmtpMailer(
            setting(config, "SMTP_HOST"),
            setting(config, "SMTP_PORT", 587, int),
            security,
            setting(config, "SMTP_USERNAME", None),
            setting(config, "SMTP_PASSWORD", None),
            setting(config, "SMTP_FROM", "civicgrid <noreply@civicgrid.local>"),
            setting(config, "SMTP_TIMEOUT_SECONDS", 10.0, float),
        )
    elif transport == "log":
        email = LogMailer()
    else:
        raise ConfigError(f"configuration EMAIL_TRANSPORT={transport!r}: smtp or log")
    provider = setting(config, "SMS_PROVIDER", "log")
    if provider == "http":
        sms = HttpSmsGateway(
            session,
            setting(config, "SMS_GATEWAY_URL"),
            setting(config, "SMS_GATEWAY_TOKEN", None),
            setting(config, "SMS_SENDER", None),
            timeout,
        )
    elif provider == "log":
        sms = LogSms()
    else:
        raise ConfigError(f"configuration SMS_PROVIDER={provider!r}: http or log")
    allowed = frozenset(h.strip().lower() for h in setting(config, "WEBHOOK_ALLOWED_HOSTS", "").split(",") if h.strip())
    return Channels(email, sms, WebhookPoster(session, timeout, allowed))


class Senders(DependencyProvider):
    """Injects the process's ``Channels``, built once from the configuration."""

    def setup(self):
        self.session = requests.Session()
        self.channels = channels_from_config(self.container.config, self.session)

    def stop(self):
        self.session.close()

    kill = stop

    def get_dependency(self, worker_ctx):
        return self.channels
