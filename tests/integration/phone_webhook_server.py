#!/usr/bin/env python3
"""Test helper for phone_sender_test.cc: an HTTP server on 127.0.0.1 that
records every request and answers each with the same status.

Usage: phone_webhook_server.py --dir DIR [--status N] [--delay SECONDS]
                               [--echo-auth] [--pad N]

Binds port 0 and prints the port on stdout. Request n is saved as the
directory DIR/req-n (renamed into place once complete, so a reader sees all
of it or nothing): method, path, one file per header (lower-case name), body
(raw bytes) and, when the body parses as JSON with Python's own parser, one
file per top-level field (targets joined by newlines; keys: the field names
in order), else json_error. --echo-auth puts the Authorization header it got
into the reply body, to check the client scrubs what a receiver echoes;
--pad N adds N more bytes to it, to check how much of it the client quotes.
Exits when its parent process goes, so a crashed test leaves nothing behind.
"""
import argparse
import http.server
import json
import os
import sys
import threading
import time

ap = argparse.ArgumentParser()
ap.add_argument('--dir', required=True)
ap.add_argument('--status', type=int, default=200)
ap.add_argument('--delay', type=float, default=0)
ap.add_argument('--echo-auth', action='store_true')
ap.add_argument('--pad', type=int, default=0)
args = ap.parse_args()
lock = threading.Lock()
count = 0


def save(d, name, data):
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data if isinstance(data, bytes) else data.encode('utf-8'))


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.record_and_answer()

    do_GET = do_PUT = do_POST

    def record_and_answer(self):
        global count
        body = self.rfile.read(int(self.headers.get('Content-Length') or 0))
        with lock:
            count += 1
            n = count
        final = os.path.join(args.dir, 'req-%d' % n)
        d = final + '.tmp'
        os.mkdir(d)
        save(d, 'method', self.command)
        save(d, 'path', self.path)
        for name, value in self.headers.items():
            save(d, 'header-' + name.lower(), value)
        save(d, 'body', body)
        try:
            doc = json.loads(body.decode('utf-8'))
            save(d, 'keys', ','.join(doc.keys()))
            for key, value in doc.items():
                if isinstance(value, list):
                    value = '\n'.join(value)
                save(d, 'field-' + key, str(value))
        except Exception as e:  # the test reports it
            save(d, 'json_error', repr(e))
        os.rename(d, final)
        if args.delay:
            time.sleep(args.delay)
        reply = 'recorded request %d' % n
        if args.echo_auth:
            reply += '; you sent ' + (self.headers.get('Authorization') or 'no Authorization')
        if args.pad:
            reply += ' ' + 'z' * args.pad
        data = reply.encode('utf-8')
        self.send_response(args.status)
        self.send_header('Content-Type', 'text/plain; charset=utf-8')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *a):
        sys.stderr.write('%s\n' % (fmt % a))


def exit_when_parent_goes():
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(0.2)
    os._exit(0)


server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
server.daemon_threads = True
threading.Thread(target=exit_when_parent_goes, daemon=True).start()
print(server.server_address[1], flush=True)
server.serve_forever()
