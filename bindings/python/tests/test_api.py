"""Tests of the package's Python-level contract (issue 9, defect 13):
metadata must be str, TimeoutError is the builtin one, the package is
typed."""

import builtins
import inspect
import os
import unittest

import libgossip


class Metadata(unittest.TestCase):
    def test_non_str_values_are_refused(self):
        core = libgossip.gossip_core(libgossip.node_view(id="m", ip="127.0.0.1", port=1))
        node = libgossip.Node("m", config="local").start()
        try:
            for target in (core, node):
                with self.assertRaisesRegex(TypeError, "port"):
                    target.set_metadata({"port": 8080})
                with self.assertRaises(TypeError):
                    target.set_metadata({1: "x"})
                with self.assertRaises(TypeError):
                    target.set_metadata([("port", "8080")])
                target.set_metadata({"port": str(8080), "zone": "eu"})
                self.assertEqual(target.local_node().metadata, {"port": "8080", "zone": "eu"})
            with self.assertRaises(TypeError):
                core.meet(libgossip.node_view(id="p", ip="10.0.0.2", port=1, metadata={"n": 1}))
        finally:
            core.close()
            node.close()


class Errors(unittest.TestCase):
    def test_timeout_error_is_builtin(self):
        self.assertTrue(issubclass(libgossip.TimeoutError, builtins.TimeoutError))
        self.assertTrue(issubclass(libgossip.TimeoutError, libgossip.GossipError))
        e = libgossip.TimeoutError(-6, "slow")
        self.assertEqual(str(e), "GOSSIP_ERR_TIMEOUT: slow")
        self.assertEqual(e.code, -6)
        self.assertTrue(issubclass(libgossip.NetworkError, OSError))
        self.assertEqual(str(libgossip.NetworkError(-5, "no seed")), "GOSSIP_ERR_NETWORK: no seed")


class Typing(unittest.TestCase):
    def test_marker_and_annotations(self):
        pkg = os.path.dirname(libgossip.__file__)
        self.assertTrue(os.path.exists(os.path.join(pkg, "py.typed")))
        missing = []
        for cls in (libgossip.gossip_node, libgossip.gossip_core, libgossip.node_view,
                    libgossip.EventStream, libgossip.Event, libgossip.Config):
            for name, fn in inspect.getmembers(cls, inspect.isfunction):
                if name.startswith("_") and name != "__init__":
                    continue
                sig = inspect.signature(fn)
                if sig.return_annotation is inspect.Signature.empty:
                    missing.append("%s.%s -> ?" % (cls.__name__, name))
                for p in list(sig.parameters.values())[1:]:
                    if p.annotation is inspect.Parameter.empty and p.kind not in (
                            p.VAR_POSITIONAL, p.VAR_KEYWORD):
                        missing.append("%s.%s(%s)" % (cls.__name__, name, p.name))
        for fn in (libgossip.version, libgossip.library_path, libgossip.wait_for):
            if inspect.signature(fn).return_annotation is inspect.Signature.empty:
                missing.append(fn.__name__)
        self.assertEqual(missing, [])


if __name__ == "__main__":
    unittest.main()
