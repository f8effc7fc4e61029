"""The full pipeline of one completion: `complete_activity` answered, then summary's request and its
forwarded issue, then notification's inbox entry for the unit. A completion is finished when the
summary (written with its issue, in one transaction) and the unit's notification both exist; its
finish time is the later of their `created_at`, taken by the services themselves."""
import json
import time
import uuid
from datetime import timedelta

from nameko.standalone.rpc import ClusterRpcProxy

from services.common import clock
from services.common.ids import derived_id

from .load import closed_loop, wait_done

TARGET = {"name": "压测对象", "category": "group_in_difficulty", "kind": "household", "district": "丰台区",
          "address": "丰台区", "contact_name": "测试", "contact_phone": "13712345678",
          "needs": ["home_repair"], "notes": ""}
PROBLEM = {"description": "希望有助餐服务", "category": "elderly_care", "business_related": True,
           "resolved_on_site": False}


class Proxies:
    """One RPC proxy per caller slot (a standalone proxy serves one call at a time)."""

    def __init__(self, amqp_uri, token, count, timeout=120):
        self.config, self.token, self.timeout = {"AMQP_URI": amqp_uri, "serializer": "json"}, token, timeout
        self.proxies = [self._proxy() for _ in range(count)]
        self.slots = [proxy.start() for proxy in self.proxies]

    def _proxy(self):
        return ClusterRpcProxy(self.config, context_data={"auth_token": self.token}, timeout=self.timeout)

    def __getitem__(self, slot):
        return self.slots[slot]

    def renew(self, slot):
        """A new proxy in `slot`: one whose connection or reply queue was lost cannot be used again."""
        stop(self.proxies[slot])
        self.proxies[slot] = self._proxy()
        self.slots[slot] = self.proxies[slot].start()

    def close(self):
        for proxy in self.proxies:
            stop(proxy)


def stop(proxy):
    try:
        proxy.stop()
    except Exception:  # noqa: BLE001  its connection was lost with a broker node
        pass


class Pipeline:
    """A unit with an approved pairing and `count` planned activities, ready to be completed."""

    def __init__(self, system, callers, rpc_timeout=120):
        self.system, self.code = system, f"B{uuid.uuid4().hex[:6].upper()}"
        self.committee = Proxies(system.amqp_uri, system.token(), 1, rpc_timeout)
        self.unit = Proxies(system.amqp_uri, system.token("unit", unit=self.code), callers, rpc_timeout)
        self.activities, self.started = [], clock.now() - timedelta(hours=3)
        self.pairing = self._approved_pairing()

    def _approved_pairing(self):
        committee = self.committee[0].pairing
        committee.register_unit({"code": self.code, "name": "压测单位", "party_org": "压测单位党支部",
                                 "contact_name": "联系人", "contact_phone": "010-63334444",
                                 "contact_email": "bench@example.org"})
        deadline = clock.now().date() + timedelta(days=10)
        campaign = committee.create_campaign({"name": f"压测 {self.code}", "year": deadline.year,
                                              "report_deadline": deadline.isoformat(), "unit_codes": [self.code]})
        pairing = self.unit[0].pairing.report_pairing(campaign["id"], self.code, TARGET)
        committee.review_pairing(pairing["id"], "approve", "同意")
        return pairing

    def warm_up(self, callers, timeout):
        warm = self.plan(10, callers)
        closed_loop(self.complete, warm, callers)
        self.wait(warm, timeout)

    def settle(self, timeout):
        """Wait until summary has counted every planned activity and notification keeps each in its
        directory: the plans' events are then handled, and do not compete with the runs."""
        redis, campaign = self.system.redis, self.pairing["campaign_id"]
        directory = [f"notification:directory:activity:{activity_id}" for activity_id in self.activities]

        def handled(_numbers):
            counted = sum(int(n or 0) for n in redis.hmget(f"summary:report:{campaign}:totals", "activities.planned",
                                                           "activities.completed", "activities.cancelled"))
            return [time.time() if counted >= len(self.activities) and redis.exists(*directory) == len(directory)
                    else None]
        wait_done(handled, [0], timeout)

    def plan(self, count, callers):
        """Plan `count` more activities; their numbers (indexes into `self.activities`)."""
        first = len(self.activities)
        self.activities.extend([None] * count)

        def plan_one(slot, number):
            self.activities[number] = self.unit[slot].activity.plan_activity(self.planned(self.pairing["id"]))["id"]

        closed_loop(plan_one, range(first, first + count), callers)
        return list(range(first, first + count))

    def planned(self, pairing_id):
        """An activity to plan with `pairing_id`."""
        return {"pairing_id": pairing_id, "title": "上门服务", "service_types": ["home_repair"],
                "scheduled_start": clock.iso(self.started), "scheduled_end": clock.iso(self.started + timedelta(hours=2)),
                "location": "丰台区", "planned_volunteers": 1}

    def complete(self, slot, number, request_id=None):
        ended = self.started + timedelta(hours=2)
        return self.unit[slot].activity.complete_activity(self.activities[number], {
            "started_at": clock.iso(self.started), "ended_at": clock.iso(ended),
            "volunteers": [{"name": "志愿者", "party_member": True, "youth": False, "hours": 2}],
            "services_delivered": ["home_repair"], "beneficiaries": 1, "description": "服务",
            "problems": [PROBLEM], "opinions": []}, request_id=request_id)

    def done(self, numbers):
        """For each number, the epoch second its completion finished (None while it has not)."""
        redis = self.system.redis
        summary_ids = redis.mget([f"summary:activity:{self.activities[n]}" for n in numbers])
        known = [s for s in summary_ids if s]
        summaries = dict(zip(known, redis.mget([f"summary:summary:{s}" for s in known]))) if known else {}
        notices = dict(zip(known, redis.mget([f"notification:n:{self.notice_id(s)}" for s in known]))) if known else {}
        return [finished(summaries.get(s), notices.get(s)) if s else None for s in summary_ids]

    def notice_id(self, summary_id):
        return derived_id("notification", ["summary_requested", summary_id, 1, f"unit:{self.code}"])

    def wait(self, numbers, timeout):
        return wait_done(self.done, numbers, timeout)

    def close(self):
        self.committee.close()
        self.unit.close()


def finished(*raw_records):
    if any(raw is None for raw in raw_records):
        return None
    return max(clock.parse(json.loads(raw)["created_at"]).timestamp() for raw in raw_records)
