"""A PEP 517 build backend using only the standard library, so that
``pip install ./bindings/python`` works with no package index.

The wheel holds the ``libgossip`` package and, when present, the shared
library ``libgossip/libgossip.so`` that ``make python`` (or
``bindings/c/build.sh`` plus a copy) puts there; with it the wheel is tagged
for this platform, without it the package is pure Python and finds the
library through LIBGOSSIP_LIBRARY or the system library path.
"""

import base64
import hashlib
import io
import os
import sysconfig
import tarfile
import zipfile

NAME = "libgossip"
VERSION = "0.2.0"
HERE = os.path.dirname(os.path.abspath(__file__))
PKG = os.path.join(HERE, NAME)
LIBS = ("libgossip.so", "libgossip.dylib")

METADATA = """Metadata-Version: 2.1
Name: {name}
Version: {version}
Summary: SWIM gossip membership: Python bindings (ctypes) over the libgossip C API
Requires-Python: >=3.8
""".format(name=NAME, version=VERSION)


def _files():
    out = []
    for fn in sorted(os.listdir(PKG)):
        if fn.endswith(".py") or fn == "py.typed" or fn in LIBS:
            out.append(fn)
    return out


def _tag(files):
    if any(f in LIBS for f in files):
        plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
        return "py3-none-" + plat
    return "py3-none-any"


def _record_line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "%s,sha256=%s,%d" % (path, digest, len(data))


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    files = _files()
    tag = _tag(files)
    wheel_name = "%s-%s-%s.whl" % (NAME, VERSION, tag)
    dist_info = "%s-%s.dist-info" % (NAME, VERSION)
    record = []
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel_name), "w", zipfile.ZIP_DEFLATED) as z:
        def add(arcname, data, mode=0o644):
            info = zipfile.ZipInfo(arcname, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
            record.append(_record_line(arcname, data))
        for fn in files:
            with open(os.path.join(PKG, fn), "rb") as f:
                add("%s/%s" % (NAME, fn), f.read(), 0o755 if fn in LIBS else 0o644)
        add(dist_info + "/METADATA", METADATA.encode())
        wheel = "Wheel-Version: 1.0\nGenerator: libgossip-build\nRoot-Is-Purelib: %s\nTag: %s\n" % (
            "true" if tag.endswith("any") else "false", tag)
        add(dist_info + "/WHEEL", wheel.encode())
        record.append(dist_info + "/RECORD,,")
        z.writestr(dist_info + "/RECORD", "\n".join(record) + "\n")
    return wheel_name


def build_sdist(sdist_directory, config_settings=None):
    base = "%s-%s" % (NAME, VERSION)
    name = base + ".tar.gz"
    with tarfile.open(os.path.join(sdist_directory, name), "w:gz") as t:
        for fn in ("pyproject.toml", "_build.py", "README.md"):
            p = os.path.join(HERE, fn)
            if os.path.exists(p):
                t.add(p, arcname="%s/%s" % (base, fn))
        for fn in _files():
            if fn.endswith(".py") or fn == "py.typed":
                t.add(os.path.join(PKG, fn), arcname="%s/%s/%s" % (base, NAME, fn))
        info = tarfile.TarInfo("%s/PKG-INFO" % base)
        data = METADATA.encode()
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    return name
