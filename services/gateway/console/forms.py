"""A posted form as an RPC's arguments. Field names are the API's dotted argument paths
(`target.name`, `report.volunteers.0.hours`), so the API's ValidationError paths name them back;
a suffix says how the text is typed: `:int`, `:float`, `:bool` ("true"/"false"), `:list` (one item
per line or comma), `:null` (empty is None), `:moment` (a datetime-local value, in the campaign's zone +08:00).

An empty field is left out, so that the API names a missing required field itself; a numbered row
(`volunteers.1.*`) whose text fields are all empty is dropped. Nothing here judges a value."""
import re

ZONE = "+08:00"
META_PREFIX = "_"


def _moment(text):
    return text if re.search(r"(Z|[+-]\d\d:\d\d)$", text) else f"{text}:00{ZONE}" if len(text) == 16 else text + ZONE


def _number(kind):
    def convert(text):
        try:
            return kind(text)
        except ValueError:
            return text  # the API names the field: "Not a valid integer."
    return convert


CONVERTERS = {
    "int": _number(int),
    "float": _number(float),
    "bool": lambda text: {"true": True, "false": False}.get(text, text),
    "list": lambda text: [item.strip() for item in re.split(r"[\n,，、]", text) if item.strip()],
    "moment": _moment,
}


def _put(tree, path, value):
    *parents, leaf = path.split(".")
    for part in parents:
        tree = tree.setdefault(part, {})
    tree[leaf] = value


def _is_row(value):
    return isinstance(value, dict) and value and all(key.isdigit() for key in value)


def _blank(row):
    return isinstance(row, dict) and all(isinstance(v, bool) or v in ("", [], None) for v in row.values())


def _lists(tree):
    """Numbered rows become lists (in their order); empty rows are dropped."""
    if not isinstance(tree, dict):
        return tree
    if _is_row(tree):
        rows = [_lists(tree[key]) for key in sorted(tree, key=int)]
        return [row for row in rows if not _blank(row)]
    return {key: _lists(value) for key, value in tree.items()}


def field_name(name):
    """`report.volunteers.0.hours:float` -> `report.volunteers.0.hours`."""
    return name.partition(":")[0]


def arguments(form):
    """{argument: value} from a werkzeug form; names starting with `_` are the console's own."""
    tree = {}
    for name in form:
        if name.startswith(META_PREFIX):
            continue
        path, _, kind = name.partition(":")
        values = [value.strip() for value in form.getlist(name) if value.strip()]
        if not values:
            if kind == "null":  # "none of them": e.g. transfer_issue's department=None (back to triage)
                _put(tree, path, None)
            continue
        text = "\n".join(values)
        _put(tree, path, CONVERTERS[kind](text) if kind in CONVERTERS else text)
    return _lists(tree)


def values(form):
    """What was typed, by field path, to show the form again next to its errors."""
    return {field_name(name): form.get(name, "") for name in form if not name.startswith(META_PREFIX)}


def flat_errors(errors, prefix=""):
    """The API's error map (contract §3, nested or dotted) as {dotted path: [messages]}."""
    flat = {}
    for key, value in (errors or {}).items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flat_errors(value, f"{path}."))
        else:
            flat[path] = value if isinstance(value, list) else [str(value)]
    return flat
