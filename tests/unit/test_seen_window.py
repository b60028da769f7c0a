"""The seen window's pure rules: what it keeps, what it pages, how it is stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.adapters.seen_window import (
    LEGACY_MARGIN,
    RECENT_KEEP,
    RECENT_MAX,
    SeenWindow,
    digest,
    epoch_of,
    page_day,
    page_digests,
    split_settled,
)

NOW = datetime(2026, 10, 10, 12, tzinfo=UTC)
T0 = int(NOW.timestamp())

# Batches of (event time offset in seconds, event number): times over a few days, in or
# out of order, so flushes meet day boundaries and late events.
batches = st.lists(
    st.lists(st.tuples(st.integers(-3 * 86_400, 3 * 86_400), st.integers(0, 10_000)), max_size=5),
    max_size=30,
)


def _apply_all(
    raw: list[list[tuple[int, int]]],
) -> tuple[SeenWindow, dict[str, set[bytes]], set[tuple[int, bytes]]]:
    window = SeenWindow()
    pages: dict[str, set[bytes]] = {}
    applied: set[tuple[int, bytes]] = set()
    times: dict[int, int] = {}  # a repeat carries the time of the event it repeats
    for batch in raw:
        timed = {(T0 + times.setdefault(n, dt), digest(f"evt-{n}")) for dt, n in batch}
        events = sorted(timed - applied)
        window, new_pages = window.applied(events, NOW)
        assert len(new_pages) <= len(events), "more pages than events: a commit could grow"
        for day, blob in new_pages.items():
            pages.setdefault(day, set()).update(page_digests(blob))
        applied |= set(events)
    return window, pages, applied


@given(batches)
def test_every_applied_event_is_in_the_window_or_on_its_days_page_and_the_window_stays_small(
    raw,
):
    window, pages, applied = _apply_all(raw)

    for epoch, event_digest in applied:
        on_page = event_digest in pages.get(page_day(epoch), set())
        assert window.knows(event_digest) or on_page
        if on_page:
            # What the load relies on: a paged event is never after `paged_until`.
            assert window.may_be_paged(epoch)
    # Nothing is on a page it does not belong to, or in two places.
    paged = {d for ds in pages.values() for d in ds}
    assert not paged & {d for _, d in window.recent}
    # A flush needs pages to spare (one per event of the commit); the window then shrinks
    # back to its newest few, and grows past RECENT_MAX only by one commit's worth of days.
    assert len(window.recent) <= RECENT_MAX + max((len(b) for b in raw), default=0)


@given(batches)
def test_a_window_reads_back_as_it_was_written(raw):
    window, _, _ = _apply_all(raw)

    assert SeenWindow.decode(window.encode()) == window


def test_eight_events_stay_in_the_state_item_and_the_ninth_moves_the_oldest_to_a_page():
    window = SeenWindow()
    for n in range(RECENT_MAX):
        window, pages = window.applied([(T0 + n, digest(f"e{n}"))], NOW)
        assert pages == {}
    assert window.paged_until is None

    window, pages = window.applied([(T0 + 99, digest("e99"))], NOW)

    assert [len(blob) // 8 for blob in pages.values()] == [RECENT_MAX + 1 - RECENT_KEEP]
    assert window.paged_until == T0 + RECENT_MAX - RECENT_KEEP
    assert len(window.recent) == RECENT_KEEP
    assert window.knows(digest("e99"))
    assert len(window.encode()) == 9 + 12 * RECENT_KEEP


def test_a_flush_over_two_days_moves_only_the_oldest_day_when_it_may_write_one_page():
    day = 86_400
    window = SeenWindow()
    for n in range(RECENT_MAX):  # four on one day, four on the next
        window, _ = window.applied([(T0 + (n // 4) * day + n, digest(f"e{n}"))], NOW)

    window, pages = window.applied([(T0 + 2 * day, digest("late"))], NOW)

    assert list(pages) == [page_day(T0)]
    assert len(page_digests(pages[page_day(T0)])) == 4
    assert len(window.recent) == RECENT_MAX + 1 - 4
    assert window.paged_until == T0 + 3


def test_an_item_from_before_windows_reads_markers_until_a_day_after_its_first_commit():
    window, _ = SeenWindow.legacy().applied([(T0, digest("e1"))], NOW)

    before = int((NOW + LEGACY_MARGIN).timestamp())
    assert window.legacy_before == before
    assert window.may_have_marker(before - 1)
    assert not window.may_have_marker(before)
    assert SeenWindow.decode(window.encode()) == window
    # A new player's window never had markers.
    assert not SeenWindow().applied([(T0, digest("e1"))], NOW)[0].may_have_marker(0)


def test_times_the_window_cannot_store_keep_a_marker():
    assert epoch_of(NOW) == T0
    assert epoch_of(datetime(1969, 12, 31, tzinfo=UTC)) is None
    assert epoch_of(datetime(2107, 1, 1, tzinfo=UTC)) is None


@pytest.mark.parametrize("blob", [b"", b"\x02" + bytes(8), b"\x01" + bytes(8) + b"abc"])
def test_a_window_in_an_unknown_or_cut_format_is_refused(blob):
    with pytest.raises(ValueError, match=r"seen window|seen-window"):
        SeenWindow.decode(blob)


def test_paged_until_only_grows_when_a_late_event_is_paged():
    window = SeenWindow()
    for n in range(RECENT_MAX + 1):
        window, _ = window.applied([(T0 + 1000 + n, digest(f"e{n}"))], NOW)
    high = window.paged_until
    assert high is not None

    for n in range(RECENT_MAX):  # late events, older than everything paged
        window, _ = window.applied([(T0 - 1000 - n, digest(f"late{n}"))], NOW)

    assert window.paged_until == high
    assert window.may_be_paged(T0 - 1000)
    assert not window.may_be_paged(high + 1)
    assert timedelta(seconds=high - T0) > timedelta(0)


fresh = st.lists(
    st.tuples(st.integers(-3 * 86_400, 4 * 86_400), st.integers(20_000, 20_040)),
    min_size=1,
    max_size=4,
)


@given(batches, fresh, fresh)
def test_two_flushes_from_one_window_that_name_a_settled_page_alike_hold_the_same_digests(
    raw, first, second
):
    # Two attempts from the same stored window (a racing or retried commit), each applying
    # its own new events, late ones included: a settled page is put before the commit and
    # a second put of its key is skipped, so one key must always mean one content.
    loaded, _, _ = _apply_all(raw)
    held = {d for _, d in loaded.recent}
    split = []
    for attempt in (first, second):
        events = sorted({(T0 + dt, digest(f"evt-{n}")) for dt, n in attempt})
        _, pages = loaded.applied(events, NOW)
        settled, others = split_settled(loaded, pages, 7)
        assert len(settled) + len(others) == len(pages)
        assert all(page_digests(blob) <= held for blob in settled.values())
        assert all(not page_digests(blob) <= held for blob in others.values())
        split.append(settled)

    for key in split[0].keys() & split[1].keys():
        assert split[0][key] == split[1][key], key


def test_a_flush_with_a_late_event_and_one_without_name_their_settled_pages_apart():
    # The case the key must tell apart: from one full window, one attempt's flush takes a
    # late event and one fewer held digest, the other's takes only held digests.
    loaded, _ = SeenWindow().applied([(T0 + h * 3600, digest(f"h{h}")) for h in range(8)], NOW)
    late = [(T0 - 86_400, digest("late")), (T0 + 10 * 3600, digest("new-a"))]
    newer = [(T0 + 11 * 3600, digest("new-b")), (T0 + 12 * 3600, digest("new-c"))]
    (with_late, _), (without, _) = (
        split_settled(loaded, loaded.applied(events, NOW)[1], 8) for events in (late, newer)
    )

    (late_key,), (plain_key,) = with_late, without
    assert len(page_digests(with_late[late_key])) == 7
    assert len(page_digests(without[plain_key])) == 8
    assert late_key != plain_key
