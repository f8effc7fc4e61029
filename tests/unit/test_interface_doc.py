"""docs/interface.md is the interface a clone of the repo carries: its method tables and its events
table must name exactly the RPC methods (with their arguments, in order, and their defaults) and the
event types that the services themselves have, both ways."""
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


def code_methods(name):
    cls = service_class(name)
    return {attr: arguments(member) for attr, member in inspect.getmembers(cls) if is_rpc(member)}


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
            methods[method] = documented_arguments(row[1])
    return services


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


def test_documented_events_are_the_event_schemas():
    ours = set(service_names())
    schemas = {key for key in events.SCHEMAS if key[0] in ours}
    documented = documented_events()
    assert len(documented) == len(set(documented)), "an event type is documented twice"
    assert sorted(schemas - set(documented)) == [], "event types missing from docs/interface.md"
    assert sorted(set(documented) - schemas) == [], "documented event types without a schema"


@pytest.mark.parametrize("document", [DOC, ROOT / "README.md"], ids=["interface", "readme"])
def test_relative_links_name_files_inside_the_repo(document):
    targets = [t for t in re.findall(r"\]\(([^)#]+)", document.read_text()) if "://" not in t]
    outside = [t for t in targets if not (document.parent / t).resolve().is_relative_to(ROOT)
               or not (document.parent / t).is_file()]
    assert targets and outside == []
