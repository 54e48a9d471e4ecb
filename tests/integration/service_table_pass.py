#!/usr/bin/env python3
"""snmpd pass_persist script serving mimamoriServiceTable (our Windows
agent's service table) from the same JSON table wsman_server.py answers
from, so one set of services reads alike through WinRM and through SNMP.

    pass_persist .1.3.6.1.4.1.8072.9999.9999.3863.2.2 /usr/bin/python3 service_table_pass.py services.json

Entry .1, INDEX the service name as a length-prefixed OCTET STRING;
columns .1 name, .2 display name, .3 state, .4 start type (MIMAMORI-MIB).
Services with a "behavior" (WinRM misbehaviours) have no row.
"""
import json
import sys

import pass_persist

ENTRY = (1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 3863, 2, 2, 1)
STATES = {"Stopped": 1, "Start Pending": 2, "Stop Pending": 3, "Running": 4,
          "Continue Pending": 5, "Pause Pending": 6, "Paused": 7}
START_TYPES = {"Boot": 1, "System": 2, "Auto": 3, "Manual": 4, "Disabled": 5}


def rows(path):
    with open(path, encoding="utf-8") as f:
        services = json.load(f)["services"]
    table = {}
    for name, service in services.items():
        if "behavior" in service:
            continue
        index = (len(name.encode("utf-8")),) + tuple(name.encode("utf-8"))
        table[ENTRY + (1,) + index] = ("string", name)
        table[ENTRY + (2,) + index] = ("string", service.get("display_name", name))
        table[ENTRY + (3,) + index] = ("integer", str(STATES[service.get("state", "Running")]))
        table[ENTRY + (4,) + index] = ("integer",
                                       str(START_TYPES[service.get("start_mode", "Auto")]))
    return table


def main():
    return pass_persist.serve(rows(sys.argv[1]))


if __name__ == "__main__":
    sys.exit(main())
