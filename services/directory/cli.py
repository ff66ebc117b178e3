"""The directory from the command line.

    python -m services.directory.cli export-map FILE      [--url URL] [--username admin]
    python -m services.directory.cli import-map FILE      [--url URL] [--username admin]
    python -m services.directory.cli create-admin USERNAME [--name NAME]

``export-map`` and ``import-map`` go through the HTTP API as the given administrator
(password from ``CIVICGRID_PASSWORD`` or asked for), so the running platform checks,
records and announces the change as for any other client. ``create-admin`` makes
the first administrator of a new installation (which has no default password):
it writes to the directory's own database, and the running directory announces
the new user from its outbox.
"""

import argparse
import getpass
import json
import os
import sys

import requests


def _password(prompt: str) -> str:
    return os.environ.get("CIVICGRID_PASSWORD") or getpass.getpass(prompt)


def _signed_in(args) -> requests.Session:
    session = requests.Session()
    answer = session.post(
        f"{args.url}/api/v1/auth/token",
        timeout=30,
        json={"username": args.username, "password": _password(f"password of {args.username}: ")},
    )
    if answer.status_code != 200:
        sys.exit(f"cannot sign in: {answer.json().get('message', answer.text)}")
    session.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
    return session


def export_map(args) -> int:
    answer = _signed_in(args).get(f"{args.url}/api/v1/directory/grid-map", timeout=120)
    answer.raise_for_status()
    with open(args.file, "w", encoding="utf-8") as handle:
        json.dump(answer.json(), handle, ensure_ascii=False, indent=1)
    print(f"exported {len(answer.json()['features'])} features to {args.file}")
    return 0


def import_map(args) -> int:
    with open(args.file, encoding="utf-8") as handle:
        document = json.load(handle)
    answer = _signed_in(args).put(f"{args.url}/api/v1/directory/grid-map", json=document, timeout=300)
    body = answer.json()
    if answer.status_code == 200:
        print(f"imported map version {body['map_version']}: {body['areas']} areas, {body['grids']} grids")
        return 0
    print(body.get("message", answer.text), file=sys.stderr)
    for fault in body.get("details", {}).get("faults", []):
        where = f"feature {fault['feature']}" if fault.get("feature") is not None else "map"
        print(
            f"  {fault['code']:<18} {where:<12} {fault.get('object_code') or '':<16} {fault['message']}",
            file=sys.stderr,
        )
    return 1


def create_admin(args) -> int:
    from pymongo.errors import PyMongoError

    from services.directory import domain
    from services.directory.domain.passwords import hash_password
    from services.directory.storage import DirectoryRepository
    from shared.api.directory import UserWriteSchema
    from shared.auth import SYSTEM
    from shared.clock import utcnow
    from shared.config import mongo_target
    from shared.ids import new_id
    from shared.mongo import make_client

    config = {
        "MONGO_URI": os.environ.get("MONGO_URI", "mongodb://127.0.0.1:27017/"),
        "DIRECTORY_MONGO_URI": os.environ.get("DIRECTORY_MONGO_URI"),
        "DB_PREFIX": os.environ.get("DB_PREFIX", "civicgrid_"),
    }
    password = _password(f"new password of {args.username}: ")
    user = UserWriteSchema().load(
        {
            "user_id": args.username,
            "username": args.username,
            "name": args.name or args.username,
            "roles": ["admin"],
            "password": password,
        }
    )
    uri, name = mongo_target(config, "directory")
    repository = DirectoryRepository(make_client(uri, config, "directory-cli")[name], None)
    factory = domain.event_factory("users", now=utcnow(), actor=SYSTEM.actor(), correlation_id=new_id("X"))
    try:
        repository.save(
            "users",
            {k: v for k, v in user.items() if k != "password"},
            factory,
            {"password_hash": hash_password(user.pop("password"))},
        )
    except PyMongoError as exc:
        sys.exit(f"cannot reach the directory's database: {exc}")
    print(f"administrator {args.username} created")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.directory.cli", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name, handler in (("export-map", export_map), ("import-map", import_map)):
        command = commands.add_parser(name)
        command.add_argument("file")
        command.add_argument("--url", default=os.environ.get("CIVICGRID_URL", "http://127.0.0.1:8000"))
        command.add_argument("--username", default=os.environ.get("CIVICGRID_USERNAME", "admin"))
        command.set_defaults(handler=handler)
    command = commands.add_parser("create-admin")
    command.add_argument("username")
    command.add_argument("--name")
    command.set_defaults(handler=create_admin)
    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
