"""deploy/Dockerfile builds the real product: the web app inside, bases pinned, non-root, a health check, and a build
context without secrets or local state. No Docker engine here: the file is read, its web stage run as the image
would run it, and .dockerignore applied as Docker applies it."""

import fnmatch
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from deploy import probes

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines if line and not line.startswith("#")
    ]


def stages() -> dict[str, list[tuple[str, str]]]:
    found, current = {}, None
    for instruction, arguments in instructions():
        if instruction == "FROM":
            words = arguments.split()
            current = words[2] if len(words) > 2 and words[1].upper() == "AS" else "final"
            found[current] = [(instruction, arguments)]
        else:
            found[current].append((instruction, arguments))
    return found


def dockerignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule: a path is left out when a pattern matches it or a directory above it (the last matching pattern
    wins; `!` takes one back in); `**/` matches any number of directories."""
    parts = path.split("/")
    result = False
    for raw in patterns:
        negate = raw.startswith("!")
        pattern = raw.lstrip("!").strip("/")
        candidates = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
        if pattern.startswith("**/"):
            candidates = ["/".join(parts[j:i]) for i in range(1, len(parts) + 1) for j in range(i)]
            pattern = pattern[3:]
        if any(fnmatch.fnmatchcase(candidate, pattern) for candidate in candidates):
            result = not negate
    return result


def test_every_base_is_pinned_by_digest():
    bases = [arguments.split()[0] for instruction, arguments in instructions() if instruction == "FROM"]
    assert len(bases) == 2, "a Node stage for the web app, then the runtime"
    for base in bases:
        assert re.fullmatch(r"[a-z0-9./-]+:[\w.-]+@sha256:[0-9a-f]{64}", base), base
    assert bases[0].startswith("node:") and bases[1].startswith("python:3.11-")


def test_the_runtime_runs_as_a_numeric_non_root_user_with_a_health_check_on_the_contract():
    final = stages()["final"]
    (user,) = [arguments for instruction, arguments in final if instruction == "USER"]
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) > 0, "numeric, so Kubernetes' runAsNonRoot can check it"
    (healthcheck,) = [arguments for instruction, arguments in final if instruction == "HEALTHCHECK"]
    assert probes.LIVENESS_PATH in healthcheck and probes.HEALTH_PORT_SETTING in healthcheck
    env = " ".join(arguments for instruction, arguments in final if instruction == "ENV")
    assert f"{probes.HEALTH_PORT_SETTING}={probes.HEALTH_PORT}" in env
    (exposed,) = [arguments.split() for instruction, arguments in final if instruction == "EXPOSE"]
    assert {str(probes.HEALTH_PORT), str(probes.GATEWAY_HTTP_PORT)} == set(exposed)
    # the web app built in the first stage lands where the gateway serves it from (WEB_DIST_DIR's default)
    assert ("COPY", "--from=web /web/dist ./web/dist") in final
    assert ("WORKDIR", "/app") in final
    assert not [arguments for instruction, arguments in final if instruction == "RUN" and "npm" in arguments]


# what must never reach the build context, and what the image's COPY lines need
LEFT_OUT = [
    "secrets/auth_private.pem",
    "secrets/webhook_secrets.key",
    "secrets/mongo_keyfile",
    ".env",
    "var/run/store/data.bin",
    ".venv/bin/python",
    "web/node_modules/vite/package.json",
    "web/dist/index.html",
    ".git/HEAD",
    "shared/__pycache__/config.cpython-311.pyc",
]
NEEDED = [
    "requirements.lock",
    "pyproject.toml",
    "shared/config.py",
    "services/cases/service.py",
    "gateway/service.py",
    "deploy/nameko.yaml",
    "deploy/prepare.py",
    "web/package.json",
    "web/package-lock.json",
    "web/index.html",
    "web/vite.config.js",
    "web/src/main.js",
]


@pytest.mark.parametrize("path", LEFT_OUT)
def test_the_build_context_leaves_out_secrets_state_and_environments(path):
    assert ignored(path, dockerignore_patterns())


@pytest.mark.parametrize("path", NEEDED)
def test_the_build_context_keeps_what_the_image_copies(path):
    assert (ROOT / path).exists(), path
    assert not ignored(path, dockerignore_patterns())


def test_the_web_stage_builds_the_web_app_as_the_image_would(tmp_path):
    """Runs the web stage's own COPY and RUN lines, in order, in a fresh directory, from a build context filtered by
    .dockerignore (so a local web/node_modules or web/dist cannot help). The npm cache of this machine may answer
    (npm_config_prefer_offline): the commands are the image's."""
    assert shutil.which("npm"), "node.js and npm are needed (make test installs them: deploy/machine.sh)"
    patterns = dockerignore_patterns()
    workdir = None
    ran = []
    for instruction, arguments in stages()["web"][1:]:
        if instruction == "WORKDIR":
            workdir = tmp_path / arguments.lstrip("/")
            workdir.mkdir(parents=True, exist_ok=True)
        elif instruction == "COPY":
            *sources, destination = shlex.split(arguments)
            # an absolute destination is the image's root: here, the test's directory
            target = (
                tmp_path / destination.lstrip("/")
                if destination.startswith("/")
                else workdir
                if destination in ("./", ".")
                else workdir / destination
            )
            for source in sources:
                copy_from_context(source, target, patterns, many=len(sources) > 1 or source.endswith("/"))
        elif instruction == "RUN":
            env = {**os.environ, "npm_config_prefer_offline": "true", "npm_config_update_notifier": "false"}
            result = subprocess.run(
                ["sh", "-c", arguments], cwd=workdir, env=env, capture_output=True, text=True, timeout=240
            )
            assert result.returncode == 0, f"{arguments}\n{result.stdout}\n{result.stderr}"
            ran.append(arguments)
        else:
            pytest.fail(f"the web stage has a step this test does not run: {instruction} {arguments}")
    assert any("npm run build" in command for command in ran)
    index = workdir / "dist" / "index.html"
    assert index.is_file()
    assets = re.findall(r'(?:src|href)="/?(assets/[^"]+)"', index.read_text())
    assert assets and all((workdir / "dist" / asset).is_file() for asset in assets)
    # the lock file was used as it is, not rewritten
    assert (workdir / "package-lock.json").read_bytes() == (ROOT / "web" / "package-lock.json").read_bytes()


def copy_from_context(source: str, destination: Path, patterns: list[str], many: bool):
    origin = ROOT / source
    if origin.is_file():
        target = destination / origin.name if many or destination.is_dir() else destination
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(origin, target)
        return
    for path in origin.rglob("*"):
        relative = path.relative_to(ROOT).as_posix()
        if path.is_file() and not ignored(relative, patterns):
            target = destination / path.relative_to(origin)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
