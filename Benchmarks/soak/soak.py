#!/usr/bin/env python3
"""Soak run for a Tidings gateway: steady writes, churning subscribers, expiring tokens and a
PostgreSQL restart, then a check that every subscriber's ids match the log.

Starts its own throwaway PostgreSQL and gateway on free loopback ports; everything it writes
goes under --work (default .bench/soak). See README.md beside this file.
"""

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

import aiohttp
import asyncpg


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tidings", default=os.environ.get("TIDINGS_BIN", ".build/release/tidings"), help="the gateway binary")
    p.add_argument("--minutes", type=float, default=30, help="how long writes and churn go on (default 30)")
    p.add_argument("--subscribers", type=int, default=2000, help="sessions kept open at once (default 2000)")
    p.add_argument("--rate", type=float, default=20, help="rows inserted per second (default 20)")
    p.add_argument("--buckets", type=int, default=10, help="topics soak/0 … soak/N-1 (default 10)")
    p.add_argument("--all-share", type=float, default=0.1, help="share of sessions subscribing soak/** (default 0.1)")
    p.add_argument("--connection-mean", type=float, default=45, help="mean seconds one connection stays (default 45)")
    p.add_argument("--leave-share", type=float, default=0.3, help="share of connection ends that end the session (default 0.3)")
    p.add_argument("--ttl", default="60:600", help="token lifetimes in seconds, MIN:MAX (default 60:600)")
    p.add_argument("--sample", type=float, default=10, help="seconds between samples (default 10)")
    p.add_argument("--no-restart", action="store_true", help="skip the PostgreSQL restart in the middle")
    p.add_argument("--work", default=os.environ.get("BENCH_WORK", ".bench") + "/soak", help="work directory")
    p.add_argument("--seed", type=int, default=None, help="random seed (printed either way)")
    p.add_argument("--postgres-bin", default=None, help="directory of initdb/pg_ctl (default: PATH, then /usr/lib/postgresql/*/bin)")
    return p.parse_args()


# --- helpers -------------------------------------------------------------------------------------

# What the database side may raise while PostgreSQL restarts: retried, never fatal.
DATABASE_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.exceptions.InternalClientError)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_bin(chosen):
    if chosen:
        return chosen
    found = shutil.which("initdb")
    if found:
        return os.path.dirname(found)
    root = "/usr/lib/postgresql"
    versions = sorted((d for d in os.listdir(root) if d.isdigit()), key=int) if os.path.isdir(root) else []
    if not versions:
        sys.exit("soak: cannot find initdb on PATH or under /usr/lib/postgresql/*/bin (apt-get install postgresql)")
    return f"{root}/{versions[-1]}/bin"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def mint(secret, subject, ttl):
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = {"sub": subject, "exp": int(time.time() + ttl), "tidings": {"subscribe": ["soak/**"]}}
    payload = b64url(json.dumps(claims).encode())
    signature = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64url(signature)}"


def matches(selector, topics):
    if selector == "soak/**":
        return any(t.startswith("soak/") for t in topics)
    return selector in topics


