"""The import graph of services/: one-way layers (no cycle anywhere), and pure domain modules (no
nameko, redis, kombu, eventlet or werkzeug reachable from any of them). Read from the source (AST),
so nothing is imported and a lazy import inside a function counts like any other."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "services"
FRAMEWORKS = {"nameko", "redis", "kombu", "eventlet", "werkzeug"}


def module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def is_package(name):
    return MODULES[name].name == "__init__.py"


def resolve(importer, node):
    """The absolute names a `from ... import ...` or `import ...` node refers to."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        here = importer.split(".") if is_package(importer) else importer.split(".")[:-1]
        anchor = here[:len(here) - node.level + 1]
        base = ".".join(anchor + ([base] if base else []))
    # `from package import module` imports the module; `from module import name` the module.
    return [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]


def ours(name):
    """The module of ours `name` is, or is inside (a name imported from it)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(name):
    tree = ast.parse(MODULES[name].read_text(), filename=str(MODULES[name]))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.update(resolve(name, node))
    return found


IMPORTS = {name: imports_of(name) for name in MODULES}


def internal(name):
    """The modules of ours `name` imports; importing `a.b.c` runs `a/__init__` and `a.b/__init__` too,
    but those are empty or leaves here and would only add noise to the cycles."""
    return {target for target in map(ours, IMPORTS[name]) if target and target != name}


def cycles():
    """Strongly connected components with more than one module, or a module importing itself (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in internal(node):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for name in sorted(MODULES):
        if name not in index:
            visit(name)
    return found


def is_domain(name):
    parts = name.split(".")
    leaf = parts[-1]
    return (leaf.startswith("domain") or leaf == "records" or leaf.startswith("rules")
            or "domain" in parts[2:-1])


def framework_paths(start):
    """[path] from `start` to each framework import reachable from it (breadth first, shortest)."""
    paths, seen, frontier = [], {start}, [[start]]
    while frontier:
        path = frontier.pop(0)
        for imported in sorted(IMPORTS[path[-1]]):
            if imported.split(".")[0] in FRAMEWORKS:
                paths.append(path + [imported])
            target = ours(imported)
            if target and target not in seen:
                seen.add(target)
                frontier.append(path + [target])
    return paths


DOMAIN_MODULES = sorted(name for name in MODULES if is_domain(name))


def test_the_walk_sees_the_services_and_their_domains():
    assert {"services.common.store", "services.pairing.service"} <= set(MODULES)
    assert {"services.pairing.domain", "services.common.records"} <= set(DOMAIN_MODULES)
    assert "services.common.timers" in internal("services.common.deadlines")


def test_there_is_no_import_cycle_in_services():
    assert cycles() == []


@pytest.mark.parametrize("module", DOMAIN_MODULES)
def test_a_domain_module_reaches_no_framework(module):
    assert framework_paths(module) == []


def test_the_checks_would_catch_a_cycle_and_a_framework_import(monkeypatch):
    monkeypatch.setitem(IMPORTS, "services.common.clock", IMPORTS["services.common.clock"] | {"services.common.records"})
    assert ["services.common.clock", "services.common.records"] in cycles()
    monkeypatch.setitem(IMPORTS, "services.common.records", {"services.common.clock", "redis.exceptions"})
    assert framework_paths("services.pairing.domain")
