"""Bulk import of units from CSV and .xlsx on real Redis and RabbitMQ: the same path as register_unit."""
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from openpyxl import Workbook

from services.common.requests import Request
from services.common.schemas import load
from services.common.settings import load_config
from services.pairing import import_units, usecases
from services.pairing.schemas import CreateCampaignArgs
from tests.service.pairing.samples import (
    UNIT_CONTACT, UNIT_PHONE, assert_no_personal_data, campaign_input, unit_input, wait_distinct,
)

HEADER = "code,name,party_org,contact_name,contact_phone,contact_email"
ROOT = Path(__file__).resolve().parents[3]


def row(unit):
    return ",".join(unit[column] for column in import_units.COLUMNS)


@pytest.fixture
def config_file(tmp_path, service_config, bus_users):
    """The operator's config; the command publishes as pairing's broker user (made here)."""
    bus_users.uri(service_config["AMQP_URI"], "pairing")
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
    data = load(CreateCampaignArgs, {"campaign": campaign_input()})["campaign"]
    campaign = usecases.create_campaign(store, data, Request("create_campaign", "committee", None, data))
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


def headerless(tmp_path, suffix):
    """Two units and no header row: the first unit's cells stand where the header should be."""
    units = [unit_input("H1"), unit_input("H2", contact_name="李晓明", contact_phone="13700001111")]
    path = tmp_path / f"units{suffix}"
    if suffix == ".csv":
        path.write_text("\n".join(row(unit) for unit in units) + "\n", encoding="utf-8")
    else:
        book = Workbook()
        for unit in units:
            book.active.append([unit[column] for column in import_units.COLUMNS])
        book.save(path)
    return path, [value for unit in units for value in unit.values()]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_file_without_a_header_row_is_refused_without_echoing_its_cells(tmp_path, config_file, redis_client,
                                                                           capsys, suffix):
    path, values = headerless(tmp_path, suffix)
    assert run(path, config_file) == 2
    out, err = capsys.readouterr()
    assert "缺少(missing): code,name,party_org,contact_name,contact_phone,contact_email" in err
    assert "6 at columns 1,2,3,4,5,6" in err
    shown = (out + err).replace(str(path), "")
    for value in values:
        assert value not in shown
    assert redis_client.keys("pairing:*") == []


def test_a_wrong_header_names_the_missing_columns_and_the_positions_of_unknown_ones(tmp_path, config_file,
                                                                                    redis_client, capsys):
    path = tmp_path / "units.csv"
    path.write_text("code,name,联系人王芳芳,contact_name,contact_email,,13912345678\n" + row(unit_input("U1")) + "\n")
    assert run(path, config_file) == 2
    err = capsys.readouterr().err
    assert "缺少(missing): party_org,contact_phone;" in err and "2 at columns 3,7" in err
    assert "王芳芳" not in err and "13912345678" not in err
    assert redis_client.keys("pairing:*") == []


def test_the_module_runs_from_the_command_line(units_csv, config_file, redis_client):
    done = subprocess.run([sys.executable, "-m", "services.pairing.import_units", str(units_csv), "--dry-run",
                           "--config", str(config_file)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "可注册(would register) 2" in done.stdout and "导入单位" in done.stderr
    assert redis_client.keys("pairing:*") == []
