"""Two-way sync's pure parts: what of an edited copy goes back to the original."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from custom_components.shared_calendars.engine.ids import copy_id
from custom_components.shared_calendars.engine.model import ChangeSet, CopyMarker
from custom_components.shared_calendars.engine.plan import PlanOptions, plan
from custom_components.shared_calendars.engine.state import CopyRecord, SyncState
from custom_components.shared_calendars.engine.two_way import (
    edited_original,
    untransformed_title,
)
from custom_components.shared_calendars.engine.write_back import DeleteOriginal

from ..stored import reloaded
from .factories import T0, event, member, seed

HOUR = timedelta(hours=1)


@pytest.mark.parametrize(
    ("edited", "written", "original", "expected"),
    [
        ("Anna: Dentist (moved)", "Anna: Dentist", "Dentist", "Dentist (moved)"),
        ("Dentist (moved)", "Anna: Dentist", "Dentist", "Dentist (moved)"),
        ("Lunch 2 (Anna, Ben)", "Lunch (Anna, Ben)", "Lunch", "Lunch 2"),
        ("Anna: Dentist", "Anna: Busy", "Dentist", "Anna: Dentist"),
        ("Something", "Anna: ", "", "Something"),
    ],
)
def test_title_loses_what_the_copy_added(
    edited: str, written: str, original: str, expected: str
) -> None:
    """The prefix and the holders' names go; a title unlike the original's stays whole."""
    assert untransformed_title(edited, written, original) == expected


def test_only_the_fields_the_member_changed_go_back() -> None:
    """The owner's description stays when the member changed the location only."""
    original = event("o1", description="Bring the card", color=None)
    written = replace(original, summary="Anna: Dentist", copy_of=CopyMarker(source="g"))
    present = replace(written, location="Clinic", description="Bring the card")
    new = edited_original(original, written, present, busy=False, whole=False)
    assert new == replace(original, location="Clinic")
    assert edited_original(original, written, written, busy=False, whole=False) is None


def test_busy_copy_brings_back_time_only() -> None:
    """A busy-only copy's title and text are not the original's."""
    original = event("o1", location="Clinic")
    written = replace(original, summary="Busy", location="")
    present = replace(
        written, summary="Note", location="Home", start=T0 + HOUR, end=T0 + 2 * HOUR
    )
    new = edited_original(original, written, present, busy=True, whole=False)
    assert new == replace(original, start=T0 + HOUR, end=T0 + 2 * HOUR)


def test_a_deleted_copy_marks_its_originals_only_with_the_option(
    tmp_path: Path,
) -> None:
    """The mark survives a restart and plans the deletion of the original."""
    anna, ben = member("Anna"), member("Ben")
    assert ben.combined is not None
    state = SyncState()
    original = event("o1")
    groups = seed(state, anna.sources[0], original)
    group = next(iter(groups))
    copy_key = copy_id(group, ben.combined.key)
    copy = replace(original, id=copy_key, copy_of=CopyMarker(source=group))
    record = CopyRecord(group=group, target=ben.combined, fingerprint="f")
    state.record_put(record, copy)
    gone = ChangeSet(changed=(), deleted=(copy_key,), cursor="c2")

    hidden_only = SyncState()
    seed(hidden_only, anna.sources[0], original)
    hidden_only.record_put(record, copy)
    hidden_only.apply(ben.combined.key, gone)
    assert not hidden_only.copies[(ben.combined.key, copy_key)].originals_follow

    state.apply(ben.combined.key, gone, delete_originals=True)
    state = reloaded(state, tmp_path / "state.db")
    assert state.copies[(ben.combined.key, copy_key)].originals_follow
    options = PlanOptions(two_way=True, two_way_delete=True)
    assert plan([anna, ben], state, [group], options).actions == (
        DeleteOriginal(target=anna.sources[0], event_id="o1", group=group),
    )
    # Without the option the mark plans nothing: the copy stays hidden.
    assert plan([anna, ben], state, [group], PlanOptions()).actions == ()
