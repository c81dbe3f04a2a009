"""python -m vidtemporal {demo,bench} [options]"""
import sys


def main():
    commands = {"demo": "vidtemporal.demo", "bench": "vidtemporal.bench"}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__.strip())
        sys.exit(2)
    import importlib
    importlib.import_module(commands[sys.argv[1]]).main(sys.argv[2:])


main()
