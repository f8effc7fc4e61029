"""`make bench` works: its short mode starts the system and the baseline pair, drives both, and
writes every figure issue 16 asks for. Figures are not judged here (speed goals live in bench/)."""
import json
import subprocess
import sys

from tests.e2e.conftest import E2E_REDIS_URL, ROOT

FIGURES = ("baseline", "pipeline", "resident_mb", "campaign_report", "list_issues", "redis_persistence", "goals")


def test_the_short_bench_writes_every_figure(tmp_path):
    out = tmp_path / "results.json"
    done = subprocess.run([sys.executable, "-m", "bench", "--short", "--redis-url", E2E_REDIS_URL, "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(out.read_text())
    assert set(FIGURES) <= set(results)
    assert len(results["rounds"]) == results["parameters"]["rounds"] == 2
    assert results["pipeline"] in [one["pipeline"] for one in results["rounds"]]
    pipeline = results["pipeline"]
    assert pipeline["count"] == results["parameters"]["completions"] and pipeline["end_to_end_per_s"] > 0
    assert pipeline["latency_ms"]["count"] == round(results["parameters"]["rate"] * results["parameters"]["seconds"])
    assert {"pairing", "activity", "summary", "notification", "gateway", "BaselineCaller", "BaselineHandler"} <= \
        set(results["resident_mb"]["after"])
    # CPU per completion of each process the throughput run kept busy, the broker and Redis included.
    assert {"activity", "summary", "notification", "rabbitmq", "redis", "bench"} <= set(pipeline["cpu_ms_per_completion"])
    assert sum(pipeline["cpu_ms_per_completion"].values()) > 0
    assert [row["records"] for row in results["list_issues"]] == results["parameters"]["sizes"]
    assert all(row["items"] == 50 for row in results["list_issues"])
    assert "goal end_to_end_ratio" in done.stdout
