#!/usr/bin/env python3
"""A WinRM (WS-Management) listener for the tests: answers WS-Transfer Gets
of Win32_Service the way a Windows Server does, from a JSON table of
services, over HTTP or HTTPS, with Basic auth.

    wsman_server.py --config services.json [--cert c.pem --key k.pem]
                    [--record requests.jsonl] [--port 0]
    wsman_server.py --print-records requests.jsonl

Prints "listening on PORT" once bound (port 0 = any free port). Every
request it can parse is appended to --record as one JSON line: what it read
from the SOAP header (namespace-aware, with xml.etree), so a test can check
that ours and pywinrm's requests read alike.

services.json: {"user": "monitor", "password": "...",
                "services": {"W3SVC": {"state": "Running", "start_mode": "Auto"},
                             "SLOW": {"state": "Running", "delay": 2.0},
                             "GARBAGE": {"behavior": "garbage"},
                             "DENIED": {"behavior": "access_denied"},
                             "OOPS": {"behavior": "http500"}}}
A name not in the table gets the w:InvalidSelectors fault, as Windows
answers for a service it does not have.
"""
import argparse
import base64
import json
import os
import ssl
import sys
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "w": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    "p": "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd",
    "rsp": "http://schemas.microsoft.com/wbem/wsman/1/windows/shell",
}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
WIN32_SERVICE = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_Service"
SHELL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd"
GET = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get"
CREATE = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create"
DELETE = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete"
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "wsman")


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as f:
        return f.read()


def fill(text, values):
    for key, value in values.items():
        text = text.replace(key, value)
    return text


def must_understand(element):
    """SOAP 1.2 writes it qualified; pywinrm writes it bare."""
    if element is None:
        return None
    return element.get("{%s}mustUnderstand" % NS["s"], element.get("mustUnderstand"))


def body_children(root):
    body = root.find("s:Body", NS)
    return [] if body is None else list(body)


