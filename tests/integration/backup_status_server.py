#!/usr/bin/env python3
"""A backup server's status endpoint for the backup monitor's integration
test: Python's http.server answering the files of a directory (the test
writes JSON there and rewrites it between checks), on 127.0.0.1 and a port
the kernel picks, printed as "listening on PORT".

    backup_status_server.py DIRECTORY
"""
import functools
import http.server
import sys


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {".json": "application/json", "": "application/octet-stream"}

    def log_message(self, *args):
        pass


def main():
    handler = functools.partial(Handler, directory=sys.argv[1])
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    print("listening on %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
