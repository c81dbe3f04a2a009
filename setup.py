"""Builds libvidtemporal.so (Swift, release, static Swift stdlib) and the CPython extension
vidtemporal._C, and puts the library (and the BLAS it links) next to the extension, which finds
it through $ORIGIN."""
import os
import re
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))


def library_version():
    header = open(os.path.join(ROOT, "include", "vidtemporal.h")).read()
    return re.search(r'#define VT_VERSION "([^"]+)"', header).group(1)


class BuildWithSwiftLibrary(build_ext):
    def run(self):
        # The build's tools (zig, the BLAS) come from this Python's packages (pyproject.toml).
        library = subprocess.run(
            ["bash", os.path.join(ROOT, "tools", "build_library.sh")],
            check=True, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHON": sys.executable},
        ).stdout.strip()
        for ext in self.extensions:
            ext.library_dirs.append(os.path.dirname(library))
        super().run()
        # The extension links -lvidtemporal with rpath $ORIGIN: ship the library beside it, and
        # what a C program needs to use it: the headers and a relocatable pkg-config file.
        for ext in self.extensions:
            target = os.path.dirname(self.get_ext_fullpath(ext.name))
            os.makedirs(os.path.join(target, "include", "dlpack"), exist_ok=True)
            os.makedirs(os.path.join(target, "pkgconfig"), exist_ok=True)
            for name in os.listdir(os.path.dirname(library)):
                if name.endswith((".so", ".dylib")):
                    shutil.copy2(os.path.join(os.path.dirname(library), name), os.path.join(target, name))
            shutil.copy2(os.path.join(ROOT, "include", "vidtemporal.h"), os.path.join(target, "include"))
            shutil.copy2(dlpack_header(), os.path.join(target, "include", "dlpack"))
            with open(os.path.join(ROOT, "vidtemporal.pc.in")) as template:
                pc = template.read()
            for key, value in (("@PREFIX@", "${pcfiledir}/.."), ("@LIBDIR@", "${prefix}"),
                               ("@RPATH@", " -Wl,-rpath,${libdir}"), ("@VERSION@", library_version())):
                pc = pc.replace(key, value)
            with open(os.path.join(target, "pkgconfig", "vidtemporal.pc"), "w") as out:
                out.write(pc)


def dlpack_header():
    """<dlpack/dlpack.h> as the compiler finds it (libdlpack-dev on Debian)."""
    found = subprocess.run(["cc", "-E", "-H", "-x", "c", "-"], input="#include <dlpack/dlpack.h>\n", text=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True).stderr
    return re.search(r"^\. (\S+dlpack\.h)$", found, re.M).group(1)


extension = Extension(
    "vidtemporal._C",
    sources=sorted(os.path.join("python", "csrc", f) for f in os.listdir(os.path.join(ROOT, "python", "csrc"))
                   if f.endswith(".c")),
    include_dirs=[os.path.join(ROOT, "include")],
    # Rebuilt when the ABI or the shared extension header changes.
    depends=[os.path.join("include", "vidtemporal.h"), os.path.join("python", "csrc", "vidtemporal_ext.h")],
    libraries=["vidtemporal"],
    runtime_library_dirs=["$ORIGIN"],
    extra_compile_args=["-std=c11", "-Wall", "-Wextra", "-Wno-unused-parameter"],
    # The limited API (Py_LIMITED_API in vidtemporal_ext.h): one abi3 build for CPython 3.10 and newer.
    py_limited_api=True,
)

setup(
    name="vidtemporal",
    version=library_version(),
    description="Fast CPU kernels (forward and backward) for the temporal modules of video networks",
    package_dir={"": "python"},
    packages=["vidtemporal", "vidtemporal.torch", "vidtemporal.torch.portable"],
    ext_modules=[extension],
    cmdclass={"build_ext": BuildWithSwiftLibrary},
    options={"bdist_wheel": {"py_limited_api": "cp310"}},
    python_requires=">=3.10",
    install_requires=["numpy"],
    extras_require={"torch": ["torch>=2.4"], "demo": ["torch>=2.4", "tqdm", "matplotlib"]},
)
