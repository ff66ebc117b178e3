"""The live API against its own OpenAPI document, property-based (schemathesis).

Schemathesis reads ``/openapi.json`` from the running platform, generates requests from it — valid
ones and invalid ones — and checks every answer: its status is one the operation documents, its
``Content-Type`` a documented one, its body matches the documented schema, and nothing answers 5xx
(``tests/e2e/schemathesis.toml``). It runs with no token (public operations work, every other one
answers its documented 401), as an operator (cases and reports get past authorisation) and as an
administrator (reference data, users, webhooks, policies, operations).

Bounded: a few examples per operation, one request at a time, so the three runs take about two
minutes on a loaded two-core machine. The seed is fixed so that a failure reproduces;
``CONFORMANCE_SEED`` and ``CONFORMANCE_EXAMPLES`` explore further.

The platform is this module's own: generated writes (departments, categories, users, policies with
random names) must not show up in the other end-to-end tests' lists and figures.
"""

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from tests.support.platform import running_platform

CONFIG = Path(__file__).with_name("schemathesis.toml")
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
SEED = os.environ.get("CONFORMANCE_SEED", "20261206")

pytestmark = pytest.mark.timeout(420)


@pytest.fixture(scope="module")
def api(rabbit_admin, tmp_path_factory):
    with running_platform(rabbit_admin, tmp_path_factory.mktemp("conformance"), "cgapi") as running:
        yield running


@pytest.fixture(scope="module")
def document(api):
    answer = api.get("/openapi.json")
    assert answer.status_code == 200
    return answer.json()


def token(api, username: str) -> str:
    answer = api.sign_in(username)
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def conformance_run(
    api, document: dict, tmp_path, examples: int, token: str | None = None, phases: str | None = None
) -> set[str]:
    """Schemathesis against the live platform: the operations it tested, each with every check held."""
    # from a file, not the URL: schemathesis leaves out the operation it loaded the document from
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(document))
    report = tmp_path / "junit.xml"
    command = [
        str(SCHEMATHESIS),
        "--no-color",
        "--config-file",
        str(CONFIG),
        "run",
        str(spec),
        "--url",
        api.url,
        "--max-examples",
        os.environ.get("CONFORMANCE_EXAMPLES", str(examples)),
        "--seed",
        SEED,
        "--report",
        "junit",
        "--report-junit-path",
        str(report),
    ]
    if token is not None:
        command += ["--header", f"Authorization: Bearer {token}"]
    if phases is not None:
        command += ["--phases", phases]
    done = subprocess.run(command, capture_output=True, text=True, timeout=400, cwd=tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"the API and its OpenAPI document disagree:\n{output[-20000:]}"
    cases = ElementTree.parse(report).getroot().iter("testcase")
    return {case.get("name") for case in cases if not any(child.tag in ("failure", "error") for child in case)}


def documented_operations(document: dict) -> set[str]:
    """``METHOD /path`` of every operation but the live stream, which stays open by design."""
    return {
        f"{method.upper()} {path}"
        for path, operations in document["paths"].items()
        for method in operations
        if path != "/api/v1/stream"
    }


def test_without_a_token_every_answer_is_documented(api, document, tmp_path):
    # every signed-in operation answers 401 whatever the input: generated inputs add nothing there
    held = conformance_run(api, document, tmp_path, examples=2, phases="examples,fuzzing")
    assert held == documented_operations(document)


def test_an_operators_answers_are_documented_and_match_their_schemas(api, document, tmp_path):
    held = conformance_run(api, document, tmp_path, examples=4, token=token(api, "operator1"))
    assert held == documented_operations(document)


def test_an_administrators_answers_are_documented_and_match_their_schemas(api, document, tmp_path):
    held = conformance_run(api, document, tmp_path, examples=4, token=token(api, "admin"))
    assert held == documented_operations(document)
