"""What every civicgrid process serves for its orchestrator, in one place: the code that serves it and the manifests
that probe it (deploy/k8s, checked by tests/deploy/test_k8s.py) both read it from here.

Every process, the gateway included, serves on its own health port (the setting ``HEALTH_PORT``):

- ``GET /livez``: the process is alive (liveness: restart it if not);
- ``GET /readyz``: this process is ready for work (readiness). The gateway's is its own, never the aggregate of the
  services: the aggregate ``/readyz`` on its public port is for people, and as a probe would take every gateway
  replica out at once when one service is down;
- ``GET /metrics``: Prometheus metrics.

One SIGTERM stops a process gracefully within ``SHUTDOWN_GRACE_SECONDS``; Kubernetes waits
``TERMINATION_GRACE_PERIOD_SECONDS`` before it kills, so a stop always has its whole grace.
"""

HEALTH_PORT_SETTING = "HEALTH_PORT"
HEALTH_PORT = 8081  # in Kubernetes; the port's name is HEALTH_PORT_NAME
HEALTH_PORT_NAME = "health"

LIVENESS_PATH = "/livez"
READINESS_PATH = "/readyz"
METRICS_PATH = "/metrics"

# the gateway's public HTTP port (the API, the web app, the SSE stream, /healthz and the aggregate /readyz)
GATEWAY_HTTP_PORT = 8000
GATEWAY_HTTP_PORT_NAME = "http"

SHUTDOWN_GRACE_SETTING = "SHUTDOWN_GRACE_SECONDS"
SHUTDOWN_GRACE_SECONDS = 25
# the grace plus a margin for the kubelet and the endpoints' removal
TERMINATION_GRACE_PERIOD_SECONDS = 40
