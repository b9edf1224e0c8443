#!/usr/bin/env python3
"""berth against Docker and Podman, side by side, in one run (`make bench`).

Starts a private dockerd (own data root, exec root, pidfile and socket), a private berthd (own
BERTH_ROOT/BERTH_RUN, bridge and nftables table) and uses podman with private storage, network
config and containers.conf. Imports one busybox rootfs into all three, runs each scenario with the
engines alternating (berth docker podman berth docker podman ...), prints a table of medians,
min-max and berth/peer ratios, and writes it to BENCHMARKS.md.

Traffic goes only to loopback, the host's own address and the engines' container addresses. No
image is pulled. When the run ends (also on failure or Ctrl-C) every container, network and image
the run made is removed, the daemons are stopped, and the host is put back as it was: nftables
tables that appeared are deleted, sysctls that changed are restored, leftover links and mounts of
the run are removed; what still differs is printed.

Knobs (environment):
  BENCH_QUICK=1            few iterations of everything (a few minutes)
  BENCH_SCENARIOS=a,b      only these, in this order, of: start dns ports network memory nat throughput scale
  BENCH_ITER=N             iterations per engine for start/network (default 20/10, quick 3)
  BENCH_SCALE_COUNT=N      containers per engine in `scale` (default 500, quick 30)
  BENCH_MEMORY_COUNT=N     containers per engine in `memory` (default 100, quick 10)
  BENCH_PORT_COUNTS=1,100  published-port counts in `ports` (default 1,100,1000; quick 1,100)
  BENCH_NAT_PORTS=N        other published ports in `nat` (default 1000)
  BENCH_SECONDS=S          length of each timed load run, dnsperf/iperf3/nat (default 5, quick 2)
  BENCH_ENGINES=a,b        subset of berth,docker,podman (default all three)
  BENCH_MAX_MINUTES=M      skip scenarios that would start after M minutes (default 55)
  BENCH_BIN=DIR            where berth/berthd/berth-monitor are (default .build/release)
  BENCH_OUT=FILE           the markdown to write (default BENCHMARKS.md)

`bench.py --cleanup` recovers from a run that was killed hard (SIGKILL): it stops that run's
daemons, removes what it made and restores the host from the state saved when it began.
"""

import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from multiprocessing import Process, Queue

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")


def knob(name, default, quick):
    v = os.environ.get(name)
    if v:
        return int(v)
    return quick if QUICK else default


ITER = knob("BENCH_ITER", 20, 3)
NET_ITER = knob("BENCH_ITER", 10, 3)
SCALE_COUNT = knob("BENCH_SCALE_COUNT", 500, 30)
MEMORY_COUNT = knob("BENCH_MEMORY_COUNT", 100, 10)
NAT_PORTS = knob("BENCH_NAT_PORTS", 1000, 1000)
SECONDS = knob("BENCH_SECONDS", 5, 2)
REPS = knob("BENCH_REPS", 3, 1)
PORT_COUNTS = [int(x) for x in os.environ.get("BENCH_PORT_COUNTS", "1,100" if QUICK else "1,100,1000").split(",")]
# In order of importance: when BENCH_MAX_MINUTES runs out, the last ones are skipped.
ALL_SCENARIOS = ["start", "dns", "ports", "network", "memory", "nat", "throughput", "scale"]
SCENARIOS = [s for s in os.environ.get("BENCH_SCENARIOS", ",".join(ALL_SCENARIOS)).split(",") if s]
ENGINES = [e for e in os.environ.get("BENCH_ENGINES", "berth,docker,podman").split(",") if e]
MAX_SECONDS = knob("BENCH_MAX_MINUTES", 55, 55) * 60
BIN = os.path.abspath(os.environ.get("BENCH_BIN", os.path.join(REPO, ".build/release")))
OUT = os.environ.get("BENCH_OUT", os.path.join(REPO, "BENCHMARKS.md"))
WORK = "/tmp/berth-bench"      # images, storage roots (overlay needs a real file system)
RUNDIR = "/run/berth-bench"    # sockets, pid files (short paths: unix sockets allow 108 bytes)
NET = "benchnet"
IMAGE = "benchbox:latest"
TIMEOUT = 120
T0 = time.monotonic()

for s in SCENARIOS:
    if s not in ALL_SCENARIOS:
        sys.exit(f"BENCH_SCENARIOS: unknown scenario {s!r}; choose from {', '.join(ALL_SCENARIOS)}")
for e in ENGINES:
    if e not in ("berth", "docker", "podman"):
        sys.exit(f"BENCH_ENGINES: unknown engine {e!r}; choose from berth, docker, podman")


def log(msg):
    print(f"[{time.monotonic() - T0:7.1f}s] {msg}", flush=True)


def sh(cmd, env=None, timeout=TIMEOUT, check=True, quiet=False):
    """Runs a command; returns stdout. Raises with its stderr when it fails and check is set."""
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:6])}... exited {p.returncode}: {p.stderr.strip()[:600]}")
    if not quiet and p.returncode != 0:
        log(f"  (ignored) {' '.join(cmd[:5])}: {p.stderr.strip()[:200]}")
    return p.stdout


def timed(cmd, env=None, timeout=TIMEOUT):
    t = time.perf_counter()
    sh(cmd, env=env, timeout=timeout)
    return time.perf_counter() - t


# --------------------------------------------------------------------------------------------
# Processes, memory, host state


def host_pidns():
    return os.readlink("/proc/self/ns/pid")


