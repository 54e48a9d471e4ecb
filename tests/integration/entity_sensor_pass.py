#!/usr/bin/env python3
"""snmpd pass_persist script serving the rows of ENTITY-MIB entPhysicalName
and ENTITY-SENSOR-MIB entPhySensorOperStatus a storage array or an ESXi
host would, for the hardware monitor's integration test:

    pass_persist .1.3.6.1.2.1.47.1.1.1.1.7 /usr/bin/python3 entity_sensor_pass.py 10:PSU-1:1 11:PSU-2:3
    pass_persist .1.3.6.1.2.1.99.1.1.1.5 /usr/bin/python3 entity_sensor_pass.py 10:PSU-1:1 11:PSU-2:3

Each argument is INDEX:NAME:STATUS (ok(1) unavailable(2) nonoperational(3)).
snmpd hands each registration its own process; both answer from the same
rows, each for the subtree it was asked about.
"""
import sys

NAME = (1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 7)
STATUS = (1, 3, 6, 1, 2, 1, 99, 1, 1, 1, 5)


def rows(arguments):
    table = {}
    for argument in arguments:
        index, name, status = argument.split(":")
        table[NAME + (int(index),)] = ("string", name)
        table[STATUS + (int(index),)] = ("integer", status)
    return table


def parse(text):
    return tuple(int(arc) for arc in text.strip().strip(".").split(".") if arc)


def show(oid):
    return "." + ".".join(str(arc) for arc in oid)


def main():
    table = rows(sys.argv[1:])
    ordered = sorted(table)
    out = sys.stdout
    while True:
        command = sys.stdin.readline()
        if not command:
            return 0
        command = command.strip()
        if command == "PING":
            out.write("PONG\n")
        elif command in ("get", "getnext"):
            oid = parse(sys.stdin.readline())
            if command == "get":
                found = oid if oid in table else None
            else:
                found = next((o for o in ordered if o > oid), None)
            if found is None:
                out.write("NONE\n")
            else:
                kind, value = table[found]
                out.write("%s\n%s\n%s\n" % (show(found), kind, value))
        elif command == "set":
            sys.stdin.readline()
            sys.stdin.readline()
            out.write("not-writable\n")
        elif command == "":
            return 0
        out.flush()


if __name__ == "__main__":
    sys.exit(main())
