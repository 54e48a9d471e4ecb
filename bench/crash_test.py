#!/usr/bin/python3
"""Crash test of the alerting path (issue 13): many random kill -9 of the
collector while failures come and go, then a count against ground truth.

Real processes throughout: our agent on loopback, the collector daemon, an
aiosmtpd SMTP server in this script, and `sleep` processes the monitors
watch. Each node watches one process; the script kills and restarts those
processes at random, and kills the collector at random moments, some aimed
at the two that used to lose or merge failures (just after a failure is
confirmed, inside the grouping window; just after a restart, while the
previous run's incidents are decided).

Ground truth is the script's own record of when each process was absent,
counting the failures the collector confirmed at least once (it logged
"OK -> CRITICAL" inside them; a failure it never saw, e.g. one wholly inside
a down time, no monitoring could report). Each must end as one incident
detected inside it, with its reports (level A in business hours: first
report by mail, its phone duty handed to the on-duty mail, final report by
mail), each received once. A failure merged into an older incident, or lost
with a crash, has no incident of its own and counts as lost.

    bench/crash_test.py [--build build] [--nodes 8] [--kills 30] [--seconds 180]
                        [--window 3] [--seed 1] [--pair]

--pair (issue 12): the ledger on a private PostgreSQL server and two
collectors on it, an HA pair; every kill hits the current leader (the one
killed starts again, as a follower), and the table adds the takeover times:
from the kill to the other collector's "took the lead".

Prints a table (expected / received / duplicated / lost per report kind)
and exits 1 when anything was lost.
"""
import argparse
import atexit
import datetime
import email
import email.policy
import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

try:
    from aiosmtpd.controller import Controller
except ImportError:
    # Debian's python3-aiosmtpd lives in the system Python; a python3 of
    # pyenv or a venv first in PATH does not see it.
    if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    sys.exit("python3-aiosmtpd is needed (apt-get install python3-aiosmtpd)")


class Inbox:
    def __init__(self):
        self.lock = threading.Lock()
        self.messages = []  # (message_id, subject, body)

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain",))
        text = body.get_content() if body else ""
        with self.lock:
            self.messages.append((str(msg["Message-ID"]), str(msg["Subject"]), text))
        return "250 OK"

    def snapshot(self):
        with self.lock:
            return list(self.messages)


def tokyo_today():
    return (datetime.datetime.utcnow() + datetime.timedelta(hours=9)).date()


def inventory(args, tmp, agent_port, smtp_port, ledger):
    today = tokyo_today()
    days = [str(today), str(today + datetime.timedelta(days=1))]
    nodes = ""
    for i in range(1, args.nodes + 1):
        nodes += f"""  - name: vm{i}
    address: 127.0.0.1
    system: juki
    resource: false
    snmp: {{port: {agent_port}}}
    processes:
      - {{name: p{i}, command: ".*sleep", arguments: "{watched_argument(i)}"}}
"""
    return f"""platform_name: クラッシュ試験
defaults:
  intervals: {{ping: 1s, process: 1s}}
metrics: {{listen: "127.0.0.1:0"}}
calendar: {{business_hours: "00:00-24:00", extra_open_days: ["{days[0]}", "{days[1]}"]}}
alerting:
  ledger: {ledger}
  templates: {args.source}/packaging/templates
  grouping_window: {args.window}s
  retry: {{initial: 1s, max: 2s}}
  mail: {{url: "smtp://127.0.0.1:{smtp_port}", from: kanshi@example.lg.jp}}
  platform_managers: [{{name: 統括, mail: toukatsu@example.lg.jp}}]
  on_duty: [{{name: 当番, mail: touban@example.lg.jp}}]
  platform_vm_threshold: {args.nodes + 1}
systems:
  - {{name: juki, level: A, owners: [{{name: 住基担当, mail: juki@example.lg.jp}}]}}
nodes:
{nodes}"""


MIN_EPISODE = 3.0  # seconds between two toggles of one node's process


def watched_argument(i):
    return str(7660000 + i)


class Collector:
    def __init__(self, binary, config, tmp, name=""):
        self.binary, self.config, self.tmp, self.name = binary, config, tmp, name
        self.proc = None
        self.logs = []

    def start(self):
        log = os.path.join(self.tmp, f"collector{self.name}-{len(self.logs)}.log")
        self.logs.append(log)
        argv = [self.binary, "--config", self.config]
        if self.name:
            argv += ["--collector-name", self.name]
        self.proc = subprocess.Popen(argv, stdout=open(log, "wb"), stderr=subprocess.STDOUT)

    def leads(self):
        return bool(self.logs) and "took the lead" in self.current_log()

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
        self.proc = None

    def current_log(self):
        with open(self.logs[-1], encoding="utf-8", errors="replace") as f:
            return f.read()

    def all_logs(self):
        out = ""
        for path in self.logs:
            with open(path, encoding="utf-8", errors="replace") as f:
                out += f.read()
        return out


