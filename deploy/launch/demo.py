"""Demo mode (the default of `make run`): the demo password and Open311 key, made once and kept under ``var/``, and
the sign-ins said at start."""

import os
import secrets
from pathlib import Path

DEMO_SIGN_INS = (
    ("admin", "administrator 系统管理员"),
    ("supervisor", "supervisor 监督/督办"),
    ("operator1", "command-centre operator 指挥中心派遣员"),
    ("head-sanitation", "department head 部门负责人 (环卫所)"),
    ("handler-sanitation-1", "department handler 处置人员 (环卫所)"),
    ("officer-610102001001001", "grid officer 网格员 (grid 610102001001001)"),
    ("leader-610102001001", "grid leader 网格长 (community 610102001001)"),
)


def demo_env(var: Path) -> dict[str, str]:
    """What every process is given in demo mode."""
    return {"DEMO_MODE": "true", "DEMO_PASSWORD": demo_password(var), "DEMO_OPEN311_KEY": demo_open311_key(var)}


def demo_password(var: Path) -> str:
    """The demo password: given, or made once and kept in ``var/demo-password``."""
    return _demo_secret(var / "demo-password", os.environ.get("DEMO_PASSWORD"), lambda: secrets.token_urlsafe(9))


def demo_open311_key(var: Path) -> str:
    """The demo app's Open311 API key: given, or made once and kept in ``var/demo-open311-key``."""
    from services.directory.domain.apikeys import make_key

    return _demo_secret(var / "demo-open311-key", os.environ.get("DEMO_OPEN311_KEY"), make_key)


def _demo_secret(path: Path, given: str | None, make) -> str:
    if given:
        return given
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(make())
    return path.read_text().strip()


def demo_lines(env: dict, gateway_url: str, var: Path) -> list[str]:
    """The demo part of what `make run` says once the platform is ready."""
    lines = [f"  demo mode: every demo person's password is  {env['DEMO_PASSWORD']}"]
    lines += [f"    {username:<26} {role}" for username, role in DEMO_SIGN_INS]
    lines.append(
        "    (and officer-<grid code>, leader-<community code>, handler-<department>-1..3, "
        "head-<department>, operator1..6)"
    )
    lines.append(
        f"  Open311    {gateway_url}/open311/v2/discovery.json   demo api_key "
        f"{env['DEMO_OPEN311_KEY']}  (in {var / 'demo-open311-key'})"
    )
    return lines
