"""The installed package carries what a C program needs to use its library: vidtemporal.h with
the <dlpack/dlpack.h> it includes, and a pkg-config file relative to itself; `python -m
vidtemporal --cflags --libs` and get_include() / get_lib() say where. The C streaming example
builds against them alone (no -I of the source tree, no system dlpack) and runs."""
import os
import shutil
import subprocess
import sys

import pytest

import vidtemporal as vt

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "c", "stream_tsm.c")


def flags(*options):
    result = subprocess.run([sys.executable, "-m", "vidtemporal", *options], check=True, capture_output=True, text=True)
    return result.stdout.split()


def test_package_holds_the_header_and_the_library():
    assert os.path.isfile(os.path.join(vt.get_include(), "vidtemporal.h"))
    assert os.path.isfile(os.path.join(vt.get_include(), "dlpack", "dlpack.h"))
    assert os.path.isfile(os.path.join(vt.get_lib(), "libvidtemporal.so"))
    assert flags("--cflags") == [f"-I{vt.get_include()}"]
    assert flags("--libs") == [f"-L{vt.get_lib()}", "-lvidtemporal", f"-Wl,-rpath,{vt.get_lib()}"]
    assert subprocess.run([sys.executable, "-m", "vidtemporal"], capture_output=True).returncode == 2


@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler")
def test_c_example_builds_against_the_package(tmp_path):
    program = tmp_path / "stream_tsm"
    # The package's dlpack.h is the one the compiler reads (its -I comes before the system's).
    build = subprocess.run(["cc", "-std=c11", "-H", "-o", str(program), EXAMPLE, *flags("--cflags", "--libs")],
                           capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    included = [line.split()[-1] for line in build.stderr.splitlines() if line.startswith(".")]
    assert os.path.join(vt.get_include(), "dlpack", "dlpack.h") in included
    run = subprocess.run([str(program)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.skipif(shutil.which("cc") is None or shutil.which("pkg-config") is None, reason="no cc or pkg-config")
def test_pkg_config_file_is_relocatable(tmp_path):
    env = dict(os.environ, PKG_CONFIG_PATH=flags("--pkgconfig-path")[0])
    cflags = subprocess.run(["pkg-config", "--cflags", "--libs", "vidtemporal"], env=env, check=True,
                            capture_output=True, text=True).stdout.split()
    program = tmp_path / "stream_tsm"
    subprocess.run(["cc", "-std=c11", "-o", str(program), EXAMPLE, *cflags], check=True)
    assert subprocess.run([str(program)], capture_output=True, timeout=120).returncode == 0
