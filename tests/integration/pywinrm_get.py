#!/usr/bin/env python3
"""Debian's pywinrm (python3-winrm) as the reference WinRM client: sends a
WS-Transfer Get of Win32_Service built from pywinrm's own SOAP header, and
opens and closes a cmd shell, against ENDPOINT. Prints one JSON object:
{"state": ..., "start_mode": ...} or {"error": ...}, plus "shell" when the
shell round trip worked. The password comes from $WINRM_PASSWORD.

    pywinrm_get.py ENDPOINT USER SERVICE [--ca FILE | --insecure] [--shell]
"""
import argparse
import json
import os
import sys
import xml.etree.ElementTree as ET

import xmltodict
from winrm.exceptions import WinRMError, WinRMTransportError
from winrm.protocol import Protocol

WIN32_SERVICE = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_Service"
GET = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("endpoint")
    parser.add_argument("user")
    parser.add_argument("service")
    parser.add_argument("--ca")
    parser.add_argument("--insecure", action="store_true")
    parser.add_argument("--shell", action="store_true")
    args = parser.parse_args()
    https = args.endpoint.startswith("https:")
    protocol = Protocol(
        args.endpoint,
        transport="ssl" if https else "plaintext",
        username=args.user,
        password=os.environ["WINRM_PASSWORD"],
        server_cert_validation="ignore" if args.insecure else "validate",
        ca_trust_path=args.ca,
        message_encryption="never",
    )
    out = {}
    request = {"env:Envelope": protocol._get_soap_header(action=GET, resource_uri=WIN32_SERVICE)}
    request["env:Envelope"]["env:Header"]["w:SelectorSet"] = {
        "w:Selector": {"@Name": "Name", "#text": args.service}}
    request["env:Envelope"]["env:Body"] = {}
    try:
        answer = protocol.send_message(xmltodict.unparse(request))
        instance = ET.fromstring(answer).find(
            "{http://www.w3.org/2003/05/soap-envelope}Body/{%s}Win32_Service" % WIN32_SERVICE)
        out["state"] = instance.find("{%s}State" % WIN32_SERVICE).text
        out["start_mode"] = instance.find("{%s}StartMode" % WIN32_SERVICE).text
    except (WinRMError, WinRMTransportError) as e:
        out["error"] = str(e)
    if args.shell:
        shell = protocol.open_shell()
        protocol.close_shell(shell)
        out["shell"] = shell
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    sys.exit(main())
