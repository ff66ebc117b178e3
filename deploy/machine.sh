#!/usr/bin/env bash
# What a make target needs from the machine, installed and started where missing (Debian/Ubuntu; as root or with
# sudo), so that the README's commands are all the set-up a fresh machine needs:
#   run    Python 3.11, RabbitMQ running, node.js and npm (the web app)          (make run)
#   bench  run's, plus RabbitMQ's management API (the bench reads queue figures;
#          its cluster mode starts three nodes of its own from the same package)  (make bench*)
#   test   bench's, plus docker-compose (to validate the compose file), Chromium
#          and a CJK font (the browser tests)                                     (make test)
set -euo pipefail

profile=${1:-test}
case "$profile" in run|bench|test) ;; *) echo "usage: $0 run|bench|test" >&2; exit 2 ;; esac

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v python3.11 >/dev/null || missing+=(python3.11 python3.11-venv)
command -v python3.11 >/dev/null && ! python3.11 -c 'import ensurepip' 2>/dev/null && missing+=(python3.11-venv)
command -v rabbitmq-server >/dev/null || [ -x /usr/sbin/rabbitmq-server ] || missing+=(rabbitmq-server)
command -v curl >/dev/null || missing+=(curl)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ "$profile" = test ]; then
  command -v docker-compose >/dev/null || missing+=(docker-compose)
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  # Chinese text in the pages (and in the screenshots the browser tests save) needs a CJK font
  ls /usr/share/fonts/opentype/noto 2>/dev/null | grep -qi cjk || missing+=(fonts-noto-cjk)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "machine ($profile): installing ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The node keeps files open for every quorum queue and connection: the 1024 that `rabbitmq-server -detached` gets
# (it changes to the rabbitmq user through su, which resets the limit) runs out under one platform's queues, and the
# broker then stops accepting connections. Start it through its init script, which keeps the limit raised here.
start_broker() {
  local files
  files=$(ulimit -Hn)
  if [ "$files" = unlimited ] || [ "$files" -gt 65536 ]; then files=65536; fi
  if [ -x /etc/init.d/rabbitmq-server ]; then
    as_root sh -c "ulimit -n $files; /etc/init.d/rabbitmq-server start" >/dev/null
  else
    as_root sh -c "ulimit -n $files; rabbitmq-server -detached"
  fi
}

if ! as_root rabbitmqctl -q status >/dev/null 2>&1; then
  echo "machine ($profile): starting rabbitmq-server"
  start_broker
  for _ in $(seq 90); do as_root rabbitmqctl -q status >/dev/null 2>&1 && break; sleep 1; done
fi
file_limit() {
  as_root rabbitmqctl -q status 2>/dev/null | grep -A2 'File Descriptors' | grep -o 'limit: [0-9]*' | grep -o '[0-9]*' || true
}
limit=$(file_limit)
if [ -n "$limit" ] && [ "$limit" -lt 4000 ]; then
  # started before this step by someone else's command: restarted with the raised limit while nothing is connected
  # to it (a broker in use is left alone, with a warning)
  if [ -z "$(as_root rabbitmqctl -q list_connections name 2>/dev/null)" ]; then
    echo "machine ($profile): restarting rabbitmq-server, which may open only $limit files, with a higher limit"
    as_root rabbitmqctl -q stop >/dev/null 2>&1 || true
    for _ in $(seq 30); do as_root rabbitmqctl -q status >/dev/null 2>&1 || break; sleep 1; done
    start_broker
    for _ in $(seq 90); do as_root rabbitmqctl -q status >/dev/null 2>&1 && break; sleep 1; done
    limit=$(file_limit)
  fi
  if [ -n "$limit" ] && [ "$limit" -lt 4000 ]; then
    echo "machine ($profile): warning: RabbitMQ may open only $limit files; a platform's quorum queues need more." >&2
    echo "  Restart it with a higher limit: rabbitmqctl stop; (ulimit -n 65536; /etc/init.d/rabbitmq-server start)" >&2
  fi
fi
[ "$profile" = run ] && exit 0

# Tests make a throw-away vhost per run and read queues through the management API; so does the bench.
as_root rabbitmq-plugins -q enable rabbitmq_management >/dev/null
for _ in $(seq 30); do curl -fsS -u guest:guest http://127.0.0.1:15672/api/overview >/dev/null 2>&1 && break; sleep 1; done
