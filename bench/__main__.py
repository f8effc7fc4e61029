"""`make bench`: the whole pipeline against the framework's own limit, in one run (issue 16).

    python -m bench [--short] [--callers 8] [--completions 1000] [--rounds 3] [--rate 50]
                    [--seconds 10] [--sizes 1000,100000] [--calls 20]
                    [--redis-url redis://127.0.0.1:6379/9] [--out bench/results.json]

Starts the system as `make run` does (scripts/run.sh) on a vhost of its own and the bench's Redis
database (flushed before and after), with the baseline pair of bench/baseline.py beside it, and
measures side by side: both driven by `--callers` concurrent callers (calls/s, completions/s and
their ratio), both at `--rate` offered per second for `--seconds` (end-to-end latency), the
resident memory of every process before and after, `campaign_report` and a filtered `list_issues`
page at each of `--sizes` records, and Redis's persistence settings. The throughput and latency
runs are taken in `--rounds` rounds, each the baseline pair then the pipeline: a shared machine's
speed drifts over minutes, so each round's ratios compare runs a minute apart; each goal takes
its ratio's median over the rounds, and the figures printed are the median end-to-end round's.
Prints the figures and writes them as JSON. `--short` is the test suite's run: tiny sizes, no
figure worth reading."""
import eventlet

eventlet.monkey_patch()  # noqa: E402

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

from services.common.topology import load_config  # noqa: E402

from . import campaign_report, lists, load  # noqa: E402
from .baseline import KEY  # noqa: E402
from .pipeline import Pipeline, Proxies  # noqa: E402
from .system import ROOT, System  # noqa: E402

SHORT = {"completions": 24, "seconds": 0.5, "sizes": "1000,2000", "calls": 3, "rounds": 2}
# The services as the tests run them: retries and the relay quick, deadline checks out of the way.
SETTINGS = {"OUTBOX_RELAY_INTERVAL": "1", "DEADLINE_CHECK_INTERVAL": "3600"}
GOALS = {"end_to_end_ratio": 0.33, "p99_ratio": 3.0, "size_ratio": 1.5, "resident_mb": 100}


def with_cpu(system, run):
    """`run()`'s figures with the CPU milliseconds each process spent on one of its completions."""
    before = system.cpu_seconds()
    figures = run()
    after = system.cpu_seconds()
    figures["cpu_ms_per_completion"] = {name: round((after[name] - before[name]) * 1000 / figures["count"], 2)
                                        for name in after if name in before}
    return figures


class Baseline:
    """The baseline pair driven by `callers` proxies; each run takes numbers not used before."""

    def __init__(self, system, callers):
        self.system, self.proxies, self.used = system, Proxies(system.amqp_uri, system.token(), callers), 0

    def call(self, slot, number):
        return self.proxies[slot].bench_baseline.ping(number)

    def done(self, numbers):
        return [None if at is None else float(at) for at in self.system.redis.mget([KEY.format(n) for n in numbers])]

    def warm_up(self, callers):
        load.closed_loop(self.call, range(-20, 0), callers)

    def numbers(self, count):
        self.used += count
        return range(self.used - count, self.used)

    def close(self):
        self.proxies.close()


def drive(system, call, done, counted, timed, args):
    """Throughput over `counted` (with CPU per completion), then latency over `timed`."""
    through = with_cpu(system, lambda: load.throughput(call, done, counted, args.callers, args.timeout))
    return through, load.latency(call, done, timed, args.rate, args.callers, args.timeout)


