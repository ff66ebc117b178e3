#!/usr/bin/env bash
# What `make test` needs from the machine, installed where missing (Debian/Ubuntu; as root or with sudo):
# Python 3.11, RabbitMQ running with its management API (each test run makes a throw-away vhost; the cluster tests
# start three nodes of their own from the same package), docker-compose (to validate the compose file), node.js and
# npm (the web app), Chromium and a CJK font (the browser tests).
set -euo pipefail

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v python3.11 >/dev/null || missing+=(python3.11 python3.11-venv)
command -v python3.11 >/dev/null && ! python3.11 -c 'import ensurepip' 2>/dev/null && missing+=(python3.11-venv)
command -v rabbitmq-server >/dev/null || [ -x /usr/sbin/rabbitmq-server ] || missing+=(rabbitmq-server)
command -v docker-compose >/dev/null || missing+=(docker-compose)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
[ -x /usr/bin/chromium ] || missing+=(chromium)
# Chinese text in the pages (and in the screenshots the browser tests save) needs a CJK font
ls /usr/share/fonts/opentype/noto 2>/dev/null | grep -qi cjk || missing+=(fonts-noto-cjk)
if [ ${#missing[@]} -gt 0 ]; then
  echo "test-machine: installing ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The broker must run, with its management API on (tests make a throw-away vhost per run).
if ! as_root rabbitmqctl -q status >/dev/null 2>&1; then
  echo "test-machine: starting rabbitmq-server"
  as_root rabbitmq-server -detached
  for _ in $(seq 90); do as_root rabbitmqctl -q status >/dev/null 2>&1 && break; sleep 1; done
fi
as_root rabbitmq-plugins -q enable rabbitmq_management >/dev/null
for _ in $(seq 30); do curl -fsS -u guest:guest http://127.0.0.1:15672/api/overview >/dev/null 2>&1 && break; sleep 1; done