def read_header(body):
    """What the server understood of a request, or raises ValueError."""
    root = ET.fromstring(body)
    if root.tag != "{%s}Envelope" % NS["s"]:
        raise ValueError("not a SOAP 1.2 envelope: " + root.tag)
    header = root.find("s:Header", NS)
    if header is None:
        raise ValueError("no SOAP header")

    def text(path):
        element = header.find(path, NS)
        return None if element is None else (element.text or "")

    selectors = {s.get("Name"): s.text or "" for s in header.findall("w:SelectorSet/w:Selector", NS)}
    locale = header.find("w:Locale", NS)
    data_locale = header.find("p:DataLocale", NS)
    return {
        "to": text("a:To"),
        "reply_to": text("a:ReplyTo/a:Address"),
        "action": text("a:Action"),
        "message_id": text("a:MessageID"),
        "resource_uri": text("w:ResourceURI"),
        "selectors": selectors,
        "operation_timeout": text("w:OperationTimeout"),
        "max_envelope_size": text("w:MaxEnvelopeSize"),
        "locale": None if locale is None else locale.get(XML_LANG),
        "data_locale": None if data_locale is None else data_locale.get(XML_LANG),
        "must_understand": {
            name: must_understand(header.find(path, NS))
            for name, path in [
                ("reply_to_address", "a:ReplyTo/a:Address"),
                ("action", "a:Action"),
                ("resource_uri", "w:ResourceURI"),
                ("max_envelope_size", "w:MaxEnvelopeSize"),
                ("locale", "w:Locale"),
            ]
        },
        "body_children": [child.tag for child in body_children(root)],
    }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Microsoft-HTTPAPI/2.0"
    sys_version = ""

    def log_message(self, fmt, *args):  # quiet: the test reads --record
        pass

    def reply(self, status, body=b"", content_type="application/soap+xml;charset=UTF-8", extra=()):
        self.send_response(status)
        for name, value in extra:
            self.send_header(name, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        config = self.server.config
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        expected = base64.b64encode(
            ("%s:%s" % (config["user"], config["password"])).encode("utf-8")).decode("ascii")
        if self.path != "/wsman":
            self.reply(404, b"", "text/html")
            return
        if self.headers.get("Authorization") != "Basic " + expected:
            self.reply(401, extra=[("WWW-Authenticate", "Negotiate"),
                                   ("WWW-Authenticate", 'Basic realm="WSMAN"')],
                       content_type="text/html")
            return
        try:
            header = read_header(body)
        except (ET.ParseError, ValueError) as e:
            self.reply(400, ("bad request: %s" % e).encode(), "text/plain")
            return
        header["content_type"] = self.headers.get("Content-Type")
        header["user_agent"] = self.headers.get("User-Agent")
        self.server.record(header)
        values = {"@MESSAGE_ID@": "uuid:" + str(uuid.uuid4()).upper(),
                  "@RELATES_TO@": header["message_id"] or ""}
        if header["action"] == GET and header["resource_uri"] == WIN32_SERVICE:
            self.get_service(header, values)
        elif header["action"] == CREATE and header["resource_uri"] == SHELL:
            self.reply(200, self.shell_created(values).encode("utf-8"))
        elif header["action"] == DELETE and header["resource_uri"] == SHELL:
            self.reply(200, self.envelope(values, DELETE + "Response", "").encode("utf-8"))
        else:
            self.reply(500, b"", "text/plain")

    def get_service(self, header, values):
        name = header["selectors"].get("Name", "")
        service = self.server.config["services"].get(name)
        if service is None:
            self.reply(500, fill(fixture("fault_invalid_selectors.xml"), values).encode("utf-8"))
            return
        if service.get("delay"):
            time.sleep(float(service["delay"]))
        behavior = service.get("behavior", "")
        if behavior == "garbage":
            self.reply(200, b"<html><body>IIS Windows Server", "text/html")
        elif behavior == "access_denied":
            self.reply(500, fill(fixture("fault_access_denied.xml"), values).encode("utf-8"))
        elif behavior == "http500":
            self.reply(500, b"Internal Server Error", "text/plain")
        else:
            values.update({"@NAME@": name,
                           "@DISPLAY_NAME@": service.get("display_name", name),
                           "@STATE@": service.get("state", "Running"),
                           "@START_MODE@": service.get("start_mode", "Auto")})
            self.reply(200, fill(fixture("get_response.xml"), values).encode("utf-8"))

    @staticmethod
    def envelope(values, action, body):
        return ('<s:Envelope xml:lang="en-US" xmlns:s="%s" xmlns:a="%s" xmlns:x="http://schemas.'
                'xmlsoap.org/ws/2004/09/transfer" xmlns:w="%s" xmlns:rsp="%s"><s:Header>'
                '<a:Action>%s</a:Action><a:MessageID>%s</a:MessageID><a:To>http://schemas.'
                'xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To><a:RelatesTo>%s'
                '</a:RelatesTo></s:Header><s:Body>%s</s:Body></s:Envelope>'
                % (NS["s"], NS["a"], NS["w"], NS["rsp"], action, values["@MESSAGE_ID@"],
                   values["@RELATES_TO@"], body))

    def shell_created(self, values):
        shell = str(uuid.uuid4()).upper()
        body = ('<x:ResourceCreated><a:Address>http://127.0.0.1/wsman</a:Address>'
                '<a:ReferenceParameters><w:ResourceURI>%s</w:ResourceURI><w:SelectorSet>'
                '<w:Selector Name="ShellId">%s</w:Selector></w:SelectorSet>'
                '</a:ReferenceParameters></x:ResourceCreated>' % (SHELL, shell))
        return self.envelope(values, CREATE + "Response", body)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False
    # The bench runs 16 clients at once; the default backlog of 5 resets some.
    request_queue_size = 128

    def __init__(self, address, config, record_path):
        super().__init__(address, Handler)
        self.config = config
        self.record_path = record_path
        self.lock = threading.Lock()

    def record(self, header):
        if not self.record_path:
            return
        with self.lock, open(self.record_path, "a", encoding="utf-8") as f:
            f.write(json.dumps(header, sort_keys=True) + "\n")


def print_records(path):
    """The --record file as "N key value" lines (nested keys joined by
    "."), easy to read from C++ without a JSON parser."""
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f):
            def walk(prefix, value):
                if isinstance(value, dict):
                    for key in sorted(value):
                        walk(prefix + "." + key if prefix else key, value[key])
                elif isinstance(value, list):
                    print("%d %s %s" % (number, prefix, " ".join(value)))
                else:
                    print("%d %s %s" % (number, prefix, "" if value is None else value))
            walk("", json.loads(line))


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--print-records":
        print_records(sys.argv[2])
        return 0
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--record")
    args = parser.parse_args()
    with open(args.config, encoding="utf-8") as f:
        config = json.load(f)
    server = Server(("127.0.0.1", args.port), config, args.record)
    if args.cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.cert, args.key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    print("listening on %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