def one_round(system, baseline, pipeline, args):
    """The baseline pair, then the pipeline, back to back under the same load."""
    timed = round(args.rate * args.seconds)
    counted, offered = pipeline.plan(args.completions, args.callers), pipeline.plan(timed, args.callers)
    pipeline.settle(args.timeout)  # the plans' own events handled: not counted against the completions
    started = os.getloadavg()
    base_through, base_latency = drive(system, baseline.call, baseline.done, baseline.numbers(args.completions),
                                       baseline.numbers(timed), args)
    through, latency = drive(system, pipeline.complete, pipeline.done, counted, offered, args)
    return {"load_average": started, "baseline": {**base_through, "latency_ms": base_latency},
            "pipeline": {"complete_activity_calls_per_s": through["calls_per_s"],
                         "end_to_end_per_s": through["completed_per_s"], "count": through["count"],
                         "cpu_ms_per_completion": through["cpu_ms_per_completion"],
                         "ratio_to_baseline": through["completed_per_s"] / base_through["completed_per_s"],
                         "latency_ms": latency, "p99_ratio_to_baseline": latency["p99"] / base_latency["p99"]}}


def rounds_figures(system, args):
    baseline, pipeline = Baseline(system, args.callers), Pipeline(system, args.callers)
    try:
        baseline.warm_up(args.callers)
        pipeline.warm_up(args.callers, args.timeout)
        return [one_round(system, baseline, pipeline, args) for _ in range(args.rounds)]
    finally:
        baseline.close()
        pipeline.close()


def size_figures(system, args):
    config = {**load_config(str(ROOT / "config.yml")), "AMQP_URI": system.amqp_uri, "REDIS_URL": args.redis_url}
    report = campaign_report.run(config, args.calls, args.sizes)
    proxies = Proxies(system.amqp_uri, system.token(), 1)
    try:
        issues = lists.run(system, proxies, args.sizes, args.calls)
    finally:
        proxies.close()
    return ([{"records": size, "median_ms": rpc[0], "p95_ms": rpc[1], "redis_commands": commands}
             for size, rpc, _, commands in report],
            [{"records": size, "median_ms": rpc[0], "p95_ms": rpc[1], "items": items} for size, rpc, items in issues])


def persistence(client):
    settings = {**client.config_get("save"), **client.config_get("appendonly"), **client.config_get("appendfsync")}
    return {key: value for key, value in sorted(settings.items())}


def measure(args):
    with tempfile.TemporaryDirectory() as workdir, System(args.redis_url, workdir, SETTINGS) as system:
        results = {"taken_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "load_average": os.getloadavg(),
                   "parameters": {k: v for k, v in vars(args).items() if k != "out"},
                   "redis_persistence": persistence(system.redis), "resident_mb": {"before": system.resident_mb()}}
        results["rounds"] = rounds_figures(system, args)
        middle = median_round(results["rounds"])
        results["baseline"], results["pipeline"] = middle["baseline"], middle["pipeline"]
        results["campaign_report"], results["list_issues"] = size_figures(system, args)
        results["resident_mb"]["after"] = system.resident_mb()
        results["load_average_after"] = os.getloadavg()
    results["goals"] = goals(results)
    return results


