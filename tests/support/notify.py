"""For notification tests: the tiny district with contacts, a real SMTP server, a webhook receiver."""

import json
import mailbox
import subprocess
import sys
import threading
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from shared.refdata import Reference
from tests.support import district
from tests.support.infra import free_port, wait_for

ENGLISH = {"head-sanitation", "officer-2"}


def users_with_contacts() -> list[dict]:
    """The district's people with e-mail addresses and phones; a few read English."""
    return [
        {
            **u,
            "email": f"{u['user_id']}@example.org",
            "phone": f"1380000{i:04d}",
            "language": "en" if u["user_id"] in ENGLISH else u["language"],
        }
        for i, u in enumerate(district.USERS)
    ]


def reference_data() -> dict:
    return {
        "users": {"items": users_with_contacts()},
        "departments": {"items": district.DEPARTMENTS},
        "categories": {"items": district.CATEGORIES},
        "grid_map": {
            "map_version": 1,
            "areas": district.AREAS,
            "grids": [{**g, "community": g["parent"], "street": None} for g in district.GRIDS],
        },
    }


def reference() -> Reference:
    data = reference_data()
    copy = Reference(tuple(data))
    for kind, value in data.items():
        copy.load(kind, 1, value)
    return copy


class SmtpServer:
    """aiosmtpd in its own process (it runs asyncio, which eventlet's patching would upset), filing a Maildir."""

    def __init__(self, workdir: Path):
        self.maildir = Path(workdir) / "maildir"
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                f"127.0.0.1:{self.port}",
                "-c",
                "aiosmtpd.handlers.Mailbox",
                str(self.maildir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: _accepts(self.port), timeout=20, message="SMTP server")

    def messages(self) -> list:
        if not self.maildir.exists():
            return []
        parser = BytesParser(policy=policy.default)
        return [parser.parsebytes(m.as_bytes()) for m in mailbox.Maildir(str(self.maildir))]

    def to(self, address: str) -> list:
        return [m for m in self.messages() if m["To"] == address]

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def _accepts(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class WebhookReceiver:
    """A department's system: answers each request with the next planned behaviour, then 200.

    ``plan`` is a list of HTTP statuses, or ``"hang"`` for a request it never answers in time.
    """

    def __init__(self, plan=(), hang_seconds: float = 5.0):
        self.plan = list(plan)
        self.hang_seconds = hang_seconds
        self.requests: list[dict] = []
        self._released = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                action = receiver.plan.pop(0) if receiver.plan else 200
                if action == "hang":
                    receiver._released.wait(receiver.hang_seconds)
                    return
                self.send_response(action)
                self.end_headers()
                self.wfile.write(json.dumps({"status": action}).encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> "WebhookReceiver":
        self.thread.start()
        return self

    def stop(self) -> None:
        self._released.set()
        self.server.shutdown()
        self.server.server_close()


def sse_events(response):
    """Server-Sent Events of a streamed ``requests`` response, as dicts ``{id, event, data}`` (comments skipped)."""
    event: dict = {}
    for raw in response.iter_lines(decode_unicode=True):
        if raw is None:
            continue
        if raw == "":
            if "data" in event:
                event["data"] = json.loads(event["data"])
                yield event
            event = {}
        elif not raw.startswith(":"):
            name, _, value = raw.partition(":")
            event[name] = value[1:] if value.startswith(" ") else value
