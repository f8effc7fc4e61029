"""Every RPC method of every service, called with hypothesis-generated arguments (lone surrogates,
control and bidi characters, ids that try to reach other keys, huge integers, deep nesting, wrong
types, None): never an `InternalError`, never a hung call, never a dead worker (issue 11)."""
import inspect

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from nameko.exceptions import RemoteError
from nameko.rpc import Rpc

from services.activity.service import ActivityService
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


def arguments_for(parameters):
    """Every required argument, each optional one now and then, all of them hostile."""
    fields = {}
    for parameter in parameters:
        value = VALUES if parameter.default is inspect.Parameter.empty else st.none() | VALUES
        fields[parameter.name] = value
    return st.fixed_dictionaries(fields)


@pytest.fixture
def system(start_service):
    return [start_service(service_cls) for service_cls in SERVICES]


@pytest.mark.parametrize("service_cls", SERVICES, ids=lambda cls: cls.name)
def test_hostile_arguments_never_give_an_internal_error_a_hang_or_a_dead_worker(system, rpc, service_cls):
    proxy = getattr(rpc(timeout=CALL_TIMEOUT), service_cls.name)
    methods = rpc_methods(service_cls)
    assert methods, "no RPC methods found"
    for method_name, parameters in methods:
        @settings(max_examples=EXAMPLES_PER_METHOD, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(arguments_for(parameters))
        def call(kwargs):
            try:
                getattr(proxy, method_name)(**kwargs)
            except RemoteError as err:
                assert err.exc_type != "InternalError", f"{service_cls.name}.{method_name}: InternalError"
                assert err.exc_type in ("ValidationError", "NotFound", "Conflict", "Forbidden"), (
                    f"{service_cls.name}.{method_name}: {err.exc_type}")

        call()
    assert all(not container._died.ready() for container in system), "a service container died"
