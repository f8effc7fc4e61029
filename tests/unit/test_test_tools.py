"""scripts/test-tools.sh: what `make test` installs beyond pip on a bare machine. Run against stand-in
`id` and `apt-get` commands on a PATH without docker-compose, so the real system is not touched."""
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "test-tools.sh"


def stand_in(directory, name, body):
    path = directory / name
    path.write_text(f"#!/bin/bash\n{body}\n")
    path.chmod(0o755)


def run(tmp_path, uid, apt_get_body="exit 0", provided=()):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stand_in(bin_dir, "id", f"echo {uid}")
    stand_in(bin_dir, "apt-get", f'echo "$*" >> {tmp_path}/apt.log\n{apt_get_body}')
    for command in provided:
        stand_in(bin_dir, command, "exit 0")
    result = subprocess.run(["/bin/bash", str(SCRIPT)], env={"PATH": str(bin_dir)}, capture_output=True,
                            text=True, timeout=30)
    log = tmp_path / "apt.log"
    return result, log.read_text().splitlines() if log.exists() else []


def test_nothing_happens_when_every_tool_is_there(tmp_path):
    result, apt = run(tmp_path, uid=0, provided=["docker-compose"])
    assert (result.returncode, result.stdout, result.stderr, apt) == (0, "", "", [])


def test_as_root_a_missing_package_is_installed(tmp_path):
    result, apt = run(tmp_path, uid=0)
    assert result.returncode == 0
    assert apt == ["install -y -q docker-compose"]


def test_a_failed_install_updates_the_package_lists_once_and_tries_again(tmp_path):
    fails_until_updated = f'[[ $1 == update ]] && : > {tmp_path}/updated; [[ -e {tmp_path}/updated ]]'
    result, apt = run(tmp_path, uid=0, apt_get_body=fails_until_updated)
    assert (result.returncode, result.stderr) == (0, "")
    assert apt == ["install -y -q docker-compose", "update -q", "install -y -q docker-compose"]


def test_an_install_that_still_fails_says_so_in_one_line(tmp_path):
    result, apt = run(tmp_path, uid=0, apt_get_body="exit 100")
    assert len(apt) == 3
    assert result.stderr.count("\n") == 1 and "docker-compose" in result.stderr


def test_without_root_one_line_says_what_to_install(tmp_path):
    result, apt = run(tmp_path, uid=1000)
    assert (result.returncode, apt) == (0, [])
    assert result.stderr == ("the tests need the Debian package(s) docker-compose: "
                             "run sudo apt-get install -y docker-compose\n")
