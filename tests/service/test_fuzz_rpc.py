"""Every RPC method of every service, called with hypothesis-generated arguments (lone surrogates,
control and bidi characters, ids that try to reach other keys, huge integers, deep nesting, wrong
types, None): never an `InternalError`, never a hung call, never a dead worker (issue 11)."""
import inspect
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from nameko.exceptions import RemoteError
from nameko.rpc import Rpc

from services.activity.service import ActivityService
from services.common import clock
from services.notification.service import NotificationService
from services.pairing.service import PairingService
from services.summary.service import SummaryService

SERVICES = (PairingService, ActivityService, SummaryService, NotificationService)
EXAMPLES_PER_METHOD = 30
CALL_TIMEOUT = 10  # seconds: a call that takes longer counts as hung

NASTY_STRINGS = [
    "", " ", "\u200b", "\ud800", "a\udfffb", "\x00", "U001\n", "U001\x01", "\u202eevil", "*", "?", "#",
    "c0123456789abcdef:unit:U001", "p0123456789abcdef", "0" * 32, "S0000001", "elderly-care", "U001",
    "committee", "unit:U001", "department:elderly-care", "=HYPERLINK(\"http://x\")", "１３９１２３４５６７８",
    "2026-03-01T10:00:00+08:00", "2026-03-01T10:00:00", "9999-12-31T23:59:59-12:00", "1700000000000:x",
    "x" * 3000,
]
TEXT = st.text(st.characters(categories=("Cs", "Cc", "Cf", "Zs", "Nd", "Lu", "Ll", "Lo", "Po", "Sm")), max_size=12)
SCALARS = (st.none() | st.booleans() | st.sampled_from(NASTY_STRINGS) | TEXT
           | st.integers(min_value=-2 ** 70, max_value=2 ** 70) | st.sampled_from([2 ** 63 - 1, -2 ** 63, 10 ** 30])
           | st.floats(allow_nan=False, allow_infinity=False))


PLAUSIBLE = st.text(max_size=20) | st.integers(min_value=-5, max_value=10 ** 6) | st.sampled_from(NASTY_STRINGS[12:])


def nested(depth):
    value = "deep"
    for level in range(depth):
        value = [value] if level % 2 else {"a": value}
    return value


VALUES = (st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                       | st.dictionaries(st.sampled_from(NASTY_STRINGS[:12]) | TEXT, inner, max_size=3),
                       max_leaves=8)
          | st.integers(min_value=20, max_value=40).map(nested))


def rpc_methods(service_cls):
    """(name, parameters) of each RPC of a service class, `self` left out."""
    found = []
    for method_name, method in inspect.getmembers(service_cls, callable):
        if any(isinstance(e, Rpc) for e in getattr(method, "nameko_entrypoints", ())):
            found.append((method_name, list(inspect.signature(method).parameters.values())[1:]))
    return sorted(found, key=lambda item: item[0])


def valid_arguments(records):
    """Plausible arguments by name, so that mutated calls get past the first checks into the
    domain. `records` holds the ids of a campaign, a pairing and an activity made for the run."""
    soon = clock.now() + timedelta(days=30)
    ended = clock.now() - timedelta(hours=1)
    return {
        "campaign_id": records["campaign"], "pairing_id": records["pairing"], "activity_id": records["activity"],
        "summary_id": "s0123456789abcdef", "issue_id": "i0123456789abcdef", "notification_id": "0" * 24,
        "unit_code": "U001", "code": "U002", "recipient": "unit:U001", "unread_only": False,
        "limit": 10, "cursor": None, "status": None, "now": clock.iso(clock.now()), "request_id": "fuzz-1",
        "decision": "approve", "comment": "同意", "reason": "调整安排",
        "campaign": {"name": "学雷锋结对帮扶", "year": soon.year, "report_deadline": soon.date().isoformat()},
        "changes": {"name": "新名称"},
        "unit": {"code": "U002", "name": "二单位", "party_org": "二单位党支部", "contact_name": "王芳芳",
                 "contact_phone": "13912345678", "contact_email": "u2@example.org"},
        "target": {"name": "和平里养老驿站", "category": "public_welfare_org", "kind": "organization",
                   "district": "东城区", "address": "东城区和平里七区", "contact_name": "张建国",
                   "contact_phone": "13812349876", "needs": ["home_repair"], "notes": "-"},
        "activity": {"pairing_id": records["pairing"], "title": "上门维修", "service_types": ["home_repair"],
                     "scheduled_start": "2026-03-05T09:00:00+08:00", "scheduled_end": "2026-03-05T11:00:00+08:00",
                     "location": "东城区", "planned_volunteers": 3},
        "report": {"started_at": clock.iso(ended - timedelta(hours=2)), "ended_at": clock.iso(ended),
                   "volunteers": [{"name": "李明", "party_member": True, "youth": False, "hours": 2}],
                   "services_delivered": ["home_repair"], "beneficiaries": 2, "description": "修好水管",
                   "problems": [{"description": "需要助餐", "category": "elderly_care", "business_related": True,
                                 "resolved_on_site": False}], "opinions": ["多组织活动"]},
        "summary": {"experience": "经验", "shortcomings": "不足", "improvements": "改进",
                    "business_issues": [{"description": "问题", "category": "elderly_care", "countermeasure": "对策"}]},
        "department": "elderly-care",
        "answer": {"measures": "已安排", "resolved": True}, "rating": {"satisfied": False, "comment": "未解决"},
    }


