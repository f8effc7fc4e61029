"""Bulk import of units from CSV and .xlsx on real Redis and RabbitMQ: the same path as register_unit."""
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from openpyxl import Workbook

from services.common import clock
from services.common.schemas import load
from services.common.topology import load_config
from services.pairing import import_units
from services.pairing.schemas import CreateCampaignArgs
from tests.service.pairing_support import (  # noqa: F401  (fixtures)
    UNIT_CONTACT, UNIT_PHONE, assert_no_personal_data, campaign_input, unit_input, wait_distinct,
)

HEADER = "code,name,party_org,contact_name,contact_phone,contact_email"
ROOT = Path(__file__).resolve().parents[2]


def row(unit):
    return ",".join(unit[column] for column in import_units.COLUMNS)


@pytest.fixture
def config_file(tmp_path, service_config):
    path = tmp_path / "config.yml"
    path.write_text(yaml.safe_dump({"AMQP_URI": service_config["AMQP_URI"], "REDIS_URL": service_config["REDIS_URL"]}))
    return path


@pytest.fixture
def units_csv(tmp_path):
    path = tmp_path / "units.csv"
    lines = [HEADER, row(unit_input("U1")), row(unit_input("U2")),
             row(unit_input("U3", contact_phone="12345", contact_email="bad-address")),
             "", row(unit_input("U1")), row(unit_input("U2", name="改名了")), row(unit_input("坏 代码"))]
    path.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(path, config_file, *flags):
    return import_units.main([str(path), "--config", str(config_file), *flags])


def test_an_import_registers_valid_rows_and_reports_bad_ones_by_line(units_csv, config_file, redis_client,
                                                                     listen, capsys):
    events = listen("pairing", "unit_registered")
    assert run(units_csv, config_file) == 1
    out = capsys.readouterr().out
    assert "第4行(line 4): contact_email:" in out and "contact_phone:" in out
    assert "第7行(line 7): code: 单位代码已存在且信息不同" in out
    assert "第8行(line 8): code:" in out
    assert "已注册(registered) 2, 已存在跳过(skipped) 1, 错误(refused) 3" in out
    for value in (UNIT_PHONE, UNIT_CONTACT, "12345", "bad-address", "改名了"):
        assert value not in out
    assert sorted(redis_client.smembers("pairing:units:active")) == ["U1", "U2"]
    registered = wait_distinct(events, "unit_registered", 2)
    assert sorted(e["subject"] for e in registered) == ["U1", "U2"]
    assert_no_personal_data(registered)


def test_importing_the_same_file_again_changes_nothing(units_csv, config_file, redis_client, listen, capsys):
    run(units_csv, config_file)
    before = {key: redis_client.dump(key) for key in redis_client.keys("pairing:unit*")}
    events = listen("pairing")
    assert run(units_csv, config_file) == 1
    assert "已注册(registered) 0, 已存在跳过(skipped) 3, 错误(refused) 3" in capsys.readouterr().out
    assert {key: redis_client.dump(key) for key in redis_client.keys("pairing:unit*")} == before
    assert events.events() == []


def test_a_dry_run_checks_everything_and_writes_nothing(units_csv, config_file, redis_client, capsys):
    assert run(units_csv, config_file, "--dry-run") == 1
    out = capsys.readouterr().out
    assert "可注册(would register) 2, 已存在跳过(skipped) 1, 错误(refused) 3" in out and "dry run" in out
    assert redis_client.keys("pairing:*") == []


def test_imported_units_join_open_campaigns_like_registered_ones(units_csv, config_file, redis_client):
    store = import_units.open_store(load_config(config_file))
    campaign = store.create_campaign(load(CreateCampaignArgs, {"campaign": campaign_input()})["campaign"],
                                     None, clock.now())
    run(units_csv, config_file)
    assert store.campaign(campaign["id"])["participants"] == ["U1", "U2"]


def test_an_xlsx_file_with_numeric_phones_is_imported(tmp_path, config_file, redis_client, capsys):
    book = Workbook()
    sheet = book.active
    sheet.append(list(import_units.COLUMNS))
    sheet.append([*[unit_input("X1")[c] for c in import_units.COLUMNS[:4]], 13912345678, "x1@example.org"])
    sheet.append([None] * 6)
    sheet.append([*[unit_input("X2")[c] for c in import_units.COLUMNS[:4]], None, "x2@example.org"])
    path = tmp_path / "units.xlsx"
    book.save(path)
    assert run(path, config_file) == 1
    out = capsys.readouterr().out
    assert "第4行(line 4): contact_phone:" in out
    assert import_units.open_store(load_config(config_file)).unit("X1")["contact_phone"] == "13912345678"


@pytest.mark.parametrize("content, name", [
    ("code,name\nU1,办公厅\n", "units.csv"),
    ("", "units.csv"),
    ("whatever", "units.txt"),
])
def test_an_unusable_file_stops_before_anything_is_written(tmp_path, config_file, redis_client, content, name, capsys):
    path = tmp_path / name
    path.write_text(content)
    assert run(path, config_file) == 2
    assert capsys.readouterr().err
    assert redis_client.keys("pairing:*") == []


def test_the_module_runs_from_the_command_line(units_csv, config_file, redis_client):
    done = subprocess.run([sys.executable, "-m", "services.pairing.import_units", str(units_csv), "--dry-run",
                           "--config", str(config_file)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "可注册(would register) 2" in done.stdout and "导入单位" in done.stderr
    assert redis_client.keys("pairing:*") == []
