"""The pieces of `make run` (``python -m deploy.launcher``), one job each:

- ``embedded_store``: one SecantusDB process (the tests start theirs with it too), run by ``secantusd`` (its own
  entry point, with the planner taking an ``_id`` first, an update rewriting only the index entries that change,
  and a write command reading the index catalogue once); ``stores``: which of them `make run` starts, one per
  service or one for all;
- ``broker``: RabbitMQ answering, the local one started if it is down;
- ``environment``: the settings and keys every process is given, and each process's own;
- ``demo``: the demo mode's password, Open311 key and sign-ins;
- ``processes``: starting a child bound to the launcher; ``supervision``: the one restart policy;
- ``readiness``: waiting until the platform answers; ``status``: what runs where, written and said.
"""


class LaunchError(Exception):
    """Why the platform cannot start: said to the person who ran `make run`, without a traceback."""


def say(message: str) -> None:
    print(f"[civicgrid] {message}", flush=True)
