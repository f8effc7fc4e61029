"""How handlers and deadline checks are declared: one helper each."""
import pytest
from nameko.rpc import Rpc

from services.common import deadlines
from services.common.consumer import ReliableEventHandler, handles
from services.common.timers import ConfiguredTimer


def declared(method, kind):
    return [entrypoint for entrypoint in getattr(method, "nameko_entrypoints", ()) if isinstance(entrypoint, kind)]


def test_handles_declares_one_reliable_handler_per_event_type_of_its_source():
    @handles("pairing", "pairing_approved", "pairing_rejected")
    def on_pairing(self, event):
        return event
    found = sorted((entry.source_service, entry.event_type) for entry in declared(on_pairing, ReliableEventHandler))
    assert found == [("pairing", "pairing_approved"), ("pairing", "pairing_rejected")]


def test_handles_needs_an_event_type():
    with pytest.raises(TypeError):
        handles("pairing")


def test_the_deadline_mixin_declares_the_rpc_and_the_configured_timer():
    mixin = deadlines.DeadlineEntrypoints
    assert len(declared(mixin.check_deadlines, Rpc)) == 1
    [timer] = declared(mixin.deadline_timer, ConfiguredTimer)
    assert timer.setting == "DEADLINE_CHECK_INTERVAL"


def test_due_scores_are_epoch_seconds():
    from datetime import datetime, timezone
    assert deadlines.due_score(datetime(1970, 1, 1, 0, 1, tzinfo=timezone.utc)) == 60.0