# Where one argument name means different things in different methods.
PER_METHOD = {
    "register_department": {"department": {"code": "dept-x", "name": "某司", "categories": ["other"],
                                           "contact_email": "d@example.org"}},
    "update_activity": {"changes": {"title": "改期"}},
}


def leaves(value, path=()):
    """Every place in a JSON value that a mutation may replace (containers included)."""
    yield path
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        yield from leaves(child, (*path, key))


def replaced(value, path, new):
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = replaced(value[path[0]], path[1:], new)
    return copy


def value_at(value, path):
    for key in path:
        value = value[key]
    return value


def mutations(base):
    """`base` with one place replaced by a hostile value, or an unknown key added to one of its
    objects (not at the top: an unknown argument name is nameko's `IncorrectSignature`)."""
    paths = [path for path in leaves(base) if path]
    # Plain text and ordinary numbers too: values that pass the schema reach the domain and the store.
    changed = st.tuples(st.sampled_from(paths), VALUES | PLAUSIBLE).map(lambda item: replaced(base, *item))
    objects = [path for path in paths if isinstance(value_at(base, path), dict)]
    if not objects:
        return changed
    added = st.tuples(st.sampled_from(objects), st.sampled_from(NASTY_STRINGS[:12]) | TEXT, VALUES).map(
        lambda item: replaced(base, item[0], {**value_at(base, item[0]), item[1]: item[2]}))
    return changed | added


def arguments_for(method_name, parameters, valid):
    """Either every argument hostile, or plausible arguments with one place made hostile."""
    known = {**valid, **PER_METHOD.get(method_name, {})}
    hostile, base = {}, {}
    for parameter in parameters:
        optional = parameter.default is not inspect.Parameter.empty
        hostile[parameter.name] = st.none() | VALUES if optional else VALUES
        if parameter.name in known:
            base[parameter.name] = known[parameter.name]
        elif not optional:
            base = None
            break
    if base:
        return st.fixed_dictionaries(hostile) | mutations(base)
    return st.fixed_dictionaries(hostile)


@pytest.fixture
def system(start_service):
    return [start_service(service_cls) for service_cls in SERVICES]


@pytest.fixture
def records(system, rpc):
    """A unit, a campaign it takes part in, its approved pairing and a planned activity."""
    committee = rpc().pairing
    soon = clock.now() + timedelta(days=30)
    committee.register_unit(valid_arguments({"campaign": None, "pairing": None, "activity": None})["unit"]
                            | {"code": "U001"})
    campaign = committee.create_campaign({"name": "学雷锋结对帮扶", "year": soon.year,
                                          "report_deadline": soon.date().isoformat()})
    made = {"campaign": campaign["id"], "pairing": None, "activity": None}
    pairing = committee.report_pairing(campaign["id"], "U001", valid_arguments(made)["target"])
    committee.review_pairing(pairing["id"], "approve", "同意")
    made["pairing"] = pairing["id"]
    made["activity"] = rpc().activity.plan_activity(valid_arguments(made)["activity"])["id"]
    return made


@pytest.mark.parametrize("service_cls", SERVICES, ids=lambda cls: cls.name)
def test_hostile_arguments_never_give_an_internal_error_a_hang_or_a_dead_worker(system, records, rpc, service_cls):
    # The committee reaches every method; a unit takes the ownership paths.
    callers = {role: getattr(rpc(role, unit=unit, timeout=CALL_TIMEOUT), service_cls.name)
               for role, unit in (("committee", None), ("unit", "U001"))}
    valid = valid_arguments(records)
    methods = rpc_methods(service_cls)
    assert methods, "no RPC methods found"
    for method_name, parameters in methods:
        @settings(max_examples=EXAMPLES_PER_METHOD, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(st.sampled_from(sorted(callers)), arguments_for(method_name, parameters, valid))
        def call(role, kwargs):
            try:
                getattr(callers[role], method_name)(**kwargs)
            except RemoteError as err:
                assert err.exc_type in ("ValidationError", "NotFound", "Conflict", "Forbidden"), (
                    f"{service_cls.name}.{method_name} as {role}: {err.exc_type}")

        call()
    assert all(not container._died.ready() for container in system), "a service container died"