def median_round(rounds):
    """The round whose end-to-end ratio is the median (of an even count, the lower middle one)."""
    ordered = sorted(rounds, key=lambda one: one["pipeline"]["ratio_to_baseline"])
    return ordered[(len(ordered) - 1) // 2]


def growth(rows):
    return rows[-1]["median_ms"] / rows[0]["median_ms"]


def goals(results):
    """Each goal of issue 16 with the figure reached and whether it is met."""
    after = results["resident_mb"]["after"]
    services = {name: mb for name, mb in after.items() if not name.startswith("Baseline")}
    # The median over the rounds; of an even count, the middle figure farther from the goal.
    rounds = [one["pipeline"] for one in results["rounds"]]
    reached = {"end_to_end_ratio": (statistics.median_low(r["ratio_to_baseline"] for r in rounds), ">="),
               "p99_ratio": (statistics.median_high(r["p99_ratio_to_baseline"] for r in rounds), "<="),
               "report_size_ratio": (growth(results["campaign_report"]), "<="),
               "list_size_ratio": (growth(results["list_issues"]), "<="),
               "resident_mb": (max(services.values()), "<=")}
    rows = {}
    for name, (value, sense) in reached.items():
        goal = GOALS[name if name in GOALS else "size_ratio"]
        rows[name] = {"reached": round(value, 3), "goal": goal, "met": value >= goal if sense == ">=" else value <= goal}
    return rows


def render(results):
    base, pipe = results["baseline"], results["pipeline"]
    lines = [f"bench {results['taken_at']}, load average {results['load_average']}",
             f"Redis persistence: {results['redis_persistence']}",
             f"baseline pair: {base['calls_per_s']:.0f} calls/s, {base['completed_per_s']:.0f} completions/s "
             f"({base['count']} by {results['parameters']['callers']} callers)",
             f"pipeline: complete_activity {pipe['complete_activity_calls_per_s']:.0f} calls/s, end to end "
             f"{pipe['end_to_end_per_s']:.0f} completions/s = {pipe['ratio_to_baseline']:.2f} of the baseline"
             f" (the median round of {len(results['rounds'])}; its figures follow)"]
    lines += [f"round {n}: load {one['load_average'][0]:.1f}, baseline {one['baseline']['completed_per_s']:.0f}/s, "
              f"pipeline {one['pipeline']['end_to_end_per_s']:.0f}/s = {one['pipeline']['ratio_to_baseline']:.3f}; "
              f"p99 {one['pipeline']['latency_ms']['p99']:.1f} / {one['baseline']['latency_ms']['p99']:.1f} ms = "
              f"{one['pipeline']['p99_ratio_to_baseline']:.2f}x" for n, one in enumerate(results["rounds"], 1)]
    for name, figures in (("baseline", base), ("pipeline", pipe)):
        lines.append(f"{name} CPU ms per completion: " + ", ".join(
            f"{k} {v}" for k, v in figures["cpu_ms_per_completion"].items()))
    for name, figures in (("baseline", base["latency_ms"]), ("pipeline", pipe["latency_ms"])):
        lines.append(f"{name} latency at {figures['offered_per_s']}/s offered ({figures['count']}): "
                     + ", ".join(f"{p} {figures[p]:.1f} ms" for p in ("p50", "p95", "p99", "max")))
    for name in ("campaign_report", "list_issues"):
        lines.append(f"{name}: " + ", ".join(f"{row['records']:,} records {row['median_ms']:.2f} ms median "
                                             f"({row['p95_ms']:.2f} p95)" for row in results[name]))
    for moment in ("before", "after"):
        lines.append(f"resident MB {moment}: " + ", ".join(f"{k} {v}" for k, v in results["resident_mb"][moment].items()))
    lines += [f"goal {name}: {row['reached']} (goal {row['goal']}) {'met' if row['met'] else 'NOT met'}"
              for name, row in results["goals"].items()]
    return "\n".join(lines)


def at_least_one(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("at least 1")
    return value


def parser():
    main = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    main.add_argument("--short", action="store_true", help="the test suite's run: tiny sizes")
    main.add_argument("--callers", type=int, default=8, help="concurrent callers of the throughput runs")
    main.add_argument("--completions", type=int, default=1000, help="calls of each throughput run")
    main.add_argument("--rounds", type=at_least_one, default=3,
                      help="rounds of baseline then pipeline runs; each goal takes its ratio's median")
    main.add_argument("--rate", type=float, default=50, help="offered calls per second of the latency runs")
    main.add_argument("--seconds", type=float, default=10, help="length of each latency run")
    main.add_argument("--sizes", default="1000,100000", help="record counts for the report and the list")
    main.add_argument("--calls", type=int, default=20, help="calls timed per size")
    main.add_argument("--timeout", type=float, default=300, help="seconds to wait for a run to finish")
    main.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9"))
    main.add_argument("--out", default=str(ROOT / "bench" / "results.json"))
    return main


def main(argv=None):
    args = parser().parse_args(argv)
    if args.short:
        for name, value in SHORT.items():
            setattr(args, name, value)
    args.sizes = [int(size) for size in str(args.sizes).split(",")]
    results = measure(args)
    print(render(results))
    with open(args.out, "w") as out:
        json.dump(results, out, indent=2, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
