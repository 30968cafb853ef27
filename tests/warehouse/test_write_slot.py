"""The write slot: one holder at a time through the Prefect API, busy answers retried at once."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from prefect.exceptions import PrefectHTTPStatusError

import mediawatch.write_slot
from mediawatch.write_slot import WriteSlotMissing, _acquire, ensure_limit, write_slot


def _status(code: int, retry_after: str | None = None) -> PrefectHTTPStatusError:
    headers = {"Retry-After": retry_after} if retry_after else {}
    response = SimpleNamespace(status_code=code, headers=headers)
    return PrefectHTTPStatusError(f"HTTP {code}", request=None, response=response)


class ScriptedClient:
    """Answers increment requests from a script: errors to raise, then a granted lease."""

    def __init__(self, answers: list[PrefectHTTPStatusError], lease: uuid.UUID) -> None:
        self.answers, self.lease, self.calls = list(answers), lease, 0

    def increment_concurrency_slots_with_lease(self, **request: object) -> SimpleNamespace:
        self.calls += 1
        if self.answers:
            raise self.answers.pop(0)
        granted = {"limits": [{"name": request["names"]}], "lease_id": str(self.lease)}
        return SimpleNamespace(json=lambda: granted)


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waited: list[float] = []
    monkeypatch.setattr(mediawatch.write_slot.time, "sleep", waited.append)
    return waited


def test_busy_answers_are_retried_at_once_and_a_held_slot_as_told(sleeps: list[float]) -> None:
    lease = uuid.uuid4()
    client = ScriptedClient([_status(503), _status(503), _status(423, "1.5")], lease)
    assert _acquire(client, "mw-writes") == lease  # type: ignore[arg-type]
    assert client.calls == 4
    assert sleeps == [0.05, 0.05, 1.5]


def test_other_errors_are_not_retried(sleeps: list[float]) -> None:
    client = ScriptedClient([_status(500)], uuid.uuid4())
    with pytest.raises(PrefectHTTPStatusError):
        _acquire(client, "mw-writes")  # type: ignore[arg-type]
    assert (client.calls, sleeps) == (1, [])


@pytest.fixture
def limit(prefect_harness: None) -> Iterator[str]:
    name = f"test-writes-{uuid.uuid4().hex[:8]}"
    ensure_limit(name)
    yield name


def test_a_second_writer_waits_for_the_first(limit: str) -> None:
    events: list[str] = []
    first_holds, second_asked = threading.Event(), threading.Event()

    def second() -> None:
        second_asked.set()
        with write_slot(limit):
            events.append("second holds")

    with write_slot(limit):
        first_holds.set()
        waiter = threading.Thread(target=second)
        waiter.start()
        second_asked.wait(timeout=10)
        time.sleep(0.5)  # time for the second to be refused at least once
        events.append("first releases")
    waiter.join(timeout=30)
    assert events == ["first releases", "second holds"]


def test_a_missing_limit_is_named(prefect_harness: None) -> None:
    with pytest.raises(WriteSlotMissing, match="no-such-limit"), write_slot("no-such-limit"):
        pytest.fail("wrote without a slot")
