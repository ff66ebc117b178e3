"""docker-compose.yml runs the same system on real MongoDB and RabbitMQ (validated; no engine here)."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from deploy.services import GATEWAY, SERVICES

ROOT = Path(__file__).resolve().parents[2]
SECRETS = {"CIVICGRID_AMQP_USER": "civicgrid", "CIVICGRID_AMQP_PASSWORD": "s3cret"}


def compose_config(env_overrides):
    binary = shutil.which("docker-compose")
    assert binary, "docker-compose is needed to validate the compose file (apt-get install docker-compose; .ci/run does)"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIVICGRID_")} | env_overrides
    return subprocess.run([binary, "-f", str(ROOT / "docker-compose.yml"), "config"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def rendered():
    result = compose_config(SECRETS)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def test_every_process_has_its_own_container(rendered):
    services = rendered["services"]
    assert set(SERVICES) | {"gateway", "mongo", "rabbitmq", "topology"} == set(services)
    for name, path in {**SERVICES, "gateway": GATEWAY}.items():
        assert services[name]["command"][-1] == path


def test_the_stores_are_official_images_with_health_checks_and_volumes(rendered):
    services = rendered["services"]
    assert services["mongo"]["image"].startswith("mongo:")
    assert services["rabbitmq"]["image"].startswith("rabbitmq:")
    for name in ("mongo", "rabbitmq", "gateway"):
        assert "healthcheck" in services[name]
    assert {"mongo-data", "rabbitmq-data"} <= set(rendered["volumes"])


def test_services_wait_for_healthy_stores_and_declared_queues(rendered):
    depends = rendered["services"]["cases"]["depends_on"]
    assert depends["mongo"]["condition"] == "service_healthy"
    assert depends["topology"]["condition"] == "service_completed_successfully"


def test_there_is_no_default_password():
    result = compose_config({})
    assert result.returncode != 0
    assert "CIVICGRID_AMQP_USER" in result.stderr or "CIVICGRID_AMQP_PASSWORD" in result.stderr


def test_only_the_directory_holds_the_private_signing_key(rendered):
    services = rendered["services"]
    holders = {name for name, svc in services.items()
               if any(str(secret.get("source", secret)) == "auth_private_key" for secret in svc.get("secrets", []))}
    assert holders == {"directory"}
    for name in set(SERVICES) | {"gateway"}:
        assert services[name]["environment"]["AUTH_PUBLIC_KEY_FILE"].startswith("/run/secrets/")


def test_the_notifications_container_gets_mail_and_sms_settings_with_no_secret_defaulted():
    result = compose_config({**SECRETS, "SMTP_PASSWORD": "from-the-env", "SMS_GATEWAY_TOKEN": "t0ken"})
    assert result.returncode == 0, result.stderr
    env = yaml.safe_load(result.stdout)["services"]["notifications"]["environment"]
    assert {"EMAIL_TRANSPORT", "SMTP_HOST", "SMTP_PORT", "SMTP_SECURITY", "SMTP_USERNAME", "SMS_PROVIDER",
            "SMS_GATEWAY_URL", "PUBLIC_BASE_URL"} <= set(env)
    assert (env["SMTP_PASSWORD"], env["SMS_GATEWAY_TOKEN"]) == ("from-the-env", "t0ken")
    text = (ROOT / "docker-compose.yml").read_text()
    assert "${SMTP_PASSWORD}" in text and "${SMS_GATEWAY_TOKEN}" in text


def test_only_notifications_holds_the_key_sealing_webhook_secrets(rendered):
    services = rendered["services"]
    holders = {name for name, svc in services.items()
               if any(str(secret.get("source", secret)) == "webhook_secrets_key" for secret in svc.get("secrets", []))}
    assert holders == {"notifications"}
    assert services["notifications"]["environment"]["WEBHOOK_SECRETS_KEY_FILE"] == "/run/secrets/webhook_secrets_key"
