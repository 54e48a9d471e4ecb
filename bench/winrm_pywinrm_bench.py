#!/usr/bin/env python3
"""The peer of bench/winrm_bench.cc: Debian's pywinrm doing the same N
WS-Transfer Gets of Win32_Service (one winrm.Protocol per node, as a
pywinrm-based poller would hold one per host), CONCURRENCY at a time in
threads. Prints "checks=N ok=N seconds=S rate=R cpu_seconds=C".

    winrm_pywinrm_bench.py PORT [COUNT] [CONCURRENCY] [SERVICE]
"""
import os
import sys
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

import xmltodict
from winrm.protocol import Protocol

WIN32_SERVICE = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_Service"
GET = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get"


def check(port, service):
    protocol = Protocol("http://127.0.0.1:%d/wsman" % port, transport="plaintext",
                        username="monitor", password=os.environ["WINRM_PASSWORD"],
                        message_encryption="never", read_timeout_sec=30,
                        operation_timeout_sec=20)
    request = {"env:Envelope": protocol._get_soap_header(action=GET, resource_uri=WIN32_SERVICE)}
    request["env:Envelope"]["env:Header"]["w:SelectorSet"] = {
        "w:Selector": {"@Name": "Name", "#text": service}}
    request["env:Envelope"]["env:Body"] = {}
    answer = protocol.send_message(xmltodict.unparse(request))
    state = ET.fromstring(answer).find(
        "{http://www.w3.org/2003/05/soap-envelope}Body/{%s}Win32_Service/{%s}State"
        % (WIN32_SERVICE, WIN32_SERVICE))
    return state is not None and state.text == "Running"


def main():
    port = int(sys.argv[1])
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    concurrency = int(sys.argv[3]) if len(sys.argv) > 3 else 16
    service = sys.argv[4] if len(sys.argv) > 4 else "W3SVC"
    cpu = time.process_time()
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        ok = sum(pool.map(lambda _: check(port, service), range(count)))
    seconds = time.monotonic() - start
    print("checks=%d ok=%d seconds=%.3f rate=%.1f cpu_seconds=%.3f"
          % (count, ok, seconds, count / seconds, time.process_time() - cpu))
    return 0 if ok == count else 1


if __name__ == "__main__":
    sys.exit(main())
