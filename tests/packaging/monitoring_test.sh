#!/usr/bin/env bash
# The shipped Prometheus rules and Grafana dashboard (packaging/monitoring):
# promtool checks and unit-tests the rules, every dashboard query parses as
# PromQL, and every metric either names is one the collector exports (read
# from its sources), so a renamed metric cannot leave a dead panel or alert.
#   monitoring_test.sh SOURCE_DIR
source "$(dirname "$0")/lib.sh"
src=$1
command -v promtool >/dev/null || skip "promtool is missing (apt-get install prometheus)"
rules=$src/packaging/monitoring/mimamori-rules.yml
dashboard=$src/packaging/monitoring/mimamori-dashboard.json

check "promtool check rules" promtool check rules "$rules"
check "promtool test rules" bash -c "cd '$src/tests/packaging/monitoring' && promtool test rules mimamori-rules.test.yml"

# Dashboard queries as recording rules, so promtool's parser judges them.
python3 - "$dashboard" >"$work/dashboard-rules.yml" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["uid"] and d["title"] and d["panels"], "dashboard without uid/title/panels"
print("groups:\n  - name: dashboard\n    rules:")
n = 0
def walk(panels):
    global n
    for p in panels:
        for t in p.get("targets", []):
            expr = t["expr"].replace("$job", "mimamori-collector").replace("$node", ".*")
            n += 1
            print("      - record: dashboard:query%d" % n)
            print("        expr: %s" % json.dumps(expr))
        walk(p.get("panels", []))
walk(d["panels"])
assert n >= 10, "too few queries: %d" % n
PY
check "dashboard is JSON with panels" test -s "$work/dashboard-rules.yml"
check "every dashboard query is valid PromQL" promtool check rules "$work/dashboard-rules.yml"

# Metric names the collector registers ("mimamori_..." string literals).
grep -rhoE '"mimamori_[a-z_]+"' "$src/collector" --include='*.cc' | tr -d '"' | sort -u >"$work/exported"
check "found the collector's metric names" test "$(wc -l <"$work/exported")" -ge 20
used=$(cat "$rules" "$dashboard" | grep -oE '\bmimamori_[a-z_]+' | sort -u)
for metric in $used; do
  base=${metric%_bucket}
  check "$metric is exported by the collector" grep -qxF "$base" "$work/exported"
done
finish
