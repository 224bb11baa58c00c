"""Tests of a networked node's lifetime in Python (issue 9): no callback
after close() following a TimeoutError, a with block leaves gracefully,
Ctrl-C interrupts a blocking call, the event iterator, and drop counters."""

import builtins
import signal
import threading
import time
import unittest

import libgossip
from libgossip import wait_for


def _left_or_failed(events, lock, who):
    with lock:
        types = [e.type for e in events if e.node.id == who]
    return (libgossip.EventType.LEFT in types, libgossip.EventType.FAILED in types)


class StopAfterTimeout(unittest.TestCase):
    def test_no_callback_after_close_following_timeout(self):
        entered, exited, late = [0], [0], [0]
        release = threading.Event()
        closed = threading.Event()
        lock = threading.Lock()

        def slow(ev):
            with lock:
                if closed.is_set():
                    late[0] += 1
                first = entered[0] == 0
                entered[0] += 1
            if first:
                release.wait(20)
                time.sleep(0.3)  # work on after release: close must wait for it
            with lock:
                if closed.is_set():
                    late[0] += 1
                exited[0] += 1

        a = libgossip.Node("a", config="local", event_callback=slow).start()
        b = libgossip.Node("b", config="local").start()
        c = libgossip.Node("c", config="local").start()
        try:
            b.join(a.address, timeout=5)
            c.join(a.address, timeout=5)
            self.assertTrue(wait_for(lambda: entered[0] == 1 and len(a.live_members()) == 3, 10))
            with self.assertRaises(libgossip.TimeoutError):
                a.stop(timeout=0.1)
            # the package's TimeoutError is the builtin one too
            with self.assertRaises(builtins.TimeoutError):
                a.stop(timeout=0.05)
            release.set()
            a.close()
            with lock:
                running = entered[0] - exited[0]
            closed.set()
            self.assertEqual(running, 0, "close returned with a callback running")
            # before the fix the queued events kept coming after close
            wait_for(lambda: entered[0] == exited[0], 5)
            self.assertEqual(late[0], 0, "callbacks ran after close returned")
            self.assertEqual(entered[0], 1)
            with self.assertRaises(libgossip.InvalidHandleError):
                a.members()
        finally:
            release.set()
            for n in (a, b, c):
                n.close()


class WithBlock(unittest.TestCase):
    def test_with_block_leaves_gracefully(self):
        events, lock = [], threading.Lock()

        def record(e):
            with lock:
                events.append(e)

        a = libgossip.Node("a", config="local", event_callback=record).start()
        try:
            with libgossip.Node("b", config="local") as b:
                b.start()
                b.join(a.address, timeout=5)
                self.assertTrue(wait_for(lambda: len(a.live_members()) == 2, 10))
            self.assertTrue(wait_for(lambda: _left_or_failed(events, lock, "b")[0], 10),
                            "a never saw b leave")
            self.assertEqual(_left_or_failed(events, lock, "b"), (True, False))
        finally:
            a.close()

    def test_with_block_on_unstarted_node(self):
        with libgossip.Node("idle", config="local") as n:
            self.assertEqual(n.local_node().id, "idle")
        with self.assertRaises(libgossip.InvalidHandleError):
            n.members()


class CtrlC(unittest.TestCase):
    def test_ctrl_c_interrupts_a_blocking_stop(self):
        if threading.current_thread() is not threading.main_thread():
            self.skipTest("signals reach the main thread only")
        # stop waits in C for a callback that is blocked until released: the
        # call lasts as long as the test wants, unless Ctrl-C interrupts it.
        entered, release = threading.Event(), threading.Event()

        def blocked(ev):
            entered.set()
            release.wait(60)

        a = libgossip.Node("a", config="local", event_callback=blocked).start()
        b = libgossip.Node("b", config="local").start()
        main = threading.main_thread().ident
        timer = threading.Timer(0.3, signal.pthread_kill, (main, signal.SIGINT))
        try:
            b.join(a.address, timeout=5)
            self.assertTrue(entered.wait(10))
            t0 = time.monotonic()
            with self.assertRaises(KeyboardInterrupt):
                timer.start()
                a.stop(timeout=60)
            elapsed = time.monotonic() - t0
            self.assertLess(elapsed, 30, "KeyboardInterrupt waited for the C call")
        finally:
            timer.cancel()
            release.set()
            a.close()
            b.close()


class Events(unittest.TestCase):
    def test_iterator(self):
        a = libgossip.Node("a", config="local")
        stream = a.events(timeout=10)
        a.start()
        b = libgossip.Node("b", config="local").start()
        try:
            b.join(a.address, timeout=5)
            seen = None
            for ev in stream:
                if ev.type == libgossip.EventType.JOIN and ev.node.id == "b":
                    seen = ev
                    break
            self.assertIsNotNone(seen)
            self.assertEqual(seen.node.address, b.address)
            # an idle stream ends after its timeout
            idle = a.events(timeout=0.05)
            self.assertEqual(list(idle), [])
            self.assertIsNone(idle.get(timeout=0.01))
            a.stop()
            t0 = time.monotonic()
            list(stream)  # ends with the node, not after its 10 s timeout
            self.assertLess(time.monotonic() - t0, 5)
            self.assertIsNone(stream.get())
            self.assertEqual(list(a.events()), [])  # a stopped node's stream is empty
        finally:
            a.close()
            b.close()

    def test_stream_counts_its_drops(self):
        a = libgossip.Node("a", config="local")
        small = a.events(maxsize=1)
        with a.events() as full:
            a.start()
            b = libgossip.Node("b", config="local").start()
            c = libgossip.Node("c", config="local").start()
            try:
                b.join(a.address, timeout=5)
                c.join(a.address, timeout=5)
                got = set()
                for ev in full:
                    if ev.type == libgossip.EventType.JOIN:
                        got.add(ev.node.id)
                    if got == {"b", "c"}:
                        break
                self.assertEqual(got, {"b", "c"})
                self.assertGreaterEqual(small.dropped, 1)
                self.assertEqual(full.dropped, 0)
                self.assertIsNotNone(small.get(timeout=1))
            finally:
                for n in (a, b, c):
                    n.close()
        small.close()

    def test_node_drop_counter(self):
        release = threading.Event()

        def blocked(ev):
            release.wait(30)

        a = libgossip.Node("a", config="local", event_callback=blocked).start()
        b = libgossip.Node("b", config="local").start()
        try:
            self.assertEqual(a.events_dropped, 0)
            b.join(a.address, timeout=5)
            # a's callback is stuck: b's broadcasts pile up behind it until
            # the library's 4096-event buffer overflows
            deadline = time.monotonic() + 30
            i = 0
            while a.events_dropped == 0 and time.monotonic() < deadline:
                for _ in range(500):
                    b.broadcast(i.to_bytes(8, "little"))
                    i += 1
                time.sleep(0.005)
            self.assertGreater(a.events_dropped, 0)
        finally:
            release.set()
            b.close()
            a.close()
        with self.assertRaises(libgossip.InvalidHandleError):
            a.events_dropped


if __name__ == "__main__":
    unittest.main()