class Cluster:
    """A throwaway PostgreSQL cluster on a free port; as root it runs as the postgres user."""

    def __init__(self, bindir, work):
        self.bindir = bindir
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="tidings-soak-pg-")
        self.log = os.path.join(work, "postgres.log")
        self.as_root = os.geteuid() == 0

    def run(self, *args):
        command = [os.path.join(self.bindir, args[0]), *args[1:]]
        if self.as_root:
            command = ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(f"'{a}'" for a in command)]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)

    def start(self):
        if self.as_root:
            shutil.chown(self.dir, "postgres", "postgres")
            open(self.log, "a").close()
            shutil.chown(self.log, "postgres", "postgres")
        self.run("initdb", "-D", self.dir, "-A", "trust", "-U", "postgres", "--no-sync")
        self.pg_ctl("start")

    def pg_ctl(self, action):
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=on"
        self.run("pg_ctl", "-D", self.dir, "-o", options, "-l", self.log, "-w", "-m", "fast", action)

    def stop(self):
        try:
            self.pg_ctl("stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, database):
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"


# --- subscribers ---------------------------------------------------------------------------------


@dataclass
class Session:
    number: int
    selector: str
    start_after: int
    received: list = field(default_factory=list)
    last: int = 0
    problems: list = field(default_factory=list)
    connections: int = 0
    expired: int = 0
    resets: int = 0
    ended: bool = False


class Soak:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.ttl_min, self.ttl_max = (float(x) for x in args.ttl.split(":"))
        self.secret = os.urandom(32).hex()
        self.sessions = []
        self.active = 0
        self.starting = 0
        # load: writes and churn go on. draining: sessions catch up to the log's end and stay.
        # stopping: every session ends now.
        self.load = True
        self.draining = False
        self.stopping = False
        self.tasks = set()
        self.expected_last = {}
        self.statuses = {}
        self.writes = 0
        self.write_errors = 0
        self.samples = []
        self.events = []

    # The gateway and its database.

    async def setup(self):
        a = self.args
        os.makedirs(a.work, exist_ok=True)
        self.cluster = Cluster(postgres_bin(a.postgres_bin), a.work)
        self.cluster.start()
        admin = await asyncpg.connect(self.cluster.url("postgres"))
        await admin.execute("CREATE DATABASE soak")
        await admin.close()
        db = await asyncpg.connect(self.cluster.url("soak"))
        await db.execute("CREATE TABLE soak_items (id bigserial PRIMARY KEY, bucket int NOT NULL, n int NOT NULL, pad text)")
        await db.close()
        self.port = free_port()
        self.config = os.path.join(a.work, "tidings.yaml")
        with open(self.config, "w") as f:
            f.write(
                f'listen: "127.0.0.1:{self.port}"\ntls: off\n'
                f'postgres: {{url: "{self.cluster.url("soak")}?sslmode=disable"}}\n'
                f'auth: {{jwt: {{secret: "{self.secret}"}}}}\n'
                "topics:\n  - table: public.soak_items\n    topics: [\"soak/{bucket}\"]\n"
            )
        subprocess.run([a.tidings, "migrate", "--config", self.config], check=True, stdout=subprocess.DEVNULL)
        self.gateway_log = open(os.path.join(a.work, "gateway.log"), "w")
        self.gateway = subprocess.Popen(
            [a.tidings, "serve", "--config", self.config, "--log-level", "warning"], stdout=self.gateway_log, stderr=subprocess.STDOUT
        )
        self.base = f"http://127.0.0.1:{self.port}"
        self.pool = await asyncpg.create_pool(self.cluster.url("soak"), min_size=0, max_size=4)
        self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, force_close=True))
        for _ in range(300):
            try:
                async with self.http.get(self.base + "/readyz") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
        raise RuntimeError("the gateway did not become ready in 30 s; see " + self.gateway_log.name)

    async def teardown(self):
        if getattr(self, "http", None):
            await self.http.close()
        if getattr(self, "pool", None):
            self.pool.terminate()
        if getattr(self, "gateway", None) and self.gateway.poll() is None:
            self.gateway.send_signal(signal.SIGTERM)
            try:
                self.gateway.wait(15)
            except subprocess.TimeoutExpired:
                self.gateway.kill()
                self.gateway.wait()
        if getattr(self, "cluster", None):
            self.cluster.stop()

    async def head(self):
        while True:
            try:
                return await self.pool.fetchval("SELECT coalesce(max(id), 0) FROM tidings.changes")
            except DATABASE_ERRORS:
                await asyncio.sleep(0.5)

    # Load.

    async def writer(self):
        interval = 1 / self.args.rate
        next_at = time.monotonic()
        n = 0
        while self.load:
            next_at += interval
            n += 1
            try:
                await self.pool.execute(
                    "INSERT INTO soak_items (bucket, n, pad) VALUES ($1, $2, $3)", self.rng.randrange(self.args.buckets), n, "x" * 64
                )
                self.writes += 1
            except DATABASE_ERRORS:
                self.write_errors += 1
                await asyncio.sleep(0.2)
            delay = next_at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                next_at = time.monotonic()

    async def session(self, number):
        a = self.args
        selector = "soak/**" if self.rng.random() < a.all_share else f"soak/{self.rng.randrange(a.buckets)}"
        try:
            s = Session(number, selector, await self.head())
        finally:
            self.starting -= 1
        s.last = s.start_after
        self.sessions.append(s)
        self.active += 1
        try:
            while True:
                token = mint(self.secret, f"soak-{number}", self.rng.uniform(self.ttl_min, self.ttl_max))
                stay = self.rng.expovariate(1 / a.connection_mean)
                await self.connect(s, token, stay)
                if self.stopping:
                    return
                if self.draining:
                    if s.last >= self.final_expected(s):
                        return
                    continue
                if self.rng.random() < a.leave_share:
                    return
        finally:
            s.ended = True
            self.active -= 1

    async def connect(self, s, token, stay):
        s.connections += 1
        url = f"{self.base}/events?topic={s.selector}"
        headers = {"Authorization": f"Bearer {token}", "Last-Event-ID": str(s.last)}
        deadline = time.monotonic() + stay
        try:
            async with self.http.get(url, headers=headers, timeout=aiohttp.ClientTimeout(total=None, sock_read=60)) as r:
                self.statuses[r.status] = self.statuses.get(r.status, 0) + 1
                if r.status != 200:
                    await asyncio.sleep(1)
                    return
                event_id, name = None, None
                while True:
                    remaining = deadline - time.monotonic()
                    if self.draining:
                        if s.last >= self.final_expected(s):
                            return
                        remaining = max(remaining, 1)
                    elif self.stopping or remaining <= 0:
                        return
                    try:
                        line = await asyncio.wait_for(r.content.readline(), timeout=min(remaining, 5))
                    except asyncio.TimeoutError:
                        continue
                    if not line:
                        return
                    line = line.rstrip(b"\r\n")
                    if line.startswith(b"id:"):
                        event_id = int(line[3:].strip())
                    elif line.startswith(b"event:"):
                        name = line[6:].strip().decode()
                    elif line == b"":
                        if name == "tidings.expired":
                            s.expired += 1
                            return
                        if name == "tidings.reset":
                            s.resets += 1
                            s.problems.append(f"reset after {s.last}")
                        if event_id is not None:
                            if event_id <= s.last:
                                s.problems.append(f"id {event_id} after {s.last} (repeated or out of order)")
                            else:
                                s.received.append(event_id)
                                s.last = event_id
                        event_id, name = None, None
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError):
            self.statuses["error"] = self.statuses.get("error", 0) + 1
            await asyncio.sleep(0.5)

    def final_expected(self, s):
        return self.expected_last.get(s.selector, 0)


    async def churn(self):
        number = 0
        # The first sessions start over ten seconds; then a session that leaves is replaced.
        while self.load:
            while self.active + self.starting < self.args.subscribers and self.load:
                number += 1
                self.starting += 1
                task = asyncio.create_task(self.session(number))
                task.add_done_callback(self.tasks.discard)
                self.tasks.add(task)
                await asyncio.sleep(10 / self.args.subscribers)
            await asyncio.sleep(0.2)

    # Samples.

    async def metrics(self):
        try:
            async with self.http.get(self.base + "/metrics", timeout=aiohttp.ClientTimeout(total=5)) as r:
                text = await r.text()
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return {}
        values = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                key, _, value = line.rpartition(" ")
                try:
                    values[key] = float(value)
                except ValueError:
                    pass
        return values

    def quantile(self, before, after, q):
        prefix = 'tidings_delivery_latency_seconds_bucket{le="'
        buckets = sorted(
            (float(k[len(prefix) : -2]), v - before.get(k, 0)) for k, v in after.items() if k.startswith(prefix) and "Inf" not in k
        )
        total = after.get('tidings_delivery_latency_seconds_bucket{le="+Inf"}', 0) - before.get(
            'tidings_delivery_latency_seconds_bucket{le="+Inf"}', 0
        )
        if total <= 0:
            return None
        for bound, count in buckets:
            if count >= q * total:
                return bound
        return float("inf")

    async def sampler(self, started):
        previous = await self.metrics()
        while self.load:
            await asyncio.sleep(self.args.sample)
            pid = self.gateway.pid
            try:
                with open(f"/proc/{pid}/status") as f:
                    rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:")) / 1024
                fds = len(os.listdir(f"/proc/{pid}/fd"))
            except (OSError, StopIteration):
                rss, fds = None, None
            try:
                queue = await asyncio.wait_for(self.pool.fetchval("SELECT pg_notification_queue_usage()"), 5)
            except (*DATABASE_ERRORS, asyncio.TimeoutError):
                queue = None
            current = await self.metrics()
            sample = {
                "t": round(time.monotonic() - started),
                "rss_mib": rss and round(rss, 1),
                "fds": fds,
                "notify_queue": queue,
                "lag_s": current.get("tidings_delivery_lag_seconds"),
                "p50_ms": self.ms(self.quantile(previous, current, 0.5)),
                "p99_ms": self.ms(self.quantile(previous, current, 0.99)),
                "streams": current.get("tidings_subscribers"),
                "sessions": self.active,
                "writes": self.writes,
                "ready": current.get("tidings_feed_ready"),
                "reconnects": current.get("tidings_listener_reconnects_total"),
            }
            if current:
                previous = current
            self.samples.append(sample)
            print("sample " + json.dumps(sample), flush=True)

    @staticmethod
    def ms(seconds):
        return None if seconds is None else (seconds if seconds == float("inf") else round(seconds * 1000, 1))

    async def restart(self, at):
        await asyncio.sleep(at)
        if not self.load:
            return
        self.events.append((round(at), "PostgreSQL restart"))
        print(f"event t={at:.0f}s restarting PostgreSQL", flush=True)
        await asyncio.to_thread(self.cluster.pg_ctl, "restart")
        print("event PostgreSQL is back", flush=True)

    # The run.

    async def run(self):
        a = self.args
        await self.setup()
        started = time.monotonic()
        duration = a.minutes * 60
        sampler = asyncio.create_task(self.sampler(started))
        writer = asyncio.create_task(self.writer())
        churn = asyncio.create_task(self.churn())
        restart = None if a.no_restart else asyncio.create_task(self.restart(duration / 2))
        await asyncio.sleep(duration)
        # Stop writing and churning; let open sessions catch up to the last event they may see.
        self.load = False
        await writer
        await churn
        if restart:
            await restart
        await asyncio.sleep(1)
        head = await self.head()
        rows = await self.pool.fetch("SELECT id, topics FROM tidings.changes ORDER BY id")
        self.log = [(r["id"], list(r["topics"])) for r in rows]
        selectors = {s.selector for s in self.sessions}
        self.expected_last = {sel: max((i for i, t in self.log if matches(sel, t)), default=0) for sel in selectors}
        self.draining = True
        drain_started = time.monotonic()
        pending = [t for t in self.tasks if not t.done()]
        if pending:
            await asyncio.wait(pending, timeout=90)
        drained = time.monotonic() - drain_started
        self.unfinished = [s for s in self.sessions if not s.ended]
        self.stopping = True
        self.draining = False
        remaining = list(self.tasks)
        for t in remaining:
            t.cancel()
        await asyncio.gather(*remaining, return_exceptions=True)
        sampler.cancel()
        await asyncio.gather(sampler, return_exceptions=True)
        return self.verify(head, drained)

    def verify(self, head, drained):
        failures = []
        failing = set()
        checked = 0
        delivered = 0
        for s in self.sessions:
            expected = [i for i, t in self.log if s.start_after < i <= s.last and matches(s.selector, t)]
            checked += 1
            delivered += len(s.received)
            if s.received != expected:
                missing = sorted(set(expected) - set(s.received))
                extra = sorted(set(s.received) - set(expected))
                failures.append(f"session {s.number} ({s.selector}, after {s.start_after}): missing {missing[:5]} extra {extra[:5]}")
                failing.add(s.number)
            if s.problems:
                failures.append(f"session {s.number}: " + "; ".join(s.problems[:3]))
                failing.add(s.number)
        for s in self.unfinished:
            failures.append(f"session {s.number} ({s.selector}) stopped at {s.last}, the log has {self.expected_last[s.selector]}")
            failing.add(s.number)
        summary = {
            "sessions": checked,
            "connections": sum(s.connections for s in self.sessions),
            "expired_tokens": sum(s.expired for s in self.sessions),
            "events_received": delivered,
            "log_head": head,
            "writes": self.writes,
            "write_errors": self.write_errors,
            "statuses": {str(k): v for k, v in self.statuses.items()},
            "drain_s": round(drained, 1),
            "failing_sessions": len(failing),
        }
        return summary, failures


def main():
    args = parse_args()
    if args.seed is None:
        args.seed = random.randrange(2**32)
    print(f"soak: seed {args.seed}, {args.minutes} min, {args.subscribers} subscribers, {args.rate} writes/s", flush=True)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    soak = Soak(args)

    async def go():
        try:
            return await soak.run()
        finally:
            await soak.teardown()

    summary, failures = asyncio.run(go())
    samples = soak.samples
    picks = [("start", samples[0]), ("middle", samples[len(samples) // 2]), ("end", samples[-1])] if samples else []
    with open(os.path.join(args.work, "samples.jsonl"), "w") as f:
        for sample in samples:
            f.write(json.dumps(sample) + "\n")
    print("\nsoak summary " + json.dumps(summary))
    for label, sample in picks:
        print(f"{label:>6}: " + json.dumps(sample))
    for failure in failures[:50]:
        print("FAIL " + failure)
    print(f"{summary['sessions'] - summary['failing_sessions']} passed, {summary['failing_sessions']} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
