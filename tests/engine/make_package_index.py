#!/usr/bin/env python3
"""Writes a tiny PEP 503 package index for the installer's tests.

Two wheels: `duows-probe` (module `duows_probe`) depends on `duows-probe-dep`, whose
wheel carries a few megabytes of incompressible data so a download takes visible time.
Each file link has its sha256 and its PEP 658 metadata file, as PyPI serves them.

Usage: make_package_index.py OUT_DIR [WHEEL...]   (OUT_DIR/simple/... is the index)
Extra wheels (such as pip's own) are served too, each under its project name.
"""
import base64
import hashlib
import os
import shutil
import sys
import zipfile
from pathlib import Path


def record_line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def write_wheel(out, name, version, files, requires=()):
    dist = name.replace("-", "_")
    info = f"{dist}-{version}.dist-info"
    metadata = "\n".join(
        ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
        + [f"Requires-Dist: {r}" for r in requires]
    ) + "\n"
    contents = dict(files)
    contents[f"{info}/METADATA"] = metadata.encode()
    contents[f"{info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: duows-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    records = [record_line(p, d) for p, d in contents.items()] + [f"{info}/RECORD,,"]
    contents[f"{info}/RECORD"] = ("\n".join(records) + "\n").encode()
    wheel = out / f"{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_STORED) as z:
        for path, data in contents.items():
            z.writestr(path, data)
    return wheel, metadata.encode()


def main():
    root = Path(sys.argv[1])
    simple = root / "simple"
    packages = [
        ("duows-probe-dep", "1.0.0",
         {"duows_probe_dep/__init__.py": b"VALUE = 42\n",
          "duows_probe_dep/payload.bin": os.urandom(3 * 1024 * 1024)}, ()),
        ("duows-probe", "1.0.0",
         {"duows_probe/__init__.py": b"from duows_probe_dep import VALUE\n"},
         ("duows-probe-dep==1.0.0",)),
    ]
    links = []
    built = []
    for name, version, files, requires in packages:
        folder = simple / name
        folder.mkdir(parents=True, exist_ok=True)
        built.append((name, *write_wheel(folder, name, version, files, requires)))
    for extra in map(Path, sys.argv[2:]):
        name = extra.name.split("-")[0].lower().replace("_", "-")
        folder = simple / name
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(extra, folder / extra.name)
        with zipfile.ZipFile(extra) as z:
            metadata = z.read(next(n for n in z.namelist() if n.endswith(".dist-info/METADATA")))
        built.append((name, folder / extra.name, metadata))
    for name, wheel, metadata in built:
        folder = simple / name
        (folder / (wheel.name + ".metadata")).write_bytes(metadata)
        sha = hashlib.sha256(wheel.read_bytes()).hexdigest()
        meta_sha = hashlib.sha256(metadata).hexdigest()
        (folder / "index.html").write_text(
            "<!DOCTYPE html><html><body>\n"
            f'<a href="{wheel.name}#sha256={sha}" data-dist-info-metadata="sha256={meta_sha}" '
            f'data-core-metadata="sha256={meta_sha}">{wheel.name}</a>\n'
            "</body></html>\n"
        )
        links.append(f'<a href="{name}/">{name}</a>')
    (simple / "index.html").write_text(
        "<!DOCTYPE html><html><body>\n" + "\n".join(links) + "\n</body></html>\n"
    )


if __name__ == "__main__":
    main()
