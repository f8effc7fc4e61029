"""docs/integration.md works as written: every code block in it (sh with curl, Python, Java) runs
against the gateway and the bus of a system started as `make run` starts it."""
import os
import re
import subprocess
import sys

import pytest
import requests

from tests.e2e.conftest import GATEWAY, ROOT
from tests.service.gateway.support import campaign_input

BLOCK = re.compile(r"^```(sh|python|java)\n(.*?)^```$", re.M | re.S)
BLOCKS = BLOCK.findall((ROOT / "docs" / "integration.md").read_text(encoding="utf-8"))
BUS_BLOCK = next(code for language, code in BLOCKS if "LEIFENG_AMQP" in code)
OTHER_BLOCKS = [(language, code) for language, code in BLOCKS if code is not BUS_BLOCK]


@pytest.fixture(scope="module")
def environment(system):
    return {**os.environ, "LEIFENG_API": system.url(GATEWAY, ""), "LEIFENG_TOKEN": system.token("committee"),
            "LEIFENG_AMQP": system.config["AMQP_URI"].replace("pyamqp://", "amqp://", 1)}


def run(language, code, environment, directory):
    if language == "java":
        (directory / "Example.java").write_text(code, encoding="utf-8")
        command = ["java", "Example.java"]
    else:
        command = ["bash", "-euo", "pipefail", "-c", code] if language == "sh" else [sys.executable, "-c", code]
    result = subprocess.run(command, cwd=directory, env=environment, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{language} block failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_the_guide_has_curl_python_and_java_blocks():
    assert {language for language, _ in BLOCKS} == {"sh", "python", "java"}
    assert any("curl" in code for language, code in BLOCKS if language == "sh")


@pytest.mark.parametrize("language, code", OTHER_BLOCKS,
                         ids=[f"{index}-{language}" for index, (language, _) in enumerate(OTHER_BLOCKS)])
def test_each_http_and_webhook_block_runs_as_written(language, code, environment, tmp_path):
    output = run(language, code, environment, tmp_path)
    assert output.strip()
    assert "InternalError" not in output


def test_the_java_example_gets_200_with_a_request_id(environment, tmp_path):
    (java,) = [code for language, code in BLOCKS if language == "java"]
    first_line = run("java", java, environment, tmp_path).splitlines()[0]
    assert re.fullmatch(r"200 [A-Za-z0-9._~-]{1,64}", first_line)


def test_the_bus_block_subscribes_and_then_receives_the_events_of_an_http_call(environment, system, tmp_path):
    assert "subscribed to pairing.events" in run("python", BUS_BLOCK, environment, tmp_path)
    response = requests.post(system.url(GATEWAY, "/api/v1/pairing/create_campaign"), timeout=30,
                             json={"campaign": campaign_input(None)},
                             headers={"Authorization": f"Bearer {environment['LEIFENG_TOKEN']}"})
    assert response.status_code == 200, response.text
    output = run("python", BUS_BLOCK, environment, tmp_path)
    assert f"pairing campaign_created {response.json()['id']} 1" in output
