"""Event.origin, Event.accusers and EventType.REFUTED, over three cores on
an in-process network in virtual time (deterministic)."""

import unittest

import libgossip
from libgossip import EventOrigin, EventType

from tests.test_libgossip import Network


class LossyNetwork(Network):
    """A Network where the packets sent by muted addresses are lost."""

    def __init__(self, n):
        super().__init__(n)
        self.muted = set()

    def deliver(self):
        while self.queue:
            src, to, data = self.queue.pop(0)
            if src in self.down or src in self.muted or to in self.down or to not in self.cores:
                continue
            self.cores[to].handle_message(data, src, now=self.now)


def first(events, etype, who):
    return next((e for e in events if e.type == etype and e.node.id == who), None)


class EventOrigins(unittest.TestCase):
    def all_alive(self, net):
        return all(len([m for m in net.core(i).members() if m.state == libgossip.State.ALIVE]) == 3
                   for i in range(3))

    def test_refutation_and_failure(self):
        net = LossyNetwork(3)
        for i in range(3):
            for j in range(3):
                if i != j:
                    net.core(i).meet(net.views[j], now=net.now)
        net.deliver()
        self.assertTrue(net.run_until(lambda: self.all_alive(net), 10))
        join = first(net.events["core-1"], EventType.JOIN, "core-2")
        self.assertIsNotNone(join)
        self.assertEqual(join.accusers, ())
        self.assertIsInstance(join.origin, EventOrigin)
        self.assertNotEqual(join.origin, EventOrigin.UNKNOWN)

        # core-3's packets are lost: suspected, it hears of it and refutes.
        observers = {"core-1", "core-2"}
        net.muted.add(net.views[2].address)
        self.assertTrue(net.run_until(
            lambda: first(net.events["core-3"], EventType.REFUTED, "core-3") is not None, 30))
        ref = first(net.events["core-3"], EventType.REFUTED, "core-3")
        self.assertEqual(ref.origin, EventOrigin.GOSSIP)
        self.assertEqual(len(ref.accusers), 1, ref.accusers)
        self.assertIn(ref.accusers[0], observers)
        self.assertGreater(ref.node.incarnation, 1)
        self.assertIn("accused by", repr(ref))
        suspects = [first(net.events[o], EventType.SUSPECT, "core-3") for o in sorted(observers)]
        local = [(o, s) for o, s in zip(sorted(observers), suspects)
                 if s is not None and s.origin == EventOrigin.LOCAL]
        self.assertTrue(local, suspects)
        for o, s in local:
            self.assertIn(o, s.accusers)  # its own probe: its own id

        # heard again, then crashed: declared failed.
        net.muted.clear()
        self.assertTrue(net.run_until(lambda: self.all_alive(net), 30))
        for o in observers:
            net.events[o].clear()
        net.down.add(net.views[2].address)
        self.assertTrue(net.run_until(lambda: all(
            first(net.events[o], EventType.FAILED, "core-3") for o in observers), 30))
        fails = {o: first(net.events[o], EventType.FAILED, "core-3") for o in observers}
        self.assertIn(EventOrigin.LOCAL, [f.origin for f in fails.values()])
        for o, f in fails.items():
            self.assertTrue(1 <= len(f.accusers) <= 16, f.accusers)
            self.assertTrue(set(f.accusers) <= observers, f.accusers)
            self.assertTrue(all(isinstance(a, str) for a in f.accusers))
            if f.origin == EventOrigin.GOSSIP:
                self.assertEqual(f.accusers, tuple(observers - {o}))

    def test_plain_event_defaults(self):
        e = libgossip.Event(EventType.REFUTED, libgossip.node_view(id="a"))
        self.assertEqual((e.origin, e.accusers), (EventOrigin.UNKNOWN, ()))
        self.assertEqual(int(EventType.REFUTED), 9)
        self.assertEqual((int(EventOrigin.LOCAL), int(EventOrigin.GOSSIP)), (1, 2))


if __name__ == "__main__":
    unittest.main()
