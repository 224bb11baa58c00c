"""Tests of the libgossip Python package (standard library only).

Run from bindings/python with the shared library built:
    LIBGOSSIP_LIBRARY=../c/build/lib/libgossip.so python3 -m unittest discover -s tests -t .
"""

import threading
import unittest

import libgossip


class Snippet(unittest.TestCase):
    def test_issue_snippet(self):
        # Exactly the snippet of the issue.
        import libgossip
        node = libgossip.node_view()
        node.ip = "127.0.0.1"
        node.port = 8000
        core = libgossip.gossip_core(node)
        core.tick()
        self.assertEqual(core.local_node().address, "127.0.0.1:8000")
        self.assertEqual(core.local_node().id, "127.0.0.1:8000")  # the address when no id
        self.assertTrue(libgossip.version())


class NodeViews(unittest.TestCase):
    def test_roundtrip_through_c(self):
        v = libgossip.NodeView(id="a", ip="10.0.0.1", port=7946, state=libgossip.State.SUSPECT,
                               incarnation=9, metadata={"zone": "eu", "role": "db"})
        h = v.to_c()
        try:
            self.assertEqual(libgossip.node_view.from_c(h), v)
        finally:
            libgossip._capi.lib().gossip_view_destroy(h)

    def test_address_and_aliases(self):
        v = libgossip.node_view()
        v.address = "[::1]:9000"
        self.assertEqual((v.ip, v.port, v.address), ("::1", 9000, "[::1]:9000"))
        v.status = libgossip.State.DEAD
        self.assertEqual(v.state, libgossip.State.DEAD)
        self.assertIn("dead", repr(v))


class Network:
    """An in-process network of cores with a virtual clock."""

    def __init__(self, n, preset="local"):
        self.now = 1000.0
        self.queue = []
        self.down = set()
        self.events = {}
        self.cores = {}
        self.views = []
        for i in range(n):
            v = libgossip.node_view(id="core-%d" % (i + 1), ip="10.0.0.%d" % (i + 1), port=7946)
            self.views.append(v)
            self.events[v.id] = []
            self.cores[v.address] = libgossip.gossip_core(
                v,
                send_callback=lambda to, data, rel, src=v.address: self.queue.append((src, to, data)),
                event_callback=lambda e, me=v.id: self.events[me].append(e),
                config=libgossip.Config(preset=preset, seed=i + 1))

    def core(self, i):
        return self.cores[self.views[i].address]

    def deliver(self):
        while self.queue:
            src, to, data = self.queue.pop(0)
            if src in self.down or to in self.down or to not in self.cores:
                continue
            self.cores[to].handle_message(data, src, now=self.now)

    def step(self, dt=0.01):
        self.now += dt
        for addr, c in self.cores.items():
            if addr not in self.down:
                c.tick(self.now)
        self.deliver()

    def run_until(self, cond, seconds):
        t = 0.0
        while t < seconds:
            if cond():
                return True
            self.step()
            t += 0.01
        return cond()

    def seen(self, observer, etype, who):
        return any(e.type == etype and e.node.id == who for e in self.events[observer])


class CoreCluster(unittest.TestCase):
    def test_mesh_failure_metadata_leave(self):
        net = Network(3)
        for i in range(3):
            for j in range(3):
                if i != j:
                    net.core(i).meet(net.views[j], now=net.now)
        net.deliver()
        formed = net.run_until(lambda: all(
            len([m for m in net.core(i).members() if m.state == libgossip.State.ALIVE]) == 3
            for i in range(3)), 10)
        self.assertTrue(formed, [net.core(i).members() for i in range(3)])
        self.assertTrue(net.seen("core-1", libgossip.EventType.JOIN, "core-2"))

        net.core(0).set_metadata({"role": "leader"}, now=net.now)
        net.core(0).broadcast(b"hello", now=net.now)
        self.assertTrue(net.run_until(
            lambda: (net.core(2).find_node("core-1") or libgossip.node_view()).metadata.get("role")
            == "leader", 5))
        self.assertTrue(net.run_until(lambda: any(
            e.type == libgossip.EventType.USER and e.payload == b"hello"
            for e in net.events["core-3"]), 5))

        net.down.add(net.views[2].address)
        self.assertTrue(net.run_until(
            lambda: net.seen("core-1", libgossip.EventType.FAILED, "core-3")
            and net.seen("core-2", libgossip.EventType.FAILED, "core-3"), 30))

        net.core(1).leave(now=net.now)
        self.assertTrue(net.run_until(lambda: net.seen("core-1", libgossip.EventType.LEFT, "core-2"), 5))
        self.assertEqual(net.core(1).local_node().state, libgossip.State.LEFT)
        with self.assertRaises(libgossip.StateError):
            net.core(1).broadcast(b"x")
        self.assertGreater(net.core(0).next_deadline(), 0)
        self.assertGreater(net.core(0).stats().packets_in, 0)
        self.assertEqual(net.core(0).get_nodes(), net.core(0).members())

    def test_join_through_seed(self):
        net = Network(3)
        for i in (1, 2):
            net.core(i).join(net.views[0], now=net.now)
        net.deliver()
        self.assertTrue(net.run_until(lambda: all(net.core(i).size() == 3 for i in range(3)), 10))


