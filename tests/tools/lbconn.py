#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Long-lived TCP connections through a balancer (tests/integration/lb-crash-*.sh,
# bench/lb-crash).
#
#   lbconn.py serve NAME PORT
#       an echo server: every line comes back as "NAME LINE".
#   lbconn.py client ADDR PORT N INTERVAL_MS STATUS_FILE
#       N connections, each sending a numbered line every INTERVAL_MS and
#       checking that the echo is its own line, from the backend that
#       answered first. Every 50 ms STATUS_FILE gets
#       "conns=N alive=A broken=B oldest_echo_ms=T" (T: the oldest of the
#       alive connections' last echo, wall clock in ms; 0 until every alive
#       one echoed once). On SIGTERM, one line per connection on stdout:
#       "conn I backend=B state=alive|broken echoes=E max_stall_ms=S why=W"
#       (S: the longest time between two echoes of the connection).
import asyncio
import os
import signal
import sys
import time


def now_ms():
    return time.time() * 1000.0


async def serve(name, port):
    async def handle(reader, writer):
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                writer.write(name.encode() + b" " + line)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        writer.close()

    server = await asyncio.start_server(handle, host=None, port=port, reuse_address=True)
    async with server:
        await server.serve_forever()


class Conn:
    def __init__(self, i):
        self.i, self.backend, self.state, self.why = i, "-", "connecting", ""
        self.echoes, self.last, self.max_stall = 0, 0.0, 0.0


async def run_conn(c, addr, port, interval, stop):
    try:
        reader, writer = await asyncio.open_connection(addr, port)
    except OSError as e:
        c.state, c.why = "broken", "connect: " + str(e)
        return
    c.state = "alive"
    seq = 0
    try:
        while not stop.is_set():
            seq += 1
            writer.write(b"%d %d\n" % (c.i, seq))
            await writer.drain()
            line = await reader.readline()
            if not line:
                raise ConnectionError("closed by the peer")
            parts = line.decode().split()
            if len(parts) != 3 or parts[1:] != [str(c.i), str(seq)]:
                raise ConnectionError("bad echo %r" % line)
            if c.backend == "-":
                c.backend = parts[0]
            elif parts[0] != c.backend:
                raise ConnectionError("echo from %s, not %s" % (parts[0], c.backend))
            t = now_ms()
            if c.last:
                c.max_stall = max(c.max_stall, t - c.last)
            c.last = t
            c.echoes += 1
            await asyncio.sleep(interval / 1000.0)
    except (ConnectionError, OSError) as e:
        c.state, c.why = "broken", str(e).replace(" ", "_") or type(e).__name__
    writer.close()


def write_status(path, conns):
    alive = [c for c in conns if c.state == "alive"]
    broken = sum(c.state == "broken" for c in conns)
    oldest = min((c.last for c in alive), default=0) if all(c.last for c in alive) else 0
    with open(path + ".tmp", "w") as f:
        f.write("conns=%d alive=%d broken=%d oldest_echo_ms=%d\n" % (len(conns), len(alive), broken, oldest))
    os.replace(path + ".tmp", path)


async def client(addr, port, n, interval, status):
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    conns = [Conn(i) for i in range(n)]
    tasks = [asyncio.create_task(run_conn(c, addr, port, interval, stop)) for c in conns]
    while not stop.is_set():
        write_status(status, conns)
        try:
            await asyncio.wait_for(stop.wait(), 0.05)
        except asyncio.TimeoutError:
            pass
    await asyncio.wait(tasks, timeout=2)
    for c in conns:
        print("conn %d backend=%s state=%s echoes=%d max_stall_ms=%d why=%s"
              % (c.i, c.backend, c.state, c.echoes, c.max_stall, c.why or "-"), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        asyncio.run(serve(sys.argv[2], int(sys.argv[3])))
    else:
        asyncio.run(client(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), sys.argv[6]))
