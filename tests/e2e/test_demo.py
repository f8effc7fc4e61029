"""`make demo` (python -m services.demo) against the system as `make run` starts it: the whole
campaign through the gateway's HTTP API, run twice on the same system (its codes are its own)."""
import os
import subprocess
import sys

from services.common import auth
from tests.e2e.conftest import ROOT

SECTIONS = ["登记参加单位", "结对报送进度", "逾期报送：", "志愿服务活动", "活动总结", "问题转办", "退回重办",
            "总结逾期", "结转到下一年度", "通知：", "实效统计", "与上一年度对比", "工作台（委员会、单位、司局）：", "/api/v1/docs",
            "/api/v1/summary/export_report?campaign_id="]


def run_demo(url, key_file):
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run([sys.executable, "-m", "services.demo", "--url", url, "--key", str(key_file)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_the_demo_plays_a_campaign_and_can_run_again(system, tmp_path):
    key_file = tmp_path / "jwt_private.pem"
    key_file.write_text(system.private_key)
    for _ in range(2):
        result = run_demo(system.url("gateway", ""), key_file)
        assert result.returncode == 0, result.stderr[-3000:]
        assert [section for section in SECTIONS if section not in result.stdout] == []
        assert "Traceback" not in result.stdout + result.stderr


def test_the_demo_says_in_one_line_when_the_system_is_not_running(tmp_path):
    private, _ = auth.keygen(tmp_path)
    result = run_demo("http://127.0.0.1:9", private)
    assert (result.returncode, result.stdout) == (1, "")
    assert "make run" in result.stderr and len(result.stderr.strip().splitlines()) == 1