def wait_for(predicate, timeout, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(here, "..", "build"))
    ap.add_argument("--source", default=os.path.abspath(os.path.join(here, "..")))
    ap.add_argument("--nodes", type=int, default=8)
    ap.add_argument("--kills", type=int, default=30)
    ap.add_argument("--seconds", type=int, default=180)
    ap.add_argument("--window", type=int, default=3, help="grouping window, seconds")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pair", action="store_true",
                    help="two collectors on a ledger in PostgreSQL; kill the leader")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    agent_bin = os.path.join(args.build, "agent", "mimamori-agent")
    collector_bin = os.path.join(args.build, "collector", "mimamori-collector")
    for b in (agent_bin, collector_bin):
        if not os.access(b, os.X_OK):
            sys.exit(f"{b}: not built (cmake --build {args.build})")

    tmp = tempfile.mkdtemp(prefix="mimamori-crash-")
    inbox = Inbox()
    # aiosmtpd's Controller cannot bind port 0 itself (it connects to its
    # port to see it is up): take one that was free a moment ago.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        smtp_port = s.getsockname()[1]
    smtp = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()

    with open(os.path.join(tmp, "agent.yaml"), "w") as f:
        f.write("cache_lifetime: 200ms\n")
    agent_log = open(os.path.join(tmp, "agent.log"), "wb")
    agent = subprocess.Popen([agent_bin, "--listen", "udp:127.0.0.1:0", "--user", "nobody",
                              "--config", os.path.join(tmp, "agent.yaml")],
                             stdout=agent_log, stderr=subprocess.STDOUT)
    port = None

    def agent_port():
        nonlocal port
        with open(os.path.join(tmp, "agent.log"), encoding="utf-8", errors="replace") as f:
            m = re.search(r"listening on udp:127\.0\.0\.1:(\d+)", f.read())
        port = int(m.group(1)) if m else None
        return port is not None

    if not wait_for(agent_port, 15):
        sys.exit("the agent did not start; see " + tmp + "/agent.log")

    pgdir = os.path.join(tmp, "pg")
    if args.pair:
        os.chmod(tmp, 0o755)  # the server runs as nobody when we are root
        fixture = os.path.join(args.source, "tests", "support", "postgres_fixture.sh")
        subprocess.run([fixture, "start", pgdir], check=True, stdout=subprocess.DEVNULL)
        # Stopped at exit, after the counts have read the ledger.
        atexit.register(subprocess.run, [fixture, "stop", pgdir], stdout=subprocess.DEVNULL)
        server = f"host={pgdir} user=mimamori"
        subprocess.run(["psql", server + " dbname=postgres", "-qc", "CREATE DATABASE mimamori"],
                       check=True)
        ledger = f'{{postgresql: "{server} dbname=mimamori"}}'
    else:
        ledger = os.path.join(tmp, "ledger.db")

    def query(sql):
        """Rows of `sql` on the ledger, as tuples of text (None for NULL)."""
        if not args.pair:
            con = sqlite3.connect(f"file:{ledger}?mode=ro", uri=True, timeout=5)
            try:
                return [tuple(None if v is None else str(v) for v in row)
                        for row in con.execute(sql).fetchall()]
            finally:
                con.close()
        out = subprocess.run(["psql", server + " dbname=mimamori", "-AtX", "-F", "\t", "-P",
                              "null=\\N", "-c", sql], capture_output=True, text=True)
        if out.returncode != 0:
            raise sqlite3.Error(out.stderr)
        return [tuple(None if v == "\\N" else v for v in line.split("\t"))
                for line in out.stdout.splitlines()]

    config = os.path.join(tmp, "inventory.yaml")
    with open(config, "w", encoding="utf-8") as f:
        f.write(inventory(args, tmp, port, smtp_port, ledger))

    watched = {}

    # The true failures: per node, [start, end) of each time its process was
    # absent. Toggles of one node are kept MIN_EPISODE apart, so a logged
    # confirmation (second resolution) belongs to exactly one of them.
    episodes = {i: [] for i in range(1, args.nodes + 1)}
    last_toggle = {}

    def start_process(i):
        if i not in watched or watched[i].poll() is not None:
            watched[i] = subprocess.Popen(["sleep", watched_argument(i)])
            if episodes[i] and episodes[i][-1][1] is None:
                episodes[i][-1][1] = time.time()
            last_toggle[i] = time.monotonic()

    def kill_process(i):
        p = watched.pop(i, None)
        if p:
            p.kill()
            p.wait()
            episodes[i].append([time.time(), None])
            last_toggle[i] = time.monotonic()

    def may_toggle(i):
        return time.monotonic() - last_toggle.get(i, -1e9) >= MIN_EPISODE

    for i in range(1, args.nodes + 1):
        start_process(i)
    members = [Collector(collector_bin, config, tmp, name) for name in
               (("col-a", "col-b") if args.pair else ("",))]
    members[0].start()
    wait_for(lambda: "monitors; /metrics on port" in members[0].current_log(), 30)
    for m in members[1:]:
        m.start()
        wait_for(lambda: "following" in m.current_log(), 30)
    takeovers = []  # seconds from a leader's kill to the other's lead

    def leader():
        for m in members:
            if m.proc and m.proc.poll() is None and m.leads():
                return m
        return members[0]

    collector = leader()

    kills = {"random": 0, "inside window": 0, "after restart": 0}
    deadline = time.monotonic() + args.seconds
    kill_interval = args.seconds / max(args.kills, 1)
    next_kill = time.monotonic() + rng.uniform(0.5, 1.5) * kill_interval
    try:
        while time.monotonic() < deadline and sum(kills.values()) < args.kills:
            # Failures come and go: a process dies or comes back.
            i = rng.randint(1, args.nodes)
            if not may_toggle(i):
                pass
            elif i in watched and rng.random() < 0.5:
                kill_process(i)
            elif i not in watched:
                start_process(i)
            time.sleep(rng.uniform(0.2, 1.5))
            if time.monotonic() < next_kill:
                continue
            next_kill = time.monotonic() + rng.uniform(0.5, 1.5) * kill_interval
            aim = rng.choice(["random", "inside window", "after restart"])
            if aim == "inside window":
                # Kill just after the next confirmed failure.
                seen = collector.current_log().count("OK -> CRITICAL")
                candidates = [j for j in watched if may_toggle(j)]
                if candidates:
                    kill_process(rng.choice(candidates))
                wait_for(lambda: collector.current_log().count("OK -> CRITICAL") > seen, 10)
                time.sleep(rng.uniform(0, args.window / 2))
            if args.pair:
                # The leader dies; the other takes over; the dead one comes
                # back as a follower. "after restart": the new leader is
                # killed again right after it took over.
                for _ in range(2 if aim == "after restart" else 1):
                    victim = leader()
                    other = next(m for m in members if m is not victim)
                    before = other.current_log().count("took the lead")
                    killed_at = time.monotonic()
                    victim.kill()
                    if wait_for(lambda: other.current_log().count("took the lead") > before, 60):
                        takeovers.append(time.monotonic() - killed_at)
                    victim.start()
                    wait_for(lambda: "following" in victim.current_log(), 30)
                    if aim == "after restart":
                        time.sleep(rng.uniform(0, 1.5))
                collector = leader()
                kills[aim] += 1
                continue
            collector.kill()
            kills[aim] += 1
            time.sleep(rng.uniform(0, 3))  # down time: failures change meanwhile
            collector.start()
            if aim == "after restart":
                wait_for(lambda: "monitors; /metrics on port" in collector.current_log(), 20)
                time.sleep(rng.uniform(0, 1.5))
                collector.kill()
                collector.start()

        # Settle: every process back, every incident closed, every report out.
        time.sleep(MIN_EPISODE)
        for i in range(1, args.nodes + 1):
            start_process(i)

        def settled():
            try:
                open_incidents = int(query(
                    "SELECT COUNT(*) FROM incidents WHERE status = 'open'")[0][0])
                unsent = int(query("SELECT COUNT(*) FROM reports WHERE status <> 'sent'")[0][0])
                try:
                    pending = int(query("SELECT COUNT(*) FROM pending_changes")[0][0])
                except sqlite3.OperationalError:
                    pending = 0  # a collector before ledger v3 (for a before/after run)
                return open_incidents == 0 and unsent == 0 and pending == 0
            except sqlite3.Error:
                return False

        ok = wait_for(settled, 120, 0.5)
        time.sleep(3)  # what a late duplicate would need
        for m in members:
            m.stop()
    finally:
        for m in members:
            m.kill()

        for i in list(watched):
            kill_process(i)
        agent.terminate()
        agent.wait()
        smtp.stop()

    # Ground truth: the true failures the collector confirmed (it logged
    # "OK -> CRITICAL" inside them; one it never saw, e.g. while it was down
    # for all of it, no tool could report). Each must be one incident
    # detected inside it, with its reports.
    logs = "".join(m.all_logs() for m in members)
    stamp = r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)([+-]\d{4})"
    confirmations = {}
    for m in re.finditer(stamp + r" warning node=vm(\d+) monitor=process:p\d+: OK -> ", logs):
        at = datetime.datetime.strptime(m.group(1) + m.group(2), "%Y-%m-%dT%H:%M:%S%z")
        confirmations.setdefault(int(m.group(3)), []).append(at.timestamp())

    def episode_of(i, t, slack=1.5):
        for n, (start, end) in enumerate(episodes[i]):
            if start - slack <= t < (end if end is not None else 1e12) + slack:
                return n
        return None

    confirmed = set()  # (node, episode)
    for i, times in confirmations.items():
        for t in times:
            n = episode_of(i, t)
            if n is not None:
                confirmed.add((i, n))

    covering = {}  # incident id -> (node, episode) it was detected in
    late = []  # recorded recovery - true end, seconds
    for incident, node, detected, closed in query(
            "SELECT i.id, m.node, i.detected_at, i.closed_at FROM incidents i "
            "JOIN incident_monitors m ON m.incident_id = i.id WHERE m.monitor LIKE 'process:%'"):
        incident, detected = int(incident), int(detected)
        closed = None if closed is None else int(closed)
        i = int(node[2:])
        n = episode_of(i, detected / 1000.0)
        if n is None:
            continue
        covering[incident] = (i, n)
        end = episodes[i][n][1]
        if closed is not None and end is not None:
            late.append(closed / 1000.0 - end)
    phone_duty_of = {}
    for incident, message_id in query(
            "SELECT incident_id, message_id FROM reports WHERE channel = 'phone' AND kind = 'first'"):
        phone_duty_of["<on-duty." + message_id[1:]] = int(incident)
    covered = set(covering.values())
    extra_incidents = len(covering) - len(covered)  # two incidents for one failure

    received = {"first": {}, "phone duty": {}, "final": {}}
    for message_id, subject, body in inbox.snapshot():
        m = re.search(r"incident-(\d+)\.", message_id)
        incident = phone_duty_of.get(message_id) or (int(m.group(1)) if m else None)
        if covering.get(incident) not in confirmed:
            continue
        if message_id.startswith("<on-duty."):
            kind = "phone duty"
        elif "第一報" in body:
            kind = "first"
        elif "最終報" in body:
            kind = "final"
        else:
            continue
        received[kind].setdefault(covering[incident], {})
        received[kind][covering[incident]][message_id] = (
            received[kind][covering[incident]].get(message_id, 0) + 1)

    expected = len(confirmed)
    lost_incidents = len(confirmed - covered)
    if takeovers:
        takeovers.sort()
        print(f"takeovers after a leader's kill -9: {len(takeovers)}, median "
              f"{takeovers[len(takeovers) // 2]:.1f} s, max {takeovers[-1]:.1f} s "
              "(the spec: within one ping cycle, 60 s)")
    print(f"crash test{' (HA pair, ledger on PostgreSQL)' if args.pair else ''}: {args.nodes} nodes, {args.seconds} s at most, seed {args.seed}, "
          f"grouping window {args.window} s; kills: " +
          ", ".join(f"{k} {v}" for k, v in kills.items()) + f"; settled: {ok}")
    print(f"{'':16}{'expected':>10}{'received':>10}{'duplicated':>12}{'lost':>6}")
    print(f"{'incidents':16}{expected:>10}{len(covered & confirmed):>10}"
          f"{extra_incidents:>12}{lost_incidents:>6}")
    lost_total = lost_incidents
    for kind in ("first", "phone duty", "final"):
        got = received[kind]
        dup = sum(n - 1 for ids in got.values() for n in ids.values())
        lost = expected - len(got)
        lost_total += lost
        label = {"first": "first report", "phone duty": "phone duty", "final": "final report"}[kind]
        print(f"{label:16}{expected:>10}{len(got):>10}{dup:>12}{lost:>6}")
    if late:
        late.sort()
        print(f"recovery recorded after the true end: median {late[len(late) // 2]:.1f} s, "
              f"max {late[-1]:.1f} s (checks every 1 s; a restart adds its down time)")
    print(f"(work files in {tmp})")
    return 1 if lost_total or not ok else 0


if __name__ == "__main__":
    sys.exit(main())
