"""Register units in bulk from a CSV or .xlsx file (a header row, then one unit a row):

    python -m services.pairing.import_units FILE [--dry-run] [--config config.yml]

Columns: code,name,party_org,contact_name,contact_phone,contact_email. Each valid row is
registered exactly as `register_unit` registers it (the same schema and use case, so its
event goes out through the outbox and the unit joins the open campaigns). A unit already registered
with the same fields is skipped, so the same file imported twice changes nothing. A bad row is
reported by its line number and the names of its bad fields, never their values; a bad header by
the missing column names and the positions of cells that are no column name, never their text.
Exit status: 0 all rows fine, 1 some rows refused, 2 the file or the configuration is unusable."""
import argparse
import csv
import sys
from pathlib import Path

from redis.exceptions import RedisError
from tqdm import tqdm

from services.common.broker_users import uri_for
from services.common.errors import Conflict, ValidationError
from services.common.outbox import Bus, Outbox
from services.common.requests import Request
from services.common.schemas import load
from services.common.settings import require_setting
from services.common.storage import redis_client
from services.common.settings import load_config

from . import domain, usecases
from .schemas import RegisterUnitArgs
from .store import PairingStore

SERVICE = "pairing"
COLUMNS = domain.UNIT_FIELDS


class UnusableFile(Exception):
    pass


def cell_text(value):
    """A cell as text; spreadsheets keep phone numbers as numbers. Empty cells are left out."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def header_problem(missing, unknown):
    """What is wrong with the header row, by column names we know and positions of cells we do not:
    a file without a header has a unit's contact person and phone where the header should be."""
    at = ",".join(map(str, unknown))
    extra = f"{len(unknown)} 列,第 {at} 列({len(unknown)} at columns {at})" if unknown else "无(none)"
    return (f"表头应为 {','.join(COLUMNS)}(header row); 缺少(missing): {','.join(missing) or '无(none)'}; "
            f"不认识(unknown): {extra}")


def _records(header, rows):
    """(line number, {column: text}) for each non-empty row, after checking the header."""
    names = [cell_text(name) for name in header]
    missing = [column for column in COLUMNS if column not in names]
    unknown = [position for position, name in enumerate(names, start=1) if name is not None and name not in COLUMNS]
    if missing or unknown:
        raise UnusableFile(header_problem(missing, unknown))
    for line, row in rows:
        values = {name: cell_text(value) for name, value in zip(names, row) if name is not None}
        record = {name: value for name, value in values.items() if value is not None}
        if record:
            yield line, record


def read_csv(path):
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise UnusableFile("文件为空(Empty file).")
        rows = [(reader.line_num, row) for row in reader]
    return list(_records(header, rows))


def read_xlsx(path):
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        rows = list(book.active.iter_rows(values_only=True))
    finally:
        book.close()
    if not rows:
        raise UnusableFile("工作表为空(Empty sheet).")
    return list(_records(rows[0], ((number, row) for number, row in enumerate(rows[1:], start=2))))


def read_rows(path):
    suffix = Path(path).suffix.lower()
    readers = {".csv": read_csv, ".xlsx": read_xlsx}
    if suffix not in readers:
        raise UnusableFile("只支持 .csv 和 .xlsx 文件(Only .csv and .xlsx).")
    try:
        return readers[suffix](path)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise UnusableFile(f"无法读取文件(Cannot read the file: {type(exc).__name__}).") from None
    except UnusableFile:
        raise
    except Exception as exc:
        raise UnusableFile(f"无法读取表格(Cannot read the workbook: {type(exc).__name__}).") from None


def bus_uri(config):
    """pairing's own broker user when its password is at hand (AMQP_KEYS_DIR), else AMQP_URI as given:
    consumers act only on pairing's events that pairing's user published (contract §6)."""
    amqp_uri = require_setting(config, "AMQP_URI")
    try:
        return uri_for(amqp_uri, SERVICE, create=False)
    except FileNotFoundError:
        return amqp_uri


def open_store(config):
    client = redis_client(require_setting(config, "REDIS_URL"))
    outbox = Outbox(client, f"{SERVICE}:", SERVICE, Bus(bus_uri(config)))
    return PairingStore(client, f"{SERVICE}:", SERVICE, outbox)


def refusal(line, messages):
    """A bad row's report: its line and field names with our messages (which never quote input)."""
    fields = "; ".join(f"{path.removeprefix('unit.')}: {' '.join(texts)}" for path, texts in sorted(messages.items()))
    return f"第{line}行(line {line}): {fields}"


def import_rows(store, rows, dry_run=False, say=print):
    """Register each valid row; returns the counts {registered, skipped, refused}."""
    counts = {"registered": 0, "skipped": 0, "refused": 0}
    planned = {}
    for line, row in tqdm(rows, desc="导入单位", unit="行", file=sys.stderr):
        try:
            unit = load(RegisterUnitArgs, {"unit": row})["unit"]
        except ValidationError as err:
            counts["refused"] += 1
            say(refusal(line, err.messages))
            continue
        outcome = _register(store, unit, planned, dry_run)
        if outcome == "refused":
            say(refusal(line, {"code": ["单位代码已存在且信息不同(Code registered with other details)."]}))
        counts[outcome] += 1
    return counts


def _register(store, unit, planned, dry_run):
    existing = planned.get(unit["code"]) or store.find_unit(unit["code"])
    if existing is not None:
        return "skipped" if domain.same_unit(existing, unit) else "refused"
    planned[unit["code"]] = unit
    if dry_run:
        return "registered"
    try:
        usecases.register_unit(store, unit, Request("register_unit", "committee", None, unit))
    except Conflict:
        # Registered meanwhile by someone else: the same verdict as if it had been there before.
        return _register(store, unit, {}, dry_run)
    return "registered"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m services.pairing.import_units",
                                     description="批量注册单位(Register units from a CSV or .xlsx file).")
    parser.add_argument("file")
    parser.add_argument("--dry-run", action="store_true", help="只检查,不写入(check only, change nothing)")
    parser.add_argument("--config", default="config.yml")
    args = parser.parse_args(argv)
    try:
        rows = read_rows(args.file)
    except UnusableFile as exc:
        print(f"{args.file}: {exc}", file=sys.stderr)
        return 2
    try:
        store = open_store(load_config(args.config))
        counts = import_rows(store, rows, args.dry_run, say=tqdm.write)
    except (OSError, RedisError) as exc:
        # Rows registered so far stay registered; running the file again picks up the rest.
        print(f"{args.config} 或 Redis 不可用({type(exc).__name__}); 可重新运行(run again to continue)", file=sys.stderr)
        return 2
    verb = "可注册(would register)" if args.dry_run else "已注册(registered)"
    print(f"共 {len(rows)} 行(rows): {verb} {counts['registered']}, 已存在跳过(skipped) {counts['skipped']}, "
          f"错误(refused) {counts['refused']}" + (";试运行,未写入(dry run, nothing written)" if args.dry_run else ""))
    return 1 if counts["refused"] else 0


if __name__ == "__main__":
    sys.exit(main())
