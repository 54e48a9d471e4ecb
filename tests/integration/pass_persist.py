"""The snmpd pass_persist protocol (snmpd.conf(5)), shared by the tests'
pass_persist scripts: each builds its table, {oid tuple: (type, value)},
and hands it to serve(), which answers PING, get and getnext on stdin and
refuses set, until snmpd closes the pipe."""
import sys


def parse(text):
    return tuple(int(arc) for arc in text.strip().strip(".").split(".") if arc)


def show(oid):
    return "." + ".".join(str(arc) for arc in oid)


def serve(table):
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
