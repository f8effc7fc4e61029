"""docs/interface.md is the interface a clone of the repo carries: its method tables and its events
table must name exactly the RPC methods (with their arguments in order, their defaults and who may
call them) and the event types that the services themselves have, both ways."""
import ast
import importlib
import inspect
import re
from pathlib import Path

import pytest
from nameko.rpc import Rpc

from services.common import events

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "interface.md"
NO_DEFAULT = "(required)"


def service_names():
    """Every service process of the repo: a package under services/ with its own service.py."""
    return sorted(path.parent.name for path in (ROOT / "services").glob("*/service.py"))


def service_class(name):
    module = importlib.import_module(f"services.{name}.service")
    classes = [cls for _, cls in inspect.getmembers(module, inspect.isclass)
               if cls.__module__ == module.__name__ and getattr(cls, "name", None) == name]
    assert len(classes) == 1, f"services/{name}/service.py should define one service class named {name!r}"
    return classes[0]


def is_rpc(member):
    return any(isinstance(entrypoint, Rpc) for entrypoint in getattr(member, "nameko_entrypoints", ()))


def arguments(function):
    """[(name, default or NO_DEFAULT)] of the undecorated function, without `self`."""
    parameters = list(inspect.signature(inspect.unwrap(function)).parameters.values())[1:]
    return [(p.name, NO_DEFAULT if p.default is p.empty else p.default) for p in parameters]


def rpc_methods(name):
    return {attr: member for attr, member in inspect.getmembers(service_class(name)) if is_rpc(member)}


def code_methods(name):
    return {attr: arguments(member) for attr, member in rpc_methods(name).items()}


def cells(line):
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def tables(text):
    """(heading, header cells, rows of cells) of every markdown table, under its nearest ### heading."""
    heading, found, current = None, [], None
    for line in text.splitlines():
        if line.startswith("#"):
            heading = line
        if not line.startswith("|"):
            current = None
            continue
        if current is None:
            current = (heading, cells(line), [])
            found.append(current)
        elif not set(line) <= set("|-: "):
            current[2].append(cells(line))
    return found


def code_span(cell):
    match = re.fullmatch(r"`([^`]*)`", cell)
    assert match, f"expected one `code span` in the cell {cell!r}"
    return match.group(1)


def documented_arguments(cell):
    """`a, b=None` -> [("a", NO_DEFAULT), ("b", None)], read as a Python parameter list."""
    function = ast.parse(f"def f({code_span(cell)}): pass").body[0].args
    names = [arg.arg for arg in function.args]
    defaults = [NO_DEFAULT] * (len(names) - len(function.defaults))
    defaults += [ast.literal_eval(default) for default in function.defaults]
    return list(zip(names, defaults))


def documented_methods():
    """{service: {method: arguments}} from the method tables under each ### `service` heading."""
    return {service: {method: documented_arguments(row[1]) for method, row in rows.items()}
            for service, rows in method_rows().items()}


def method_rows():
    """{service: {method: the row's cells}} from the method tables under each ### `service` heading."""
    text = DOC.read_text()
    services = {re.search(r"`(\w+)`", line).group(1): {} for line in text.splitlines()
                if re.fullmatch(r"### `\w+`", line)}
    for heading, header, rows in tables(text):
        if header[:2] != ["method", "arguments"]:
            continue
        service = re.fullmatch(r"### `(\w+)`", heading or "")
        assert service, f"a method table must sit under a ### `service` heading, not {heading!r}"
        methods = services[service.group(1)]
        for row in rows:
            method = code_span(row[0])
            assert method not in methods, f"{service.group(1)}.{method} is documented twice"
            methods[method] = row
    return services


ROLES = {"C": "committee", "U": "unit", "D": "department", "O": "ops"}


def documented_roles(cell):
    """"C, O; U own; D assigned" -> (roles admitted for every record, roles admitted for their own),
    the shape `@allow` records on the method as `allowed_roles`."""
    every, _, own = cell.partition(";")
    letters = [sorted(ROLES[letter] for letter in re.findall(r"\b([CUDO])\b", part)) for part in (every, own)]
    return tuple(letters[0]), tuple(letters[1])


def documented_events():
    found = []
    for _, header, rows in tables(DOC.read_text()):
        if header[:2] == ["source", "event_type"]:
            found += [(row[0], code_span(row[1])) for row in rows]
    return found


def test_every_service_has_a_section_and_every_section_a_service():
    assert sorted(documented_methods()) == service_names()


@pytest.mark.parametrize("service", service_names())
def test_documented_methods_are_the_services_rpc_methods(service):
    documented, actual = documented_methods().get(service, {}), code_methods(service)
    assert sorted(set(actual) - set(documented)) == [], f"{service}: RPC methods missing from docs/interface.md"
    assert sorted(set(documented) - set(actual)) == [], f"{service}: documented methods the service lacks"


@pytest.mark.parametrize("service", service_names())
def test_documented_arguments_are_the_methods_own(service):
    documented, actual = documented_methods().get(service, {}), code_methods(service)
    differences = {method: {"documented": documented[method], "code": actual[method]}
                   for method in set(documented) & set(actual) if documented[method] != actual[method]}
    assert differences == {}


@pytest.mark.parametrize("service", service_names())
def test_documented_callers_are_the_methods_own(service):
    rows, actual = method_rows().get(service, {}), rpc_methods(service)
    differences = {method: {"documented": documented_roles(rows[method][2]),
                            "code": getattr(actual[method], "allowed_roles", None)}
                   for method in set(rows) & set(actual)
                   if documented_roles(rows[method][2]) != getattr(actual[method], "allowed_roles", None)}
    assert differences == {}


def test_documented_events_are_the_event_schemas():
    ours = set(service_names())
    schemas = {key for key in events.SCHEMAS if key[0] in ours}
    documented = documented_events()
    assert len(documented) == len(set(documented)), "an event type is documented twice"
    assert sorted(schemas - set(documented)) == [], "event types missing from docs/interface.md"
    assert sorted(set(documented) - schemas) == [], "documented event types without a schema"


def test_every_table_row_has_its_headers_cells():
    """A `|` inside a cell (even in code) splits it: the row would render shifted."""
    ragged = [(header[0], row[0]) for _, header, rows in tables(DOC.read_text()) for row in rows
              if len(row) != len(header)]
    assert ragged == []


@pytest.mark.parametrize("document", [DOC, ROOT / "README.md"], ids=["interface", "readme"])
def test_relative_links_name_files_inside_the_repo(document):
    targets = [t for t in re.findall(r"\]\(([^)#]+)", document.read_text()) if "://" not in t]
    outside = [t for t in targets if not (document.parent / t).resolve().is_relative_to(ROOT)
               or not (document.parent / t).is_file()]
    assert targets and outside == []
