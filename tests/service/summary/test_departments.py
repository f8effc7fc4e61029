"""Departments on real RabbitMQ and Redis: the seed file loaded once, registration, listing."""
import json

import pytest

from services.summary import seed
from services.summary.service import SummaryService
from tests.helpers import free_port, outcome, remote_error, wait_until
from tests.service.summary.helpers import SEEDED, WHO, allowed

# The seed departments take every category but `other` (which no department may take): a new
# department receives transfers only, unless a test starts from a smaller seed file.
CARE = {"code": "pension-reform", "name": "养老保险改革办", "categories": [],
        "contact_email": "pension@example.org"}


def start_instance(start_service):
    return start_service(SummaryService, WEB_SERVER_ADDRESS=f"127.0.0.1:{free_port()}")


def test_the_seed_departments_are_registered_and_announced_at_the_first_start(start_service, listen, rpc,
                                                                               redis_client):
    listener = listen("summary", "department_registered")
    start_service(SummaryService)
    registered = listener.wait_for("department_registered", count=SEEDED)
    assert {e["data"]["code"] for e in registered} == {d["code"] for d in seed.read_seed()}
    assert {e["subject"] for e in registered} == {e["data"]["code"] for e in registered}
    listed = rpc("unit", unit="U001").summary.list_departments()
    assert {d["code"]: d["categories"] for d in listed["items"]} == {
        d["code"]: d["categories"] for d in seed.read_seed()}
    assert listed["next_cursor"] is None
    assert redis_client.hgetall("summary:routes")["elderly_care"] == "elderly-care"


def test_two_instances_and_a_restart_load_the_seed_once(start_service, listen, rpc, redis_client, tmp_path,
                                                        monkeypatch):
    listener = listen("summary", "department_registered")
    first, second = start_instance(start_service), start_instance(start_service)
    listener.wait_for("department_registered", count=SEEDED)
    first.stop()
    second.stop()
    # The next start reads a seed file with one entry more: only that one is registered.
    extended = tmp_path / "departments.json"
    extended.write_text(json.dumps([*json.loads(seed.SEED_FILE.read_text(encoding="utf-8")), CARE]),
                        encoding="utf-8")
    monkeypatch.setattr(seed, "SEED_FILE", extended)
    start_instance(start_service)
    [added] = listener.wait_for("department_registered", where=lambda event: event["subject"] == CARE["code"])
    assert added["data"]["categories"] == []
    codes = [e["subject"] for e in listener.events("department_registered")]
    assert len(codes) == SEEDED + 1 and len(set(codes)) == SEEDED + 1
    assert len(rpc().summary.list_departments()["items"]) == SEEDED + 1


def test_a_seed_entry_taken_by_the_committee_before_is_skipped(start_service, listen, rpc, redis_client,
                                                               tmp_path, monkeypatch):
    path = tmp_path / "departments.json"
    care = {**CARE, "categories": ["elderly_care"]}
    path.write_text(json.dumps([care, {**care, "code": "other-office", "name": "另一办公室"}]), encoding="utf-8")
    monkeypatch.setattr(seed, "SEED_FILE", path)
    listener = listen("summary", "department_registered")
    start_service(SummaryService)
    wait_until(lambda: redis_client.hlen("summary:seeded") == 2, message="seed file read")
    assert [e["subject"] for e in listener.wait_for("department_registered")] == [CARE["code"]]
    assert [d["code"] for d in rpc().summary.list_departments()["items"]] == [CARE["code"]]


@pytest.mark.usefixtures("summary_service")
def test_register_department_and_list_it_newest_first(rpc, listen):
    listener = listen("summary", "department_registered")
    record = rpc().summary.register_department(CARE)
    assert {k: record[k] for k in CARE} == CARE
    assert record["created_at"] and record["updated_at"]
    [event] = listener.wait_for("department_registered")
    assert (event["subject"], event["seq"], event["data"]) == (CARE["code"], 1, record)
    page = rpc("department", department="elderly-care").summary.list_departments(limit=3)
    assert page["items"][0] == record and len(page["items"]) == 3
    rest = rpc("ops").summary.list_departments(limit=200, cursor=page["next_cursor"])
    assert len(rest["items"]) == SEEDED - 2 and rest["next_cursor"] is None


