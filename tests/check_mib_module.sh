#!/usr/bin/env bash
# Our MIB module must load in Net-SNMP's snmptranslate without a single
# warning or error. The standard modules it imports are not in Debian; they
# are in ../shared/mibs beside the repository (CI has it). Without them this
# check cannot run and reports a skip (exit 77), not a pass.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${MIMAMORI_SHARED_MIBS:-$root/../shared/mibs}
if [ ! -d "$shared" ]; then
  echo "SKIP: $shared not found: the IETF MIB modules MIMAMORI-MIB imports are not available"
  exit 77
fi
out=$(snmptranslate -M "$root/proto/mibs:$shared" -m MIMAMORI-MIB -PW -Tp MIMAMORI-MIB::mimamoriMIB 2>&1)
status=$?
echo "$out"
# SNMPv2-TC, which DisplayString comes from, draws a "string too long"
# warning about its own text; only what is said about other files counts.
# -PW also says "No known translation for type (XEntry)" of every conceptual
# row's SEQUENCE type (IF-MIB's ifEntry draws it too): not a fault.
problems=$(grep -iE 'cannot|error|warning|unlinked|bad' <<<"$out" | grep -vF "in $shared/" |
  grep -vE 'No known translation for type \([A-Za-z]+Entry\)' || true)
if [ $status -ne 0 ] || [ -n "$problems" ]; then
  echo "FAIL: MIMAMORI-MIB does not load cleanly"
  exit 1
fi
# The OIDs the agent serves must be the ones the module defines.
for pair in "mimamoriAgentLinux .1.3.6.1.4.1.8072.9999.9999.3863.1.1" \
            "mimamoriAgentWindows .1.3.6.1.4.1.8072.9999.9999.3863.1.2" \
            "mimamoriAgentDeniedSources .1.3.6.1.4.1.8072.9999.9999.3863.2.1" \
            "mimamoriServiceTable .1.3.6.1.4.1.8072.9999.9999.3863.2.2" \
            "mimamoriServiceEntry .1.3.6.1.4.1.8072.9999.9999.3863.2.2.1" \
            "mimamoriServiceName .1.3.6.1.4.1.8072.9999.9999.3863.2.2.1.1" \
            "mimamoriServiceDisplayName .1.3.6.1.4.1.8072.9999.9999.3863.2.2.1.2" \
            "mimamoriServiceState .1.3.6.1.4.1.8072.9999.9999.3863.2.2.1.3" \
            "mimamoriServiceStartType .1.3.6.1.4.1.8072.9999.9999.3863.2.2.1.4"; do
  set -- $pair
  got=$(snmptranslate -M "$root/proto/mibs:$shared" -m MIMAMORI-MIB -On "MIMAMORI-MIB::$1" 2>&1)
  if [ "$got" != "$2" ]; then
    echo "FAIL: MIMAMORI-MIB::$1 is $got, the agent serves $2"
    exit 1
  fi
done
echo "MIMAMORI-MIB loads cleanly"
