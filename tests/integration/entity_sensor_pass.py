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

import pass_persist

NAME = (1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 7)
STATUS = (1, 3, 6, 1, 2, 1, 99, 1, 1, 1, 5)


def rows(arguments):
    table = {}
    for argument in arguments:
        index, name, status = argument.split(":")
        table[NAME + (int(index),)] = ("string", name)
        table[STATUS + (int(index),)] = ("integer", status)
    return table


def main():
    return pass_persist.serve(rows(sys.argv[1:]))


if __name__ == "__main__":
    sys.exit(main())