def test_an_issue_category_of_a_new_department_is_routed_to_it(start_service, rpc, redis_client, tmp_path,
                                                               monkeypatch):
    path = tmp_path / "departments.json"
    path.write_text(json.dumps([{**CARE, "code": "elderly-care", "categories": ["elderly_care"]}]), encoding="utf-8")
    monkeypatch.setattr(seed, "SEED_FILE", path)
    start_service(SummaryService)
    wait_until(lambda: redis_client.hlen("summary:seeded") == 1, message="seed file read")
    rpc().summary.register_department({**CARE, "categories": ["child_welfare"]})
    assert redis_client.hgetall("summary:routes") == {"elderly_care": "elderly-care", "child_welfare": CARE["code"]}


@pytest.mark.usefixtures("summary_service")
@pytest.mark.parametrize("department", [
    {**CARE, "code": "elderly-care"},
    {**CARE, "categories": ["elderly_care"]},
])
def test_a_taken_code_or_category_is_a_conflict_and_nothing_changes(rpc, listen, redis_client, department):
    routes = redis_client.hgetall("summary:routes")
    listener = listen("summary", "department_registered")
    error = remote_error(lambda: rpc().summary.register_department(department))
    assert error.exc_type == "Conflict"
    assert redis_client.hgetall("summary:routes") == routes
    assert len(rpc().summary.list_departments()["items"]) == SEEDED
    assert listener.events() == []


@pytest.mark.usefixtures("summary_service")
def test_no_department_may_take_the_triage_category_other(rpc, listen, redis_client):
    listener = listen("summary", "department_registered")
    error = remote_error(lambda: rpc().summary.register_department({**CARE, "categories": ["child_welfare", "other"]}))
    assert (error.exc_type, list(json.loads(error.value))) == ("ValidationError", ["department.categories.1"])
    assert redis_client.hget("summary:routes", "other") is None
    assert not redis_client.exists(f"summary:department:{CARE['code']}")
    assert listener.events() == []


@pytest.mark.usefixtures("summary_service")
def test_a_repeated_request_id_returns_the_first_department(rpc, redis_client):
    first = rpc().summary.register_department(CARE, request_id="req-1")
    again = rpc().summary.register_department(CARE, request_id="req-1")
    assert first == again
    assert remote_error(lambda: rpc().summary.register_department(CARE, request_id="req-2")).exc_type == "Conflict"


@pytest.mark.usefixtures("summary_service")
def test_bad_input_names_the_field_and_stores_nothing(rpc, redis_client):
    error = remote_error(lambda: rpc().summary.register_department({**CARE, "code": "Bad Code", "contact_email": "x"}))
    assert error.exc_type == "ValidationError"
    assert set(json.loads(error.value)) == {"department.code", "department.contact_email"}
    assert not redis_client.exists("summary:department:Bad Code")


@pytest.mark.usefixtures("summary_service")
def test_who_may_register_and_list_departments(rpc):
    def register(index, who):
        department = {**CARE, "code": f"office-{index}", "categories": []}
        return outcome(lambda: rpc(**WHO[who]).summary.register_department(department))

    assert {who: register(i, who) for i, who in enumerate(WHO)} == allowed("committee")
    assert {who: outcome(lambda: rpc(**WHO[who]).summary.list_departments()) for who in WHO} == allowed(
        *(who for who in WHO if who != "no token"))


def test_a_deployment_seeds_its_own_departments_file(start_service, rpc, redis_client, tmp_path):
    path = tmp_path / "departments.json"
    real = {**CARE, "categories": ["elderly_care"], "contact_email": "real@mca.gov.example"}
    path.write_text(json.dumps([real]), encoding="utf-8")
    start_service(SummaryService, DEPARTMENTS_FILE=str(path))
    wait_until(lambda: redis_client.hlen("summary:seeded") == 1, message="the deployment's seed file read")
    [listed] = rpc().summary.list_departments()["items"]
    assert {k: listed[k] for k in real} == real
    assert redis_client.hgetall("summary:routes") == {"elderly_care": CARE["code"]}
