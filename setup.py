"""Builds libvidtemporal.so (Swift, release, static Swift stdlib) and the CPython extension
vidtemporal._C, and puts the library next to the extension, which finds it through $ORIGIN."""
import os
import re
import shutil
import subprocess

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))


def library_version():
    header = open(os.path.join(ROOT, "include", "vidtemporal.h")).read()
    return re.search(r'#define VT_VERSION "([^"]+)"', header).group(1)


class BuildWithSwiftLibrary(build_ext):
    def run(self):
        library = subprocess.run(
            ["bash", os.path.join(ROOT, "tools", "build_library.sh")],
            check=True, stdout=subprocess.PIPE, text=True,
        ).stdout.strip()
        for ext in self.extensions:
            ext.library_dirs.append(os.path.dirname(library))
        super().run()
        # The extension links -lvidtemporal with rpath $ORIGIN: ship the library beside it.
        for ext in self.extensions:
            target = os.path.dirname(self.get_ext_fullpath(ext.name))
            os.makedirs(target, exist_ok=True)
            shutil.copy2(library, os.path.join(target, "libvidtemporal.so"))


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
)

setup(
    name="vidtemporal",
    version=library_version(),
    description="Fast CPU kernels (forward and backward) for the temporal modules of video networks",
    package_dir={"": "python"},
    packages=["vidtemporal", "vidtemporal.torch", "vidtemporal.torch.portable"],
    ext_modules=[extension],
    cmdclass={"build_ext": BuildWithSwiftLibrary},
    python_requires=">=3.10",
    install_requires=["numpy"],
    extras_require={"torch": ["torch"], "demo": ["torch", "tqdm", "matplotlib"]},
)
