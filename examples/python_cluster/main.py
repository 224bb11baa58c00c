"""python_cluster: a libgossip cluster driven from Python.

Part 1 runs three protocol cores over an in-process "network" with a
virtual clock (you bring the transport); part 2 runs three networked nodes
on loopback (the built-in transport), shows metadata spreading, a crash
being detected and a graceful leave.

    make python && pip install ./bindings/python   # or PYTHONPATH=bindings/python
    python3 examples/python_cluster/main.py
"""

import threading

import libgossip


def cores_in_process():
    print("part 1: three cores, in-process transport, virtual time")
    views = [libgossip.node_view(id="core-%d" % i, ip="10.0.0.%d" % i, port=7946) for i in (1, 2, 3)]
    queue, cores, now = [], {}, [1000.0]
    for v in views:
        cores[v.address] = libgossip.gossip_core(
            v,
            send_callback=lambda to, data, reliable, src=v.address: queue.append((src, to, data)),
            event_callback=lambda e, me=v.id: print("  [%s] %s %s" % (me, e.type.name.lower(), e.node.id)),
            config="local")
    for v in views:  # full mesh through meet
        for peer in views:
            if peer is not v:
                cores[v.address].meet(peer, now=now[0])
    for _ in range(100):  # one virtual second
        now[0] += 0.01
        for c in cores.values():
            c.tick(now[0])
        while queue:
            src, to, data = queue.pop(0)
            cores[to].handle_message(data, src, now=now[0])
    print("  core-1 knows:", ", ".join(m.id for m in cores["10.0.0.1:7946"].members()))


def nodes_on_loopback():
    print("part 2: three networked nodes on loopback")
    lock = threading.Lock()
    seen = {"failed": 0, "left": 0}

    def on_event(name):
        def cb(e):
            with lock:
                print("  [%s] event %-7s %s" % (name, e.type.name.lower(), e.node.id))
                if e.type == libgossip.EventType.FAILED:
                    seen["failed"] += 1
                elif e.type == libgossip.EventType.LEFT:
                    seen["left"] += 1
        return cb

    nodes = [libgossip.Node("node-%d" % i, config="local", event_callback=on_event("node-%d" % i)).start()
             for i in (1, 2, 3)]
    try:
        for n in nodes[1:]:
            n.join(nodes[0].address, timeout=5)
        libgossip.wait_for(lambda: all(len(n.live_members()) == 3 for n in nodes), 10)
        print("cluster formed: %d live members" % len(nodes[0].live_members()))

        nodes[0].set_metadata({"role": "primary"})
        libgossip.wait_for(lambda: nodes[2].members()[0].metadata.get("role") == "primary", 10)
        for m in nodes[2].members():
            print("  %-7s %-21s %-6s %s" % (m.id, m.address, m.state.name.lower(), m.metadata))

        print("crashing node-3 (stop without leave)")
        nodes[2].stop()
        libgossip.wait_for(lambda: seen["failed"] >= 2, 15)
        print("node-3 failure detected by %d members" % seen["failed"])

        print("node-2 leaves gracefully")
        nodes[1].leave()
        libgossip.wait_for(lambda: seen["left"] >= 1, 10)
        ok = seen["failed"] >= 2 and seen["left"] >= 1
    finally:
        for n in nodes:
            n.close()
    print("done: formed, failure detected, leave seen" if ok else "FAILED")
    return ok


if __name__ == "__main__":
    cores_in_process()
    raise SystemExit(0 if nodes_on_loopback() else 1)
