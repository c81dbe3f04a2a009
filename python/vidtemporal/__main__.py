"""Where the installed package keeps the C library, its headers and its pkg-config file:

    cc prog.c $(python -m vidtemporal --cflags --libs)
    PKG_CONFIG_PATH=$(python -m vidtemporal --pkgconfig-path) pkg-config --cflags --libs vidtemporal
"""
import argparse
import os
import sys

from . import get_include, get_lib


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m vidtemporal", description=__doc__.splitlines()[0])
    parser.add_argument("--cflags", action="store_true", help="compiler flags: the include directory")
    parser.add_argument("--libs", action="store_true", help="linker flags, with the library's directory as rpath")
    parser.add_argument("--include-dir", action="store_true", help="the directory of vidtemporal.h")
    parser.add_argument("--lib-dir", action="store_true", help="the directory of libvidtemporal.so")
    parser.add_argument("--pkgconfig-path", action="store_true", help="the directory of vidtemporal.pc")
    args = parser.parse_args(argv)
    words = []
    if args.cflags:
        words.append(f"-I{get_include()}")
    if args.libs:
        words += [f"-L{get_lib()}", "-lvidtemporal", f"-Wl,-rpath,{get_lib()}"]
    if args.include_dir:
        words.append(get_include())
    if args.lib_dir:
        words.append(get_lib())
    if args.pkgconfig_path:
        words.append(os.path.join(get_lib(), "pkgconfig"))
    if not words:
        parser.print_help()
        return 2
    print(" ".join(words))
    return 0


if __name__ == "__main__":
    sys.exit(main())
