"""lib.app.jobs.RestoreQueue: the app's own line, one restoring at a time, in arrival order, each waiting request
told its place and the seconds ahead; one more than it holds is refused; an abandoned request never blocks it."""

import threading
import time

from lib.app import jobs, ui
from lib.app.jobs import RestoreQueue


def test_places_in_arrival_order_and_one_more_than_the_line_holds_is_refused():
    line = RestoreQueue(2)
    first, second, third = (line.join(estimate) for estimate in (10.0, 20.0, 5.0))
    assert line.join(1.0) is None  # one restoring, two waiting: full
    assert [line.place(t) for t in (first, second, third)] == [0, 1, 2]
    assert line.wait_turn(first, 0.01) and not line.wait_turn(second, 0.01)
    line.start(first)
    assert line.seconds_ahead(third) is not None and 25.0 < line.seconds_ahead(third) <= 30.0
    line.leave(first)
    assert line.wait_turn(second, 0.01) and line.place(third) == 1 and line.waiting() == 1


def test_the_next_request_starts_as_soon_as_the_first_leaves():
    line = RestoreQueue(4)
    first, second = line.join(None), line.join(None)
    assert line.seconds_ahead(second) is None  # no recorded speed: no estimate
    started = threading.Event()

    def wait():
        while not line.wait_turn(second, 0.05):
            pass
        started.set()

    thread = threading.Thread(target=wait)
    thread.start()
    time.sleep(0.2)
    assert not started.is_set()
    line.leave(first)
    thread.join(timeout=5)
    assert started.is_set()


def test_an_abandoned_waiting_request_is_dropped_a_started_one_is_not(monkeypatch):
    monkeypatch.setattr(jobs, "STALE_S", 0.1)
    line = RestoreQueue(4)
    running, abandoned, waiting = line.join(1.0), line.join(1.0), line.join(1.0)
    assert line.place(abandoned) == 1
    line.start(running)
    time.sleep(0.2)
    assert not line.wait_turn(waiting, 0.01)  # asks again: kept; the abandoned one is dropped
    assert line.place(waiting) == 1 and line.waiting() == 1 and line.place(running) == 0
    line.leave(running)
    assert line.wait_turn(waiting, 0.01)


def test_the_status_lines_are_chinese():
    expected = "**排队中（第 2 位）**：前面还有 2 张图，约 30 秒后轮到你；你的图约需 12 秒（含 OCR）。"
    assert ui.queue_status(2, 30.0, 12.0, True) == expected
    assert ui.error_status("图片太小").startswith("**无法处理**")