def processes():
    """pid -> (ppid, cmdline, rss_kb), processes of the host's pid namespace only."""
    me = host_pidns()
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            if os.readlink(f"/proc/{d}/ns/pid") != me:
                continue
            with open(f"/proc/{d}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
            rss, ppid = 0, 0
            with open(f"/proc/{d}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss = int(line.split()[1])
                    elif line.startswith("PPid:"):
                        ppid = int(line.split()[1])
            if cmd:
                out[int(d)] = (ppid, cmd, rss)
        except OSError:
            continue
    return out


def pss_kb(pid):
    """Proportional set size: shared pages (libraries of many identical helpers) divided among
    the processes sharing them."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def descendants(procs, roots):
    found = set(r for r in roots if r in procs)
    changed = True
    while changed:
        changed = False
        for pid, (ppid, _, _) in procs.items():
            if ppid in found and pid not in found:
                found.add(pid)
                changed = True
    return found


def read_sysctls():
    keys = ["net/ipv4/ip_forward", "net/ipv4/conf/all/forwarding", "net/ipv6/conf/all/forwarding",
            "net/ipv4/conf/all/route_localnet", "net/bridge/bridge-nf-call-iptables",
            "net/bridge/bridge-nf-call-ip6tables", "net/bridge/bridge-nf-call-arptables"]
    vals = {}
    for k in keys:
        try:
            with open("/proc/sys/" + k) as f:
                vals[k] = f.read().strip()
        except OSError:
            pass
    return vals


def host_state():
    links = set(line.split()[0].split("@")[0] for line in sh(["ip", "-br", "link"]).splitlines() if line.strip())
    tables = set(line.strip() for line in sh(["nft", "list", "tables"]).splitlines() if line.strip())
    with open("/proc/mounts") as f:
        overlays = sum(1 for line in f if line.startswith("overlay ") and line.split()[1].startswith(WORK))
    netns = set(os.listdir("/run/netns")) if os.path.isdir("/run/netns") else set()
    names = ("dockerd", "containerd", "conmon", "berth-monitor", "docker-proxy", "aardvark-dns", "berthd",
             "containerd-shim")
    procs = {pid: c for pid, (_, c, _) in processes().items()
             if any(os.path.basename(c.split()[0]).startswith(n) for n in names)}
    paths = {p for p in ("/run/containers", "/var/lib/containers", "/etc/containers/networks", "/run/docker",
                         "/var/lib/docker", "/run/containerd", "/var/run/docker.sock", "/var/lib/containerd") if os.path.lexists(p)}
    return {"paths": paths, "links": links, "tables": tables, "overlays": overlays, "netns": netns,
            "procs": procs, "sysctls": read_sysctls(), "forward_policy": forward_policy()}


def forward_policy():
    try:
        out = subprocess.run(["nft", "list", "chain", "ip", "filter", "FORWARD"], capture_output=True,
                             text=True, timeout=20).stdout
    except Exception:
        return None
    m = re.search(r"policy (\w+);", out)
    return m.group(1) if m else None


# --------------------------------------------------------------------------------------------
# Engines


class PidProc:
    """A daemon of an earlier (killed) run, known by its pid file; only a process whose command
    is that daemon is taken."""

    def __init__(self, pid):
        self.pid = pid

    @staticmethod
    def read(path, program):
        try:
            with open(path) as f:
                pid = int(f.read().strip())
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if os.path.basename(f.read().split(b"\0")[0].decode()) != program:
                    return None
            return PidProc(pid)
        except (OSError, ValueError):
            return None

    def poll(self):
        return None if os.path.exists(f"/proc/{self.pid}") else 0

    def terminate(self):
        os.kill(self.pid, signal.SIGTERM)

    def kill(self):
        os.kill(self.pid, signal.SIGKILL)

    def wait(self, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if self.poll() is not None:
                return 0
            time.sleep(0.1)
        raise subprocess.TimeoutExpired("daemon", seconds)


class Engine:
    name = "?"
    cli = []
    env = None
    port_base = 0

    def run(self, *args, timeout=TIMEOUT, check=True):
        return sh(self.cli + list(args), env=self.env, timeout=timeout, check=check)

    def time(self, *args, timeout=TIMEOUT):
        return timed(self.cli + list(args), env=self.env, timeout=timeout)

    def inspect(self, fmt, name):
        return self.run("inspect", "-f", fmt, name).strip()

    def pid_of(self, name):
        return int(self.inspect("{{.State.Pid}}", name))

    def ip_of(self, name, net=NET):
        return self.inspect('{{(index .NetworkSettings.Networks "%s").IPAddress}}' % net, name)

    def wait_ready(self, what, log_path, tries):
        """Until the CLI's `version` answers (at most tries × 0.1 s), or the daemon died."""
        for _ in range(tries):
            if subprocess.run(self.cli + ["version"], env=self.env, capture_output=True).returncode == 0:
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"{what} did not answer; see {log_path}")

    def terminate(self, grace):
        """SIGTERM the daemon, SIGKILL after `grace` seconds."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def rm_all(self):
        ids = self.run("ps", "-aq", check=False).split()
        for i in range(0, len(ids), 50):
            self.run(*self.rm_args(), *ids[i:i + 50], timeout=600, check=False)

    def dns_server(self, net=NET):
        return "127.0.0.11"

    def bridge_of(self, net):
        return "br-" + self.run("network", "inspect", "-f", "{{.Id}}", net).strip()[:12]

    def adopt(self):
        """Takes over the daemon a killed run left (found by its pid file), so it can be stopped."""

    def rm_args(self):
        """`rm -f` as Docker means it: kill at once (Podman first waits for SIGTERM's timeout)."""
        return ["rm", "-f"]

    def daemon_pids(self, procs):
        return set()

    def helper_pids(self, procs):
        """Per-container helper processes of this engine (host pid namespace)."""
        return set()


class Berth(Engine):
    name = "berth"
    port_base = 10000

    def __init__(self):
        self.root = f"{WORK}/berth"
        self.rundir = f"{RUNDIR}/berth"
        os.makedirs(self.root, exist_ok=True)
        with open(f"{self.root}/daemon.json", "w") as f:
            json.dump({"bip": "10.211.0.1/24"}, f)
        self.env = dict(os.environ, BERTH_ROOT=f"{self.root}/root", BERTH_RUN=self.rundir,
                        BERTH_CONFIG=f"{self.root}/daemon.json", BERTH_BRIDGE="bbench0",
                        BERTH_NFT_TABLE="berth_bench", BERTH_NO_AUTOSTART="1", BERTH_RUNTIME="runc",
                        PATH=BIN + ":" + os.environ["PATH"])
        self.cli = [f"{BIN}/berth"]
        self.proc = None

    def start(self):
        os.makedirs(self.rundir, exist_ok=True)
        logf = open(f"{self.root}/berthd.log", "w")
        self.proc = subprocess.Popen([f"{BIN}/berthd"], env=self.env, stdout=logf, stderr=logf,
                                     start_new_session=True)
        self.wait_ready("berthd", f"{self.root}/berthd.log", 300)

    def version(self):
        return self.run("--version", check=False).strip().replace("berth version ", "")

    def adopt(self):
        self.proc = PidProc.read(f"{self.rundir}/berthd.pid", "berthd")

    def stop(self):
        self.terminate(30)
        # berthd --cleanup removes every bridge, veth and rule this berth made.
        sh([f"{BIN}/berthd", "--cleanup"], env=self.env, check=False, timeout=120)

    def daemon_pids(self, procs):
        return {self.proc.pid} if self.proc and self.proc.pid in procs else set()

    def helper_pids(self, procs):
        return {p for p, (_, c, _) in procs.items()
                if os.path.basename(c.split()[0]) == "berth-monitor" and (self.rundir in c or self.root in c)}


class Docker(Engine):
    name = "docker"
    port_base = 12000

    def __init__(self):
        self.root = f"{WORK}/docker"
        self.rundir = f"{RUNDIR}/docker"
        self.sock = f"unix://{self.rundir}/docker.sock"
        self.cli = ["/usr/bin/docker", "-H", self.sock]
        self.env = dict(os.environ, DOCKER_CONFIG=f"{self.root}/client")
        self.proc = None

    def start(self):
        for d in (self.root, self.rundir, f"{self.root}/client"):
            os.makedirs(d, exist_ok=True)
        if os.path.exists("/run/containerd/containerd.sock"):
            log("note: a system containerd is running; dockerd will use it")
        with open(f"{self.root}/daemon.json", "w") as f:
            json.dump({}, f)
        logf = open(f"{self.root}/dockerd.log", "w")
        self.proc = subprocess.Popen(
            ["dockerd", "--config-file", f"{self.root}/daemon.json", "--data-root", f"{self.root}/data",
             "--exec-root", f"{self.rundir}/exec", "--pidfile", f"{self.rundir}/dockerd.pid",
             "-H", self.sock, "--bip", "10.210.0.1/24", "--storage-driver", "overlay2",
             "--log-level", "warn"], env=self.env, stdout=logf, stderr=logf, start_new_session=True)
        self.wait_ready("dockerd", f"{self.root}/dockerd.log", 600)

    def version(self):
        return "Docker " + self.run("version", "-f", "{{.Server.Version}}", check=False).strip()

    def adopt(self):
        self.proc = PidProc.read(f"{self.rundir}/dockerd.pid", "dockerd")

    def stop(self):
        self.terminate(60)

    def daemon_pids(self, procs):
        if not self.proc:
            return set()
        ds = descendants(procs, {self.proc.pid})
        return {p for p in ds if os.path.basename(procs[p][1].split()[0]) in ("dockerd", "containerd")}

    def helper_pids(self, procs):
        ds = descendants(procs, {self.proc.pid}) if self.proc else set()
        shims = {p for p, (_, c, _) in procs.items() if "containerd-shim" in c.split()[0] and self.rundir in c}
        return (ds | descendants(procs, shims)) - self.daemon_pids(procs)


class Podman(Engine):
    name = "podman"
    port_base = 14000

    def __init__(self):
        self.root = f"{WORK}/podman"
        self.rundir = f"{RUNDIR}/podman"
        for d in (self.root, f"{self.root}/networks", self.rundir, f"{self.rundir}/tmp"):
            os.makedirs(d, exist_ok=True)
        with open(f"{self.root}/containers.conf", "w") as f:
            f.write(f"""[containers]
default_ulimits = []
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "{self.rundir}/events.log"
tmp_dir = "{self.rundir}/tmp"
[network]
network_backend = "netavark"
network_config_dir = "{self.root}/networks"
""")
        with open(f"{self.root}/storage.conf", "w") as f:
            f.write(f"""[storage]
driver = "overlay"
graphroot = "{self.root}/storage"
runroot = "{self.rundir}/storage"
""")
        self.env = dict(os.environ, CONTAINERS_CONF=f"{self.root}/containers.conf",
                        CONTAINERS_STORAGE_CONF=f"{self.root}/storage.conf")
        self.cli = ["podman", "--runtime", "runc"]

    def start(self):
        pass

    def stop(self):
        pass

    def version(self):
        return "Podman " + self.run("version", "-f", "{{.Client.Version}}", check=False).strip()

    def rm_args(self):
        return ["rm", "-f", "-t", "0"]

    def bridge_of(self, net):
        return self.run("network", "inspect", "-f", "{{.NetworkInterface}}", net).strip()

    def dns_server(self, net=NET):
        return self.run("network", "inspect", "-f", "{{range .Subnets}}{{.Gateway}}{{end}}", net).strip()

    def helper_pids(self, procs):
        conmons = {p for p, (_, c, _) in procs.items()
                   if os.path.basename(c.split()[0]) == "conmon" and (self.rundir in c or self.root in c)}
        # aardvark-dns (one per host, started by netavark) keeps its config in /run/containers/networks.
        aardvark = {p for p, (_, c, _) in procs.items() if os.path.basename(c.split()[0]) == "aardvark-dns"}
        return conmons | aardvark


# --------------------------------------------------------------------------------------------
# Results


class Results:
    def __init__(self):
        self.rows = []          # (scenario, metric, unit, better, {engine: [values]})
        self.index = {}
        self.notes = []
        self.targets = []       # (scenario, text, value text, ok or None)

    def add(self, scenario, metric, unit, engine, value, better="lower"):
        key = (scenario, metric)
        if key not in self.index:
            self.index[key] = (scenario, metric, unit, better, {})
            self.rows.append(self.index[key])
        self.index[key][4].setdefault(engine, []).append(value)

    def values(self, scenario, metric, engine):
        row = self.index.get((scenario, metric))
        return row[4].get(engine, []) if row else []

    def median(self, scenario, metric, engine):
        v = self.values(scenario, metric, engine)
        return statistics.median(v) if v else None

    def target(self, scenario, text, value, ok):
        self.targets.append((scenario, text, value, ok))


R = Results()


def fmt(v, unit):
    if v is None:
        return "–"
    if unit in ("s",):
        return f"{v * 1000:.0f} ms" if v < 10 else f"{v:.1f} s"
    if unit == "ms":
        return f"{v:.1f} ms"
    if unit == "µs":
        return f"{v:.0f} µs"
    if unit in ("MB", "Gbit/s"):
        return f"{v:.1f} {unit}" if v < 100 else f"{v:.0f} {unit}"
    if unit in ("q/s", "conn/s"):
        return f"{v / 1000:.1f}k {unit}" if v >= 1000 else f"{v:.0f} {unit}"
    return f"{v:g} {unit}".strip()


def cell(vals, unit):
    if not vals:
        return "–"
    med = statistics.median(vals)
    if len(vals) == 1:
        return fmt(med, unit)
    return f"{fmt(med, unit)} ({fmt(min(vals), unit).split()[0]}–{fmt(max(vals), unit)})"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "–"
    return f"{a / b:.2f}×"


def table_lines():
    refs = sorted({e for r in R.rows for e in r[4] if e not in ENGINES})
    head = ["scenario", "metric"] + ENGINES + (["reference (" + ", ".join(refs) + ")"] if refs else [])
    peers = [e for e in ENGINES if e != "berth"]
    if "berth" in ENGINES:
        head += [f"berth/{p}" for p in peers]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for scenario, metric, unit, better, per in R.rows:
        cells = [scenario, metric] + [cell(per.get(e, []), unit) for e in ENGINES]
        if refs:
            cells.append(" ".join(f"{r}: {cell(per[r], unit)}" for r in refs if per.get(r)) or "–")
        if "berth" in ENGINES:
            b = statistics.median(per["berth"]) if per.get("berth") else None
            for p in peers:
                pm = statistics.median(per[p]) if per.get(p) else None
                cells.append(ratio(b, pm))
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def target_lines():
    lines = ["| scenario | target (issue 7) | measured | verdict |", "|---|---|---|---|"]
    for scenario, text, value, ok in R.targets:
        verdict = "–" if ok is None else ("met" if ok else "**NOT MET**")
        lines.append(f"| {scenario} | {text} | {value} | {verdict} |")
    return lines


# --------------------------------------------------------------------------------------------
# Helpers for the scenarios


def http_ok(host, port, timeout=1.0):
    """True when an HTTP server answers a GET with a status line (a bare TCP accept is not enough:
    docker-proxy accepts before the container listens)."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.sendall(b"GET / HTTP/1.0\r\n\r\n")
            data = s.recv(64)
            return data.startswith(b"HTTP/1.")
    except OSError:
        return False


def wait_http(host, port, deadline=30.0):
    end = time.perf_counter() + deadline
    while time.perf_counter() < end:
        if http_ok(host, port, timeout=0.5):
            return True
        time.sleep(0.002)
    return False


def host_ip():
    out = sh(["ip", "-4", "-o", "route", "get", "192.0.2.1"], check=False)
    m = re.search(r" src ([0-9.]+)", out)
    if m:
        return m.group(1)
    out = sh(["ip", "-4", "-o", "addr", "show", "scope", "global"])
    m = re.search(r"inet ([0-9.]+)/", out)
    return m.group(1) if m else None


def engine_mem(eng):
    procs = processes()
    d = eng.daemon_pids(procs)
    h = eng.helper_pids(procs)
    return (sum(procs[p][2] for p in d) / 1024, sum(procs[p][2] for p in h) / 1024, len(h), procs)


def helper_pss(eng):
    procs = processes()
    return sum(pss_kb(p) for p in eng.helper_pids(procs)) / 1024


def over_time(scenario):
    if time.monotonic() - T0 > MAX_SECONDS:
        R.notes.append(f"{scenario}: skipped, the run passed BENCH_MAX_MINUTES={MAX_SECONDS // 60}.")
        log(f"skipping {scenario}: time limit")
        return True
    return False


def httpd_args(port_spec, name, extra=()):
    return ["run", "-d", "--name", name, "--network", NET, *extra, "-p", port_spec, IMAGE,
            "httpd", "-f", "-p", "80", "-h", "/www"]


# --------------------------------------------------------------------------------------------
# Scenarios


def scenario_start(engines, rt):
    log(f"start: {ITER} runs each of `run -d -p` until the port answers on 127.0.0.1")
    for i in range(ITER):
        for e in engines:
            port = e.port_base + 100 + i
            name = f"bb-start-{i}"
            t = time.perf_counter()
            e.run(*httpd_args(f"{port}:80", name))
            returned = time.perf_counter() - t
            if not wait_http("127.0.0.1", port):
                raise RuntimeError(f"{e.name}: port {port} of {name} did not answer in 30 s")
            R.add("start", "run -d -p, until 127.0.0.1 answers", "s", e.name, time.perf_counter() - t)
            R.add("start", "run -d -p, CLI returns", "s", e.name, returned)
            R.add("start", "rm -f", "s", e.name, e.time(*e.rm_args(), name))
    log("start: bare runc run vs run --rm --network none, /bin/true")
    for i in range(ITER):
        R.add("start", "run --rm --network none true", "s", "runc", rt.run_once(i))
        for e in engines:
            R.add("start", "run --rm --network none true", "s", e.name,
                  e.time("run", "--rm", "--network", "none", IMAGE, "true"))


class BareRunc:
    """A runc bundle of the same rootfs with /bin/true, run in the foreground (create, start, wait,
    delete) — what an engine adds on top of this is its overhead."""

    def __init__(self, rootfs):
        self.dir = f"{WORK}/runc"
        self.bundle = f"{self.dir}/bundle"
        os.makedirs(self.bundle, exist_ok=True)
        if not os.path.exists(f"{self.bundle}/rootfs"):
            shutil.copytree(rootfs, f"{self.bundle}/rootfs", symlinks=True)
        sh(["runc", "spec", "--bundle", self.bundle], check=False)
        with open(f"{self.bundle}/config.json") as f:
            spec = json.load(f)
        spec["process"]["terminal"] = False
        spec["process"]["args"] = ["/bin/true"]
        spec["process"]["rlimits"] = []
        with open(f"{self.bundle}/config.json", "w") as f:
            json.dump(spec, f)
        self.root = f"{RUNDIR}/runc"
        os.makedirs(self.root, exist_ok=True)

    def run_once(self, i):
        return timed(["runc", "--root", self.root, "run", "--bundle", self.bundle, f"bb-runc-{os.getpid()}-{i}"])

    def cleanup(self):
        for cid in sh(["runc", "--root", self.root, "list", "-q"], check=False, quiet=True).split():
            sh(["runc", "--root", self.root, "delete", "-f", cid], check=False, quiet=True)


def scenario_ports(engines):
    log(f"ports: one container publishing {PORT_COUNTS} ports; start, remove, helpers")
    reps = max(1, REPS)
    for count in PORT_COUNTS:
        for i in range(reps):
            for e in engines:
                first = e.port_base + (0 if count == 1 else 1000)
                spec = f"{first}:80" if count == 1 else f"{first}-{first + count - 1}:{20000}-{20000 + count - 1}"
                name = f"bb-ports-{count}-{i}"
                _, h0, n0, procs0 = engine_mem(e)
                d0 = sum(procs0[p][2] for p in e.daemon_pids(procs0)) / 1024
                R.add("ports", f"start, {count} port(s)", "s", e.name,
                      e.time("run", "-d", "--name", name, "--network", NET, "-p", spec, IMAGE, "sleep", "3600",
                             timeout=900))
                time.sleep(0.5)
                d1, h1, n1, _ = engine_mem(e)
                R.add("ports", f"helper processes, {count} port(s)", "", e.name, n1 - n0)
                R.add("ports", f"memory added (daemon+helpers), {count} port(s)", "MB", e.name, (d1 + h1) - (d0 + h0))
                R.add("ports", f"rm -f, {count} port(s)", "s", e.name, e.time(*e.rm_args(), name, timeout=900))


def conn_worker(host, port, seconds, q):
    n, end = 0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        try:
            with socket.create_connection((host, port), timeout=2) as s:
                s.sendall(b"GET / HTTP/1.0\r\n\r\n")
                while s.recv(4096):
                    pass
            n += 1
        except OSError:
            pass
    q.put(n)


def conn_rate(host, port, seconds, workers=2):
    q = Queue()
    ps = [Process(target=conn_worker, args=(host, port, seconds, q)) for _ in range(workers)]
    for p in ps:
        p.start()
    total = sum(q.get(timeout=seconds + 30) for _ in ps)
    for p in ps:
        p.join(10)
    return total / seconds


def scenario_nat(engines, hostaddr):
    log(f"nat: new HTTP connections/s to one published port on {hostaddr}, with 0 then {NAT_PORTS} other ports")
    for e in engines:
        e.run(*httpd_args(f"{e.port_base}:80", "bb-nat"))
        if not wait_http(hostaddr, e.port_base):
            raise RuntimeError(f"{e.name}: bb-nat did not answer on {hostaddr}:{e.port_base}")
    # Per engine: 1 port, then +N, then 1 port again. The "1 port" figure brackets the other in time,
    # so drift on a shared machine does not masquerade as NAT cost. Only the measured engine has its
    # N other ports meanwhile: Docker's and netavark's iptables rules are linear chains that every new
    # connection to a local address walks, so N ports of one engine would slow the others' connections.
    for _ in range(max(1, REPS)):
        for e in engines:
            R.add("nat", "connections/s, 1 published port", "conn/s", e.name,
                  conn_rate(hostaddr, e.port_base, SECONDS), better="higher")
            first = e.port_base + 1000
            e.run("run", "-d", "--name", "bb-nat-others", "--network", NET, "-p",
                  f"{first}-{first + NAT_PORTS - 1}:{20000}-{20000 + NAT_PORTS - 1}", IMAGE, "sleep", "3600",
                  timeout=900)
            time.sleep(1)
            R.add("nat", f"connections/s, +{NAT_PORTS} other published ports", "conn/s", e.name,
                  conn_rate(hostaddr, e.port_base, SECONDS), better="higher")
            e.run(*e.rm_args(), "bb-nat-others", timeout=900)
            time.sleep(1)
            R.add("nat", "connections/s, 1 published port", "conn/s", e.name,
                  conn_rate(hostaddr, e.port_base, SECONDS), better="higher")
    for e in engines:
        e.run(*e.rm_args(), "bb-nat", timeout=900)


def dnsperf(pid, server, qfile, args):
    cmd = ["nsenter", "-t", str(pid), "-n", "dnsperf", "-s", server, "-d", qfile, "-t", "2"] + args
    return sh(cmd, timeout=SECONDS + 60)


def parse_dnsperf(out):
    def num(pattern):
        m = re.search(pattern, out)
        return float(m.group(1)) if m else None
    return {"sent": num(r"Queries sent:\s+(\d+)"), "completed": num(r"Queries completed:\s+(\d+)"),
            "lost": num(r"Queries lost:\s+(\d+)"), "qps": num(r"Queries per second:\s+([0-9.]+)"),
            "mean": num(r"Average Latency \(s\):\s+([0-9.]+)"),
            "noerror": num(r"NOERROR (\d+)")}


def scenario_dns(engines):
    log(f"dns: dnsperf in a container's namespace against the engine's resolver, {SECONDS} s runs")
    names = [f"bb-dns-{k}" for k in range(1, 4)]
    qfile = f"{WORK}/queries.txt"
    with open(qfile, "w") as f:
        f.writelines(f"{n} A\n" for n in names)
    pids, servers = {}, {}
    for e in engines:
        for n in names:
            e.run("run", "-d", "--name", n, "--network", NET, IMAGE, "sleep", "3600")
        pids[e.name] = e.pid_of(names[0])
        servers[e.name] = e.dns_server()
        # Every name must answer before load, so nothing is ever forwarded upstream.
        check = f"{WORK}/check.txt"
        for n in names:
            with open(check, "w") as f:
                f.write(f"{n} A\n")
            r = parse_dnsperf(dnsperf(pids[e.name], servers[e.name], check, ["-n", "1"]))
            if r["noerror"] != 1:
                raise RuntimeError(f"{e.name}: resolver {servers[e.name]} did not answer {n}")
    for _ in range(max(1, REPS)):
        for e in engines:
            r = parse_dnsperf(dnsperf(pids[e.name], servers[e.name], qfile, ["-l", str(SECONDS), "-q", "100"]))
            if r["lost"]:
                R.notes.append(f"dns: {e.name} lost {r['lost']:.0f} of {r['sent']:.0f} queries in a saturated run.")
            R.add("dns", "saturated queries/s", "q/s", e.name, r["qps"], better="higher")
        for e in engines:
            out = dnsperf(pids[e.name], servers[e.name], qfile, ["-l", str(SECONDS), "-Q", "2000", "-v"])
            r = parse_dnsperf(out)
            lat = sorted(float(m) for m in re.findall(r"^> NOERROR .* ([0-9.]+)$", out, re.M))
            R.add("dns", "mean latency at 2,000 q/s", "µs", e.name, r["mean"] * 1e6)
            if lat:
                R.add("dns", "p99 latency at 2,000 q/s", "µs", e.name, lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1e6)
    for e in engines:
        e.run(*e.rm_args(), *names)


def iperf(args):
    try:
        return iperf_once(args)
    except RuntimeError:
        time.sleep(1)   # the server may still be closing the previous test ("busy")
        return iperf_once(args)


def iperf_once(args):
    out = sh(["iperf3", "-J", "-t", str(SECONDS)] + args, timeout=SECONDS + 60, check=False)
    j = json.loads(out)
    if "error" in j or "sum_received" not in j.get("end", {}):
        raise RuntimeError(f"iperf3 {' '.join(args)}: {j.get('error', 'no result')}")
    return j["end"]["sum_received"]["bits_per_second"] / 1e9


def try_add(scenario, metric, unit, engine, f, better="higher"):
    """One measurement whose failure is a finding (written in the notes), not the end of the run."""
    try:
        R.add(scenario, metric, unit, engine, f(), better=better)
    except Exception as ex:
        R.notes.append(f"{scenario}: {engine}: {metric}: failed: {ex}")
        log(f"  {engine}: {metric}: failed: {ex}")


def scenario_throughput(engines, hostaddr):
    log(f"throughput: iperf3 from the host to a server in each container's namespace, {SECONDS} s runs")
    servers = []
    try:
        lo = subprocess.Popen(["iperf3", "-s", "-B", "127.0.0.1", "-p", "19999"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
        servers.append(lo)
        targets = {}
        for e in engines:
            hp = e.port_base + 50
            e.run("run", "-d", "--name", "bb-iperf", "--network", NET, "-p", f"{hp}:5201", IMAGE, "sleep", "3600")
            pid = e.pid_of("bb-iperf")
            servers.append(subprocess.Popen(["nsenter", "-t", str(pid), "-n", "iperf3", "-s", "-p", "5201"],
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            targets[e.name] = (e.ip_of("bb-iperf"), hp)
        time.sleep(1)
        for _ in range(max(1, REPS)):
            R.add("throughput", "loopback, no container (the limit)", "Gbit/s", "host",
                  iperf(["-c", "127.0.0.1", "-p", "19999"]), better="higher")
            for e in engines:
                ip, hp = targets[e.name]
                try_add("throughput", "(a) to the container address", "Gbit/s", e.name,
                        lambda: iperf(["-c", ip, "-p", "5201"]))
                try_add("throughput", "(b) published port on 127.0.0.1", "Gbit/s", e.name,
                        lambda: iperf(["-c", "127.0.0.1", "-p", str(hp)]))
                try_add("throughput", "(c) published port on the host's address", "Gbit/s", e.name,
                        lambda: iperf(["-c", hostaddr, "-p", str(hp)]))
    finally:
        for p in servers:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        for e in engines:
            e.run(*e.rm_args(), "bb-iperf", check=False)


def scenario_memory(engines, idle):
    log(f"memory: daemons idle, then with {MEMORY_COUNT} containers each; per-container helpers")
    for e in engines:
        if e.name in idle:
            R.add("memory", "daemon RSS, idle", "MB", e.name, idle[e.name])
    for k in range(MEMORY_COUNT):
        for e in engines:
            e.run("run", "-d", "--name", f"bb-mem-{k}", "--network", NET, IMAGE, "sleep", "3600")
    time.sleep(2)
    for e in engines:
        d, h, n, _ = engine_mem(e)
        if e.name != "podman":
            R.add("memory", f"daemon RSS, {MEMORY_COUNT} containers", "MB", e.name, d)
        R.add("memory", "helper processes per container", "", e.name, n / MEMORY_COUNT)
        R.add("memory", "helper RSS per container", "MB", e.name, h / MEMORY_COUNT)
        R.add("memory", "helper PSS per container (shared pages divided)", "MB", e.name, helper_pss(e) / MEMORY_COUNT)
    for e in engines:
        e.rm_all()


def scenario_scale(engines):
    # One engine at a time, as in nat: every engine's containers add lines to the host's mount table
    # (overlay roots, netns pins) that each `runc run` of every engine reads several times, and
    # Docker's and netavark's iptables chains grow with them, so with the engines interleaved each
    # engine's last-50 also measured the other two engines' 1,000 containers.
    log(f"scale: {SCALE_COUNT} containers per engine, one after another, one engine at a time")
    window = max(1, min(50, SCALE_COUNT // 10 if SCALE_COUNT < 500 else 50))
    for e in engines:
        for k in range(SCALE_COUNT):
            R.add("scale-raw", "start", "s", e.name, e.time("run", "-d", "--name", f"bb-scale-{k}", "--network", NET,
                                                        IMAGE, "sleep", "3600"))
            if time.monotonic() - T0 > MAX_SECONDS:
                R.notes.append(f"scale: {e.name} stopped after {k + 1} containers (BENCH_MAX_MINUTES).")
                break
        v = R.values("scale-raw", "start", e.name)
        first, last = v[:window], v[-window:]
        R.add("scale", f"median start, first {window}", "s", e.name, statistics.median(first))
        R.add("scale", f"median start, last {window}", "s", e.name, statistics.median(last))
        R.add("scale", "last/first", "", e.name, round(statistics.median(last) / statistics.median(first), 2))
        names = [f"bb-scale-{k}" for k in range(len(v))]
        t = time.perf_counter()
        for i in range(0, len(names), 50):
            e.run(*e.rm_args(), *names[i:i + 50], timeout=900)
        R.add("scale", f"rm -f all ({len(names)}), total", "s", e.name, time.perf_counter() - t)
        left = e.run("ps", "-a", "--format", "{{.Names}} {{.Status}}").splitlines()
        R.add("scale", "containers left after rm", "", e.name, len(left))
        if left:
            R.notes.append(f"scale: {e.name}: `rm -f` of all exited 0 but left {len(left)}: {'; '.join(left[:5])}")
    # the raw per-container series is not a table row
    R.rows = [r for r in R.rows if r[0] != "scale-raw"]


def scenario_network(engines):
    log(f"network: {NET_ITER} x (network create, first container attached, rm, network rm)")
    for i in range(NET_ITER):
        for e in engines:
            net = f"bb-net-{i}"
            c = e.time("network", "create", net)
            remember_bridge(e, net)
            r = e.time("run", "-d", "--name", f"bb-net-c{i}", "--network", net, IMAGE, "sleep", "3600")
            e.run(*e.rm_args(), f"bb-net-c{i}")
            n = e.time("network", "rm", net)
            R.add("network", "network create", "s", e.name, c)
            R.add("network", "first container attached (run -d)", "s", e.name, r)
            R.add("network", "network rm", "s", e.name, n)
            R.add("network", "create + run + network rm", "s", e.name, c + r + n)


# --------------------------------------------------------------------------------------------
# Targets (issue 7) — computed from the medians, never tuned


def evaluate_targets():
    def m(s, metric, e):
        return R.median(s, metric, e)

    if "start" in SCENARIOS:
        b = m("start", "run -d -p, until 127.0.0.1 answers", "berth")
        for peer, limit in (("podman", 0.4), ("docker", 0.25)):
            p = m("start", "run -d -p, until 127.0.0.1 answers", peer)
            if b and p:
                R.target("start", f"berth ≤ {limit}× {peer}", f"{b / p:.2f}×", b / p <= limit)
        bt, rt = m("start", "run --rm --network none true", "berth"), m("start", "run --rm --network none true", "runc")
        if bt and rt:
            R.target("start", "berth overhead over bare `runc run` ≤ 25 ms", f"{(bt - rt) * 1000:.0f} ms",
                     bt - rt <= 0.025)
    if "ports" in SCENARIOS and len(PORT_COUNTS) > 1:
        lo, hi = min(PORT_COUNTS), max(PORT_COUNTS)
        a, z = m("ports", f"start, {lo} port(s)", "berth"), m("ports", f"start, {hi} port(s)", "berth")
        if a and z:
            R.target("ports", f"berth: {hi} ports start within 1.2× of {lo}", f"{z / a:.2f}×", z / a <= 1.2)
        pa, pz = m("ports", f"helper processes, {lo} port(s)", "berth"), m("ports", f"helper processes, {hi} port(s)", "berth")
        if pa is not None and pz is not None:
            R.target("ports", "berth: no process per port", f"{pa:g} → {pz:g} processes", pz <= pa)
    if "scale" in SCENARIOS:
        v = m("scale", "last/first", "berth")
        if v:
            R.target("scale", "berth: last-50 / first-50 median start ≤ 1.2", f"{v:.2f}", v <= 1.2)
    if "nat" in SCENARIOS:
        a = m("nat", "connections/s, 1 published port", "berth")
        z = m("nat", f"connections/s, +{NAT_PORTS} other published ports", "berth")
        if a and z:
            R.target("nat", f"berth: rate with {NAT_PORTS} ports ≥ 0.95× rate with 1", f"{z / a:.2f}×", z / a >= 0.95)
    if "dns" in SCENARIOS:
        b = m("dns", "saturated queries/s", "berth")
        peers = [x for x in (m("dns", "saturated queries/s", p) for p in ("docker", "podman")) if x]
        if b and peers:
            R.target("dns", "berth saturated q/s ≥ 1.5× the better peer", f"{b / max(peers):.2f}×",
                     b >= 1.5 * max(peers))
        bl = m("dns", "mean latency at 2,000 q/s", "berth")
        pl = [x for x in (m("dns", "mean latency at 2,000 q/s", p) for p in ("docker", "podman")) if x]
        if bl and pl:
            R.target("dns", "berth mean latency at 2,000 q/s no worse than either", f"{bl:.0f} µs vs {min(pl):.0f} µs",
                     bl <= min(pl))
            if b and b < 2000:
                R.notes.append(f"dns: berth's resolver answered {b:.0f} q/s saturated, less than the 2,000 q/s of the "
                               "latency run, so that run's latency is mostly queueing.")
    if "throughput" in SCENARIOS:
        a, b = m("throughput", "(a) to the container address", "berth"), m("throughput", "(b) published port on 127.0.0.1", "berth")
        if a and b:
            R.target("throughput", "berth: via 127.0.0.1 ≥ 0.95× direct", f"{b / a:.2f}×", b / a >= 0.95)
    if "memory" in SCENARIOS:
        v = m("memory", "daemon RSS, idle", "berth")
        if v:
            R.target("memory", "berthd idle ≤ 30 MB RSS", f"{v:.1f} MB", v <= 30)
        v = m("memory", "helper RSS per container", "berth")
        pss = m("memory", "helper PSS per container (shared pages divided)", "berth")
        if v is not None:
            R.target("memory", "berth per-container helper ≤ 2 MB (RSS)",
                     f"{v:.1f} MB RSS" + (f" ({pss:.1f} MB PSS)" if pss is not None else ""), v <= 2)


# --------------------------------------------------------------------------------------------
# Setup, teardown, report


def make_rootfs():
    rootfs = f"{WORK}/rootfs"
    tar = f"{WORK}/rootfs.tar"
    if os.path.exists(rootfs):
        shutil.rmtree(rootfs)
    for d in ("bin", "etc", "proc", "sys", "dev", "tmp", "root", "www", "run", "var"):
        os.makedirs(f"{rootfs}/{d}")
    bb = shutil.which("busybox")
    shutil.copy2(os.path.realpath(bb), f"{rootfs}/bin/busybox")
    sh(["chroot", rootfs, "/bin/busybox", "--install", "-s", "/bin"])
    with open(f"{rootfs}/etc/passwd", "w") as f:
        f.write("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n")
    with open(f"{rootfs}/etc/group", "w") as f:
        f.write("root:x:0:\nnogroup:x:65534:\n")
    with open(f"{rootfs}/www/index.html", "w") as f:
        f.write("ok\n")
    os.chmod(f"{rootfs}/tmp", 0o1777)
    sh(["tar", "--numeric-owner", "-C", rootfs, "-cf", tar, "."])
    return rootfs, tar


def versions(engines):
    v = {}
    for e in engines:
        try:
            v[e.name] = e.version()
        except Exception as ex:
            v[e.name] = f"? ({ex})"
    for tool, args in (("runc", ["--version"]), ("netavark", ["--version"]), ("aardvark-dns", ["--version"]),
                       ("conmon", ["--version"]), ("dnsperf", ["-h"]), ("iperf3", ["--version"]),
                       ("containerd", ["--version"])):
        path = shutil.which(tool) or (f"/usr/lib/podman/{tool}" if os.path.exists(f"/usr/lib/podman/{tool}") else None)
        if not path:
            continue
        out = subprocess.run([path] + args, capture_output=True, text=True).stdout + \
            subprocess.run([path] + args, capture_output=True, text=True).stderr
        m = re.search(r"(\d+\.\d+(\.\d+)?)", out)
        v[tool] = m.group(1) if m else "?"
    return v


# Tables the run's engines make in the host's nftables: iptables-nft's (dockerd, netavark) and berth's.
# Only these are deleted, and only when they were not there before: other worktrees' berths (e.g. a
# demo) make their own tables in the host namespace and must be left alone.
OUR_TABLES = {f"table {fam} {name}" for fam in ("ip", "ip6") for name in ("filter", "nat", "mangle", "raw", "security")}
OUR_TABLES.add("table ip berth_bench")
OUR_LINKS = {"docker0", "bbench0"}   # plus every bridge of a network the run made (added as they are made)


SAVED = []   # the host's state before the run, once saved
LOAD = []    # 5-minute load average at the start (and end) of the run: how quiet the machine was


def remember_bridge(e, net):
    try:
        OUR_LINKS.add(e.bridge_of(net))
        if SAVED:
            save_state(SAVED[0])
    except Exception as ex:
        log(f"  {e.name}: bridge of {net}: {ex}")


def restore_host(before):
    after = host_state()
    problems = []
    for t in sorted((after["tables"] - before["tables"]) & OUR_TABLES):
        parts = t.split()
        sh(["nft", "delete", "table", parts[1], parts[2]], check=False)
    if before["forward_policy"] and forward_policy() not in (None, before["forward_policy"]):
        sh(["nft", "chain", "ip", "filter", "FORWARD", "{", "policy", before["forward_policy"], ";", "}"], check=False)
    # Bridges the run made (docker0 survives dockerd; any left by a failed run) and their veths.
    for l in sorted((after["links"] - before["links"]) & OUR_LINKS):
        for line in sh(["ip", "-o", "link", "show", "master", l], check=False, quiet=True).splitlines():
            port = line.split(":")[1].strip().split("@")[0]
            sh(["ip", "link", "del", port], check=False, quiet=True)
        sh(["ip", "link", "del", l], check=False, quiet=True)
    for k, v in before["sysctls"].items():
        try:
            with open("/proc/sys/" + k) as f:
                cur = f.read().strip()
            if cur != v:
                with open("/proc/sys/" + k, "w") as f:
                    f.write(v)
        except OSError as ex:
            problems.append(f"sysctl {k}: {ex}")
    # mounts left under the run's own directories (overlay roots, netns pins, shm).
    with open("/proc/mounts") as f:
        mine = [line.split()[1] for line in f if line.split()[1].startswith((WORK, RUNDIR))]
    for mnt in sorted(mine, key=len, reverse=True):
        sh(["umount", "-l", mnt], check=False, quiet=True)
    for n in sorted(after["netns"] - before["netns"]):
        if n.startswith(("bb-", "netns-")):
            sh(["ip", "netns", "del", n], check=False, quiet=True)
    for p in sorted(after["paths"] - before["paths"]):
        if os.path.isdir(p) and not os.path.islink(p):
            shutil.rmtree(p, ignore_errors=True)
        else:
            os.unlink(p)
    final = host_state()
    ours = {"links": lambda l: l in OUR_LINKS, "tables": lambda t: t in OUR_TABLES,
            "netns": lambda n: n.startswith(("bb-", "netns-")), "paths": lambda p: True}
    for key, mine_only in ours.items():
        extra = {x for x in final[key] - before[key] if mine_only(x)}
        if extra:
            problems.append(f"{key} left: {', '.join(sorted(extra))}")
    if final["overlays"]:
        problems.append(f"{final['overlays']} overlay mounts left under {WORK}")
    # Other berth daemons (other worktrees' tests) come and go: only this run's are counted.
    newprocs = {p: c for p, c in final["procs"].items() if p not in before["procs"] and
                (WORK in c or RUNDIR in c or not os.path.basename(c.split()[0]).startswith("berth"))}
    if newprocs:
        problems.append("processes left: " + "; ".join(f"{p} {c[:80]}" for p, c in newprocs.items()))
    if final["sysctls"] != before["sysctls"]:
        problems.append(f"sysctls differ: {final['sysctls']} vs {before['sysctls']}")
    if final["forward_policy"] != before["forward_policy"]:
        problems.append(f"FORWARD policy {final['forward_policy']} (was {before['forward_policy']})")
    return problems


def teardown(engines, rt):
    log("cleanup: removing containers, networks and images; stopping the daemons")
    for e in engines:
        try:
            e.rm_all()
            nets = [n for n in e.run("network", "ls", "--format", "{{.Name}}", check=False).split()
                    if n == NET or n.startswith("bb-")]
            if nets:
                e.run("network", "rm", *nets, check=False)
            e.run("rmi", "-f", IMAGE, check=False)
        except Exception as ex:
            log(f"  {e.name}: cleanup: {ex}")
    if rt:
        rt.cleanup()
    for e in engines:
        try:
            e.stop()
        except Exception as ex:
            log(f"  {e.name}: stop: {ex}")


STATE_FILE = f"{RUNDIR}/host-before.json"


def save_state(before):
    """What the host looked like before the run, for `bench.py --cleanup` after a hard kill."""
    data = {k: (sorted(v) if isinstance(v, set) else v) for k, v in before.items() if k != "procs"}
    data["procs"] = {str(p): c for p, c in before["procs"].items()}
    data["our_links"] = sorted(OUR_LINKS)
    data["bench_pid"] = os.getpid()
    with open(STATE_FILE + ".tmp", "w") as f:
        json.dump(data, f)
    os.replace(STATE_FILE + ".tmp", STATE_FILE)


def recover():
    """After a run that was killed hard (SIGKILL, power): stop its daemons, remove what it made and
    restore the host from the state the run saved when it began."""
    if not os.path.exists(STATE_FILE):
        sys.exit(f"bench --cleanup: no {STATE_FILE}; nothing to recover (remove {WORK} and {RUNDIR} by hand "
                 "if they exist, after `umount -R`)")
    with open(STATE_FILE) as f:
        data = json.load(f)
    try:
        with open(f"/proc/{data.get('bench_pid')}/cmdline", "rb") as f:
            if b"bench.py" in f.read():
                sys.exit(f"bench --cleanup: the run (pid {data['bench_pid']}) is still going; stop it with Ctrl-C "
                         "or SIGTERM, which cleans up by itself")
    except OSError:
        pass
    before = {k: (set(v) if isinstance(v, list) else v) for k, v in data.items() if k != "bench_pid"}
    before["procs"] = {int(p): c for p, c in data["procs"].items()}
    OUR_LINKS.update(data.get("our_links", []))
    engines = []
    for cls in (Berth, Docker, Podman):
        e = cls()
        e.adopt()
        engines.append(e)
    rt = BareRunc.__new__(BareRunc)
    rt.root = f"{RUNDIR}/runc"
    teardown(engines, rt)
    problems = restore_host(before)
    for d in (WORK, RUNDIR):
        shutil.rmtree(d, ignore_errors=True)
    if problems:
        log("host differs from before the run: " + " | ".join(problems))
        return 1
    log("host restored: links, nftables tables, mounts, netns, sysctls and processes as before")
    return 0


def main():
    if sys.argv[1:] == ["--cleanup"]:
        return recover()
    if sys.argv[1:]:
        sys.exit("usage: bench.py [--cleanup]   (knobs are environment variables; see the top of this file)")
    if os.geteuid() != 0:
        sys.exit("make bench must run as root: it starts dockerd and berthd and uses namespaces")
    # Only the tools of the engines asked for: BENCH_ENGINES=berth runs without Docker or Podman installed.
    engine_tools = {"docker": ("dockerd", "/usr/bin/docker"), "podman": ("podman",)}
    for tool in [t for e in ENGINES for t in engine_tools.get(e, ())] + ["runc", "dnsperf", "iperf3", "nsenter", "nft",
                                                                         "busybox"]:
        if not shutil.which(tool):
            sys.exit(f"bench: {tool} is missing; `make bench` installs it (apt-get install docker.io podman "
                     "netavark aardvark-dns runc dnsperf iperf3 conmon containernetworking-plugins busybox-static)")
    for b in ("berth", "berthd", "berth-monitor"):
        if not os.access(f"{BIN}/{b}", os.X_OK):
            sys.exit(f"bench: {BIN}/{b} is missing; build it (`swift build -c release`) or set BENCH_BIN")
    for d in (WORK, RUNDIR):
        if os.path.exists(d):
            sys.exit(f"bench: {d} exists — another bench is running, or an earlier one was killed hard; "
                     f"then `python3 scripts/bench/bench.py --cleanup` stops its daemons and restores the host")
    others = [c for _, c, _ in processes().values() if os.path.basename(c.split()[0]) in ("dockerd", "containerd")]
    if others:
        sys.exit("bench: a dockerd/containerd is already running (" + others[0][:80] + "); a second dockerd would fight "
                 "it over the same iptables chains. Stop it (e.g. `systemctl stop docker containerd`) and retry.")
    before = host_state()
    os.makedirs(WORK)
    os.makedirs(RUNDIR)
    save_state(before)
    SAVED.append(before)
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    LOAD.append(os.getloadavg()[1])
    engines, rt = [], None
    interrupted = []

    def on_signal(sig, _frame):
        interrupted.append(sig)
        raise KeyboardInterrupt()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    failure = None
    ver = {}
    try:
        rootfs, tar = make_rootfs()
        rt = BareRunc(rootfs)
        classes = {"berth": Berth, "docker": Docker, "podman": Podman}
        for name in ENGINES:
            e = classes[name]()
            engines.append(e)
            log(f"starting {name}")
            e.start()
        idle = {}
        for e in engines:
            log(f"{e.name}: import {tar} as {IMAGE}; network create {NET}")
            e.run("import", tar, IMAGE, timeout=300)
            subnet = {"berth": "10.201.0.0/16", "docker": "10.202.0.0/16", "podman": "10.203.0.0/16"}[e.name]
            e.run("network", "create", "--subnet", subnet, NET)
            remember_bridge(e, NET)
        time.sleep(2)
        for e in engines:
            if e.name != "podman":
                idle[e.name] = engine_mem(e)[0]
        ver = versions(engines)
        hostaddr = host_ip()
        for s in SCENARIOS:
            if over_time(s):
                continue
            ts = time.monotonic()
            if s == "start":
                scenario_start(engines, rt)
            elif s == "ports":
                scenario_ports(engines)
            elif s == "scale":
                scenario_scale(engines)
            elif s == "nat":
                scenario_nat(engines, hostaddr)
            elif s == "dns":
                scenario_dns(engines)
            elif s == "throughput":
                scenario_throughput(engines, hostaddr)
            elif s == "memory":
                scenario_memory(engines, idle)
            elif s == "network":
                scenario_network(engines)
            log(f"{s}: done in {time.monotonic() - ts:.0f} s")
            for e in engines:
                left = e.run("ps", "-aq", check=False).split()
                if left:
                    log(f"  {e.name}: {len(left)} containers left by {s}; removing")
                    e.rm_all()
    except KeyboardInterrupt:
        failure = "interrupted"
    except Exception as ex:
        failure = str(ex)
        log(f"FAILED: {ex}")
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)   # a second Ctrl-C must not cut the cleanup short
        teardown(engines, rt)
        problems = restore_host(before)
        for d in (WORK, RUNDIR):
            shutil.rmtree(d, ignore_errors=True)
        if problems:
            log("host differs from before the run: " + " | ".join(problems))
        else:
            log("host restored: links, nftables tables, mounts, netns, sysctls and processes as before")
    LOAD.append(os.getloadavg()[1])
    evaluate_targets()
    report(started, ver, failure)
    return 1 if failure else 0


def report(started, ver, failure):
    uname = os.uname()
    kernel = f"{uname.sysname} {uname.release} {uname.machine}"
    how = ("BENCH_QUICK=1 (few iterations; numbers are indicative only)" if QUICK else "full run")
    knobs = {k: v for k, v in os.environ.items() if k.startswith("BENCH_")}
    build = "release" if BIN.rstrip("/").endswith("release") else f"binaries from {BIN}"
    lines = [
        "# Benchmarks: berth against Docker and Podman",
        "",
        f"Made by `make bench` (scripts/bench/bench.py) on {started}: {how}.",
        f"Knobs: {', '.join(f'{k}={v}' for k, v in sorted(knobs.items())) or 'none'}; berth build: {build}.",
        "",
        f"Machine: {os.cpu_count()} cores (nproc), {kernel}, "
        f"{round(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30)} GiB RAM; "
        f"5-minute load average {' at the start, '.join(f'{l:.1f}' for l in LOAD)} at the end "
        f"(above ~0.5 the machine was not quiet, and absolute times drift; the ratios hold better). "
        f"The run took {(time.monotonic() - T0) / 60:.0f} minutes.",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in ver.items()) + ".",
        "",
        "All three engines use runc, the same busybox rootfs (imported, never pulled) and a user-defined",
        "network each; scenarios run the engines alternately (berth, docker, podman, berth, …) so drift",
        "on a shared machine hits all three alike. Cells: median (min–max) over the iterations; ratios are",
        "of medians, berth/peer (below 1 is berth faster or smaller for times and memory, above 1 is",
        "berth better for rates).",
        "",
    ]
    if failure:
        lines += [f"**The run did not finish: {failure}.** The table has what was measured before.", ""]
    lines += table_lines() + [""]
    if R.targets:
        lines += ["## Targets of issue 7", ""] + target_lines() + [""]
    lines += ["## How each figure is taken", "",
              "- start: `run -d --network benchnet -p P:80 … httpd`, timed until an HTTP GET to 127.0.0.1:P "
              "gets a status line (docker-proxy accepts before the container listens, so a TCP connect is not "
              "enough); `rm -f` timed apart. `run --rm --network none … true` against `runc run` of a bundle of the "
              "same rootfs running /bin/true (create, start, wait, delete) gives the engine's overhead over runc.",
              "- ports: `run -d -p A-B:C-D … sleep` with 1/100/1,000 ports; helper processes and memory are the "
              "change in the engine's own processes (daemons, monitors, shims, proxies; not the container's) "
              "from before the run to 0.5 s after it.",
              "- scale: containers started one after another on one network, one engine at a time (each "
              "engine's containers are removed before the next engine starts its own); the median start of the "
              "first and the last 50 (or a tenth, for short runs). Until 2026-11-23 the engines were interleaved, "
              "so each engine's last 50 also ran beside the other two engines' ~1,000 containers: their mounts "
              "(every `runc run` reads the host's whole mount table several times) and Docker's and netavark's "
              "iptables chains. berth's last/first was 2.83 that way in the last full run before the change.",
              "- nat: two client processes doing HTTP/1.0 GETs on new TCP connections to one published port on "
              "the host's own address (DNAT for all three; on 127.0.0.1 Docker would use docker-proxy), first "
              "with no other published ports, then with a second container publishing the other ports, then "
              "without it again (the 1-port figure is the median of both, bracketing the other in time). "
              "One engine at a time has the other ports: Docker's and netavark's iptables chains are walked "
              "by every new connection to a local address, so one engine's 1,000 rules would slow the others. "
              "busybox httpd forks per connection, so this is bounded by the server as much as by NAT.",
              "- dns: dnsperf run with `nsenter --net` in a container's namespace, against 127.0.0.11 (berth, "
              "Docker) or the network gateway (Podman's aardvark-dns), querying only the A records of the "
              "network's three containers (every name answers, so nothing is forwarded upstream): saturated "
              "(100 outstanding), then fixed at 2,000 q/s with per-query latencies for p99.",
              "- throughput: iperf3 server run with `nsenter --net` in the container's namespace (busybox has no "
              "iperf3); client on the host to the container address, to the published port on 127.0.0.1 and on "
              "the host's own address; loopback without containers as the limit.",
              "- memory: RSS (VmRSS) of berthd, of dockerd + containerd; Podman has no daemon. Per-container "
              "helpers: berth-monitor, containerd-shim (+ docker-proxy), conmon (+ aardvark-dns) — their RSS "
              "summed over the containers, divided by their number.",
              "- network: `network create` + `run -d` of a first container on it + `network rm` (after `rm -f`).",
              ""]
    if R.notes:
        lines += ["## Notes", ""] + [f"- {n}" for n in R.notes] + [""]
    text = "\n".join(lines)
    print("\n" + "\n".join(table_lines()))
    if R.targets:
        print("\n" + "\n".join(target_lines()))
    with open(OUT, "w") as f:
        f.write(text)
    print(f"\nwrote {OUT}")


if __name__ == "__main__":
    sys.exit(main())
