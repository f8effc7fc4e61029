"""scripts/test-tools.sh: what `make test` installs beyond pip on a bare machine. Run against stand-in
`id`, `dpkg-query` and `apt-get` commands on a PATH of their own, so the real system is not touched."""
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "test-tools.sh"
PACKAGES = ["docker-compose", "prometheus", "chromium", "chromium-driver", "fonts-wqy-microhei"]
ALL = " ".join(PACKAGES)


def stand_in(directory, name, body):
    path = directory / name
    path.write_text(f"#!/bin/bash\n{body}\n")
    path.chmod(0o755)


def run(tmp_path, uid, apt_get_body="exit 0", installed=()):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stand_in(bin_dir, "id", f"echo {uid}")
    known = " ".join(installed)
    stand_in(bin_dir, "dpkg-query",
             f'for p in {known}; do [[ $p == "${{@: -1}}" ]] && printf "install ok installed" && exit 0; done; exit 1')
    stand_in(bin_dir, "apt-get", f'echo "$*" >> {tmp_path}/apt.log\n{apt_get_body}')
    result = subprocess.run(["/bin/bash", str(SCRIPT)], env={"PATH": str(bin_dir)}, capture_output=True,
                            text=True, timeout=30)
    log = tmp_path / "apt.log"
    return result, log.read_text().splitlines() if log.exists() else []


def test_nothing_happens_when_every_package_is_there(tmp_path):
    result, apt = run(tmp_path, uid=0, installed=PACKAGES)
    assert (result.returncode, result.stdout, result.stderr, apt) == (0, "", "", [])


def test_as_root_only_the_missing_packages_are_installed(tmp_path):
    result, apt = run(tmp_path, uid=0, installed=["chromium", "fonts-wqy-microhei"])
    assert result.returncode == 0
    assert apt == ["install -y -q --no-install-recommends docker-compose prometheus chromium-driver"]


def test_a_failed_install_updates_the_package_lists_once_and_tries_again(tmp_path):
    fails_until_updated = f'[[ $1 == update ]] && : > {tmp_path}/updated; [[ -e {tmp_path}/updated ]]'
    result, apt = run(tmp_path, uid=0, apt_get_body=fails_until_updated)
    assert (result.returncode, result.stderr) == (0, "")
    install = f"install -y -q --no-install-recommends {ALL}"
    assert apt == [install, "update -q", install]


def test_an_install_that_still_fails_says_so_in_one_line(tmp_path):
    result, apt = run(tmp_path, uid=0, apt_get_body="exit 100")
    assert len(apt) == 3
    assert result.stderr.count("\n") == 1 and ALL in result.stderr


def test_without_root_one_line_says_what_to_install(tmp_path):
    result, apt = run(tmp_path, uid=1000)
    assert (result.returncode, apt) == (0, [])
    assert result.stderr == f"the tests need the Debian package(s) {ALL}: run sudo apt-get install -y {ALL}\n"
