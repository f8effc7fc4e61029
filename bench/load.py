"""Driving a system from outside: a closed loop of concurrent callers, an open loop at a fixed offered
rate, and the figures taken from both. A `call(number)` starts one unit of work; `done(numbers)`
reads back, for each, the epoch second its last effect was written (None while it is not)."""
import time

import eventlet

POLL = 0.02


def closed_loop(call, numbers, callers):
    """`callers` greenthreads calling in turn until `numbers` are spent; (start, seconds calling)."""
    todo = iter(numbers)
    start = time.time()

    def caller(slot):
        for number in todo:
            call(slot, number)

    pool = eventlet.GreenPool(callers)
    for slot in range(callers):
        pool.spawn(caller, slot)
    pool.waitall()
    return start, time.time() - start


def open_loop(call, numbers, rate, callers):
    """One call every 1/rate seconds whatever the answers do; {number: epoch second it was sent}."""
    sent, free = {}, eventlet.queue.LightQueue()
    for slot in range(callers):
        free.put(slot)
    pool, start = eventlet.GreenPool(callers), time.time()

    def one(number):
        slot = free.get()
        try:
            sent[number] = time.time()
            call(slot, number)
        finally:
            free.put(slot)

    for n, number in enumerate(numbers):
        eventlet.sleep(max(0.0, start + n / rate - time.time()))
        pool.spawn(one, number)
    pool.waitall()
    return sent


def wait_done(done, numbers, timeout):
    """{number: finish epoch} once every number has finished; TimeoutError past `timeout` seconds."""
    finished, pending, limit = {}, list(numbers), time.time() + timeout
    while pending:
        for number, at in zip(pending, done(pending)):
            if at is not None:
                finished[number] = at
        pending = [number for number in pending if number not in finished]
        if pending and time.time() > limit:
            raise TimeoutError(f"{len(pending)} of {len(numbers)} not finished after {timeout}s")
        eventlet.sleep(POLL if pending else 0)
    return finished


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(len(ordered) * share) - 1))]


def latency_ms(sent, finished):
    spent = [(finished[n] - sent[n]) * 1000 for n in sent]
    return {"p50": percentile(spent, 0.5), "p95": percentile(spent, 0.95), "p99": percentile(spent, 0.99),
            "max": max(spent), "count": len(spent)}


def throughput(call, done, numbers, callers, timeout):
    """Calls/s answered and completions/s finished, `numbers` driven by `callers` in a closed loop."""
    start, calling = closed_loop(call, numbers, callers)
    finished = wait_done(done, numbers, timeout)
    return {"calls_per_s": len(numbers) / calling, "completed_per_s": len(numbers) / (max(finished.values()) - start),
            "count": len(numbers)}


def latency(call, done, numbers, rate, callers, timeout):
    sent = open_loop(call, numbers, rate, callers)
    return {"offered_per_s": rate, **latency_ms(sent, wait_done(done, numbers, timeout))}