class Errors(unittest.TestCase):
    def setUp(self):
        self.core = libgossip.gossip_core(libgossip.node_view(id="x", ip="127.0.0.1", port=1))

    def test_malformed_raises_with_c_message(self):
        with self.assertRaises(libgossip.MalformedError) as cm:
            self.core.handle_message(b"\xff\x00garbage", "127.0.0.1:2")
        self.assertEqual(cm.exception.code, -3)
        self.assertEqual(cm.exception.name, "GOSSIP_ERR_MALFORMED")
        self.assertIn("handle_message", cm.exception.message)
        self.assertIn("wire", str(cm.exception))
        self.assertEqual(self.core.stats().malformed, 1)
        self.core.tick()  # still works

    def test_closed_handle(self):
        self.core.close()
        with self.assertRaises(libgossip.InvalidHandleError) as cm:
            self.core.tick()
        self.assertIn("invalid core handle", cm.exception.message)
        self.core.close()  # idempotent

    def test_bad_arguments(self):
        with self.assertRaises(libgossip.InvalidArgumentError):
            self.core.meet(libgossip.node_view())
        with self.assertRaises(libgossip.InvalidArgumentError):
            self.core.join([])
        with self.assertRaises(libgossip.InvalidArgumentError):
            libgossip.gossip_core(libgossip.node_view(ip="1.2.3.4", port=1), config="moon")
        with self.assertRaises(libgossip.InvalidArgumentError):
            libgossip.gossip_node("n", bind="quic://127.0.0.1:0")
        with self.assertRaises(ValueError):  # InvalidArgumentError is a ValueError
            libgossip.gossip_node("n", config=libgossip.Config(key="not a key"))

    def test_callback_exception_is_reraised(self):
        def boom(to, data, reliable):
            raise RuntimeError("boom")
        c = libgossip.gossip_core(libgossip.node_view(id="y", ip="127.0.0.1", port=3),
                                  send_callback=boom)
        with self.assertRaisesRegex(RuntimeError, "boom"):
            c.meet(libgossip.node_view(id="z", ip="127.0.0.1", port=4))


class Threads(unittest.TestCase):
    def test_concurrent_calls(self):
        sent = []
        core = libgossip.gossip_core(libgossip.node_view(id="t", ip="127.0.0.1", port=5),
                                     send_callback=lambda to, d, r: sent.append(to))
        errors = []

        def work(k):
            try:
                for i in range(100):
                    core.tick()
                    core.meet(libgossip.node_view(id="p%d-%d" % (k, i % 5), ip="10.3.3.3", port=1))
                    core.members()
                    try:
                        core.handle_message(b"junk%d" % i, "10.4.4.4:1")
                    except libgossip.MalformedError as e:
                        if "handle_message" not in e.message:
                            errors.append(e.message)
            except Exception as e:  # pragma: no cover - reported below
                errors.append(repr(e))

        ts = [threading.Thread(target=work, args=(k,)) for k in range(6)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(core.size(), 1 + 6 * 5)
        self.assertTrue(sent)


class NodeCluster(unittest.TestCase):
    def test_three_nodes_on_loopback(self):
        events = {i: [] for i in range(3)}
        lock = threading.Lock()

        def recorder(i):
            def cb(e):
                with lock:
                    events[i].append(e)
            return cb

        nodes = [libgossip.gossip_node("node-%d" % (i + 1), config="local",
                                       event_callback=recorder(i)).start() for i in range(3)]
        try:
            for n in nodes[1:]:
                n.join(nodes[0].address, timeout=5)
            self.assertTrue(libgossip.wait_for(
                lambda: all(len(n.live_members()) == 3 for n in nodes), 10))
            nodes[2].set_metadata({"role": "cache"})
            self.assertTrue(libgossip.wait_for(lambda: any(
                m.metadata.get("role") == "cache" for m in nodes[0].members()), 10))

            nodes[2].stop()
            def failed():
                with lock:
                    return any(e.type == libgossip.EventType.FAILED and e.node.id == "node-3"
                               for e in events[0])
            self.assertTrue(libgossip.wait_for(failed, 15))
            with lock:
                fail = next(e for e in events[0]
                            if e.type == libgossip.EventType.FAILED and e.node.id == "node-3")
            self.assertIn(fail.origin, (libgossip.EventOrigin.LOCAL, libgossip.EventOrigin.GOSSIP))
            self.assertTrue(fail.accusers and set(fail.accusers) <= {"node-1", "node-2"},
                            fail.accusers)

            nodes[1].leave()
            def left():
                with lock:
                    return any(e.type == libgossip.EventType.LEFT and e.node.id == "node-2"
                               for e in events[0])
            self.assertTrue(libgossip.wait_for(left, 10))
            self.assertGreaterEqual(nodes[0].stats().failed, 1)
        finally:
            for n in nodes:
                n.close()

    def test_encrypted_json_nodes(self):
        key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="  # 32 bytes, base64
        cfg = libgossip.Config(preset="local", codec="json", key=key, label="py")
        with libgossip.Node("a", config=cfg) as a, libgossip.Node("b", config=cfg) as b:
            a.start()
            b.start()
            b.join(a.address, timeout=5)
            self.assertTrue(libgossip.wait_for(lambda: len(a.live_members()) == 2, 10))
            with self.assertRaises(libgossip.StateError):
                a.start()


if __name__ == "__main__":
    unittest.main()
