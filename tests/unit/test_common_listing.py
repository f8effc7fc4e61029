"""The index names of a list with combinable filters (services.common.listing)."""
from services.common import listing


def key(*parts):
    return ":".join(("issues", *parts))


def test_a_record_is_listed_under_every_combination_of_its_filter_values():
    keys = listing.indexes(key, {"department": "d", "unit": "u", "status": "s"})
    assert sorted(keys) == sorted(["issues", "issues:department:d", "issues:unit:u", "issues:status:s",
                                   "issues:department:d:unit:u", "issues:department:d:status:s",
                                   "issues:unit:u:status:s", "issues:department:d:unit:u:status:s"])


def test_a_value_the_record_lacks_makes_no_index():
    assert sorted(listing.indexes(key, {"department": None, "status": "s"})) == ["issues", "issues:status:s"]


def test_every_query_is_served_by_one_of_the_indexes_a_matching_record_is_in():
    record = {"department": "d", "unit": "u", "campaign": "c", "status": "s"}
    listed = set(listing.indexes(key, record))
    queries = [{name: value if (mask >> n) & 1 else None for n, (name, value) in enumerate(record.items())}
               for mask in range(16)]
    assert {listing.filtered(key, query) for query in queries} == listed


class Pipe:
    """Records what `move` queues: one script whose keys are the indexes left, then those joined."""

    def __init__(self):
        self.done = []

    def eval(self, script, numkeys, *args):
        assert script == listing.MOVE
        keys, (member, leaving) = args[:numkeys], args[numkeys:]
        self.done.append((member, [("remove", key) for key in keys[:leaving]] + [("add", key) for key in keys[leaving:]]))


def test_move_touches_only_the_indexes_that_changed_in_one_command():
    record = {"id": "i1", "created_at": "2024-03-12T09:00:00+08:00"}
    pipe = Pipe()
    listing.move(pipe, ["issues", "issues:status:a"], ["issues", "issues:status:b"], record)
    assert pipe.done == [(listing.member(record["created_at"], "i1"),
                          [("remove", "issues:status:a"), ("add", "issues:status:b")])]


def test_move_queues_nothing_when_no_index_changed():
    pipe = Pipe()
    listing.move(pipe, ["issues"], ["issues"], {"id": "i1", "created_at": "2024-03-12T09:00:00+08:00"})
    assert pipe.done == []
