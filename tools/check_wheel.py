"""Reads the version needs of every ELF file in a wheel and fails unless all of them load on
manylinux_2_28 (glibc 2.28, the libstdc++ and libgcc_s of gcc 8: RHEL 8 and its rebuilds, torch's
own wheels' floor), and unless every library they need is the system's (the manylinux policy's
list) or inside the wheel.

    python tools/check_wheel.py dist/vidtemporal-*.whl
"""
import os
import re
import subprocess
import sys
import tempfile
import zipfile

# The newest symbol version of each system library manylinux_2_28 allows (PEP 600; auditwheel's
# policy for manylinux_2_28_x86_64).
NEWEST = {"GLIBC": (2, 28), "CXXABI": (1, 3, 11), "GLIBCXX": (3, 4, 24), "GCC": (7, 0, 0)}
SYSTEM = {"libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1", "libstdc++.so.6", "libgcc_s.so.1",
          "ld-linux-x86-64.so.2", "libutil.so.1"}


def version_needs(path):
    """{library: {version names}} from readelf's version-needs section, and the DT_NEEDED list."""
    text = subprocess.run(["readelf", "-V", "-d", "-W", path], check=True, capture_output=True, text=True).stdout
    needs, library = {}, None
    for line in text.splitlines():
        file = re.search(r"File: (\S+)", line)
        if file:
            library = file.group(1)
            needs.setdefault(library, set())
        name = re.search(r"Name: (\S+)\s+Flags", line)
        if name and library:
            needs[library].add(name.group(1))
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^]]+)\]", text)
    return needs, needed


def too_new(version):
    kind, _, number = version.partition("_")
    if kind not in NEWEST or not re.fullmatch(r"[0-9.]+", number):
        return False
    return tuple(int(part) for part in number.split(".")) > NEWEST[kind]


def main(wheel):
    failures = []
    with tempfile.TemporaryDirectory() as unpacked:
        zipfile.ZipFile(wheel).extractall(unpacked)
        files = []
        for directory, _, names in os.walk(unpacked):
            for name in names:
                path = os.path.join(directory, name)
                with open(path, "rb") as f:
                    if f.read(4) == b"\x7fELF":
                        files.append(path)
        inside = {os.path.basename(path) for path in files}
        for path in sorted(files):
            needs, needed = version_needs(path)
            name = os.path.relpath(path, unpacked)
            newest = {}
            for library, versions in needs.items():
                for version in versions:
                    kind = version.partition("_")[0]
                    if too_new(version):
                        failures.append(f"{name} needs {version} from {library}")
                    if kind in NEWEST:
                        newest[kind] = max(newest.get(kind, version), version,
                                           key=lambda v: tuple(int(p) for p in re.findall(r"\d+", v)))
            for library in needed:
                if library not in SYSTEM and library not in inside:
                    failures.append(f"{name} needs {library}, which is neither the system's nor in the wheel")
            print(f"{name}: {', '.join(sorted(newest.values())) or 'no versioned symbols'}")
    if not files:
        failures.append("the wheel holds no ELF file")
    for failure in failures:
        print("FAILED:", failure)
    if failures:
        return 1
    print(f"every ELF file of {os.path.basename(wheel)} loads on manylinux_2_28")
    return 0


if __name__ == "__main__":
    sys.exit(max(main(wheel) for wheel in sys.argv[1:]))
