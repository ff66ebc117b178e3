"""The channels' configuration fails fast, and an e-mail is composed as receivers expect."""

import pytest
import requests

from services.notifications.channels import (
    HttpSmsGateway,
    LogMailer,
    LogSms,
    SmtpMailer,
    WebhookPoster,
    channels_from_config,
)
from shared.config import ConfigError

MESSAGE = {
    "subject": "新派遣 C1：环境卫生",
    "text": "正文\n\n查看案件: https://x/C1",
    "html": "<p>正文</p>",
    "sms": "短信",
}


def test_without_a_transport_mail_and_sms_go_to_the_log():
    channels = channels_from_config({}, requests.Session())
    assert isinstance(channels.email, LogMailer) and isinstance(channels.sms, LogSms)
    assert channels.email.send("a@b", MESSAGE, {"X-Civicgrid-Delivery": "D1"}).ok


def test_smtp_and_the_sms_gateway_are_built_from_their_settings():
    channels = channels_from_config(
        {
            "EMAIL_TRANSPORT": "smtp",
            "SMTP_HOST": "mail.example.org",
            "SMTP_PORT": "465",
            "SMTP_SECURITY": "ssl",
            "SMTP_USERNAME": "civicgrid",
            "SMTP_PASSWORD": "pw",
            "SMS_PROVIDER": "http",
            "SMS_GATEWAY_URL": "https://sms.example.org/send",
        },
        requests.Session(),
    )
    assert isinstance(channels.email, SmtpMailer) and channels.email.port == 465 and channels.email.security == "ssl"
    assert isinstance(channels.sms, HttpSmsGateway) and channels.sms.url == "https://sms.example.org/send"


@pytest.mark.parametrize(
    "config, named",
    [
        ({"EMAIL_TRANSPORT": "pigeon"}, "EMAIL_TRANSPORT"),
        ({"EMAIL_TRANSPORT": "smtp"}, "SMTP_HOST"),
        ({"EMAIL_TRANSPORT": "smtp", "SMTP_HOST": "h", "SMTP_SECURITY": "maybe"}, "SMTP_SECURITY"),
        ({"SMS_PROVIDER": "http"}, "SMS_GATEWAY_URL"),
        ({"SMS_PROVIDER": "fax"}, "SMS_PROVIDER"),
    ],
)
def test_a_bad_channel_setting_fails_at_start_naming_it(config, named):
    with pytest.raises(ConfigError, match=named):
        channels_from_config(config, requests.Session())


def test_an_e_mail_has_text_and_html_and_a_message_id_that_is_the_same_on_every_retry():
    mailer = SmtpMailer("h", 25, "none", None, None, "civicgrid <noreply@x>", 5)
    headers = {"X-Civicgrid-Delivery": "D42", "Content-Language": "zh-CN"}
    mail = mailer.compose("a@b", MESSAGE, headers)
    again = mailer.compose("a@b", MESSAGE, headers)
    assert mail["Message-ID"] == again["Message-ID"] == "<D42@civicgrid>"
    assert mail["Content-Language"] == "zh-CN" and mail["Subject"] == MESSAGE["subject"]
    assert mail.get_body(("plain",)).get_content().startswith("正文")
    assert mail.get_body(("html",)).get_content().strip() == "<p>正文</p>"


def test_an_unreachable_smtp_server_is_a_failed_attempt_not_an_exception():
    from tests.support.infra import free_port

    outcome = SmtpMailer("127.0.0.1", free_port(), "none", None, None, "x@y", 2).send(
        "a@b", MESSAGE, {"X-Civicgrid-Delivery": "D1"}
    )
    assert not outcome.ok and "Connection" in outcome.error


def _resolver(table):
    def resolve(host, port, proto=0):
        if host not in table:
            raise OSError("Name or service not known")
        return [(2, 1, 6, "", (address, port)) for address in table[host]]

    return resolve


@pytest.mark.parametrize(
    "url, why",
    [
        ("http://metadata.internal/latest/meta-data", "169.254.169.254"),  # a cloud's metadata service
        ("http://localhost:15672/api/users", "127.0.0.1"),  # the broker's own management API
        ("https://intranet.example/hook", "10.1.2.3"),
        ("http://[::1]:8000/api/v1/admin", "::1"),
        ("https://split.example/hook", "192.168.0.9"),  # one public, one private address: refused
        ("ftp://files.example/hook", "not an http(s) URL"),
    ],
)
def test_a_webhook_is_never_sent_inside_the_platforms_networks(url, why):
    outcome = _poster().post(url, b"{}", {})
    assert not outcome.ok and outcome.final and outcome.refused and why in outcome.error


def test_a_host_that_does_not_resolve_is_a_failed_attempt_retried_later():
    outcome = _poster().post("https://nowhere.example/hook", b"{}", {})
    assert not outcome.ok and not outcome.final and "does not resolve" in outcome.error


def _poster():
    return WebhookPoster(
        None,
        1.0,
        resolve=_resolver(
            {
                "metadata.internal": ["169.254.169.254"],
                "localhost": ["127.0.0.1"],
                "intranet.example": ["10.1.2.3"],
                "::1": ["::1"],
                "split.example": ["203.0.113.0", "192.168.0.9"],
                "files.example": ["93.184.216.34"],
            }
        ),
    )


def test_a_listed_intranet_host_and_a_public_one_are_posted_to():
    sent = []

    class Session:
        def post(self, url, **kwargs):
            sent.append(url)
            return type("Answer", (), {"status_code": 204, "text": ""})()

    poster = WebhookPoster(
        Session(),
        1.0,
        frozenset({"intranet.example"}),
        resolve=_resolver({"intranet.example": ["10.1.2.3"], "dept.example.gov.cn": ["93.184.216.34"]}),
    )
    assert poster.post("https://intranet.example/hook", b"{}", {}).ok
    assert poster.post("https://dept.example.gov.cn/hook", b"{}", {}).ok
    assert sent == ["https://intranet.example/hook", "https://dept.example.gov.cn/hook"]


def test_the_allowed_hosts_come_from_the_settings():
    channels = channels_from_config({"WEBHOOK_ALLOWED_HOSTS": " Intranet.example , 10.0.0.7"}, requests.Session())
    assert channels.webhook.allowed_hosts == {"intranet.example", "10.0.0.7"}
