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


def _lists(tree, path, kept):
    """Numbered rows become lists (in their order); empty rows are dropped, and `kept[path]` says
    which form rows the list's items are."""
    if not isinstance(tree, dict):
        return tree
    if _is_row(tree):
        numbered = [(key, _lists(tree[key], f"{path}.{key}", kept)) for key in sorted(tree, key=int)]
        rows = [(key, row) for key, row in numbered if not _blank(row)]
        kept[path] = [key for key, _ in rows]
        return [row for _, row in rows]
    return {key: _lists(value, f"{path}.{key}" if path else key, kept) for key, value in tree.items()}


def form_paths(errors, kept):
    """The API's error paths ({dotted path: messages}) with each list index turned back into the
    form row it came from: rows left empty are not sent, so item 1 may be the form's row 4."""
    def back(path):
        for prefix, rows in kept.items():
            index, _, rest = path[len(prefix) + 1:].partition(".")
            if path.startswith(prefix + ".") and index.isdigit() and int(index) < len(rows):
                return ".".join(filter(None, (prefix, rows[int(index)], rest)))
        return path
    return {back(path): messages for path, messages in errors.items()}


def field_name(name):
    """`report.volunteers.0.hours:float` -> `report.volunteers.0.hours`."""
    return name.partition(":")[0]


def arguments(form, kept=None):
    """{argument: value} from a werkzeug form; names starting with `_` are the console's own.
    `kept`, if given, is filled with the form rows each list argument was made of (`form_paths`)."""
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
    return _lists(tree, "", {} if kept is None else kept)


def values(form):
    """What was typed, by field path, to show the form again next to its errors: the text of a
    field, the list of what was ticked for a group of checkboxes (several values under one name)."""
    typed = {}
    for name in form:
        if not name.startswith(META_PREFIX):
            given = form.getlist(name)
            typed[field_name(name)] = given if len(given) > 1 else given[0] if given else ""
    return typed


def ticked(value):
    """What a group of checkboxes had ticked, from `values`: one ticked box is a plain text."""
    return [value] if isinstance(value, str) and value else list(value or ())


def at_fields(errors, shown):
    """The errors moved onto the fields the form shows (`shown`: their paths): an item of a field's
    list (`campaign.unit_codes.1`) onto that field, with its number; an object left out
    (`changes`, when its only field was empty) onto the one field under it."""
    placed = {}
    for path, messages in errors.items():
        if path not in shown:
            field = next((f for f in shown if path.startswith(f + ".")), None)
            if field is not None:
                index = path[len(field) + 1:].partition(".")[0]
                messages = [f"第 {int(index) + 1} 项: {m}" if index.isdigit() else m for m in messages]
                path = field
            else:
                under = [f for f in shown if f.startswith(path + ".")]
                path = under[0] if len(under) == 1 else path
        placed.setdefault(path, []).extend(messages)
    return placed


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
