#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# pg-writer HOST [FIRST_ID]: a client that commits one row about every 10 ms
# into table w (id int primary key) at HOST (the VIP), each with a new id,
# and prints "ack ID MS" (MS: wall clock, ms since the epoch) only once the
# server acknowledged the COMMIT. Failed attempts go to stderr as
# "err ID MS what": such a row may or may not be there. An attempt that
# takes longer than 1 s (a server that waits for a standby, a primary that
# is gone without a reset) is abandoned and the connection dropped, never
# cancelled: a cancelled wait for a synchronous standby returns as a
# success with a warning, and that is not an acknowledgment. Stops on
# SIGTERM. One long-lived process: a psql per row starts too slowly.
import select
import signal
import sys
import time

import psycopg2
import psycopg2.extensions as ext

HOST = sys.argv[1]
next_id = int(sys.argv[2]) if len(sys.argv) > 2 else 1
ATTEMPT_S = 1.0
stop = False


def on_term(signum, frame):
    global stop
    stop = True


signal.signal(signal.SIGTERM, on_term)


def now_ms():
    return int(time.time() * 1000)


def wait(conn, deadline):
    """Drives an asynchronous connection until its request is done; False
    when the deadline passed first."""
    while True:
        state = conn.poll()
        if state == ext.POLL_OK:
            return True
        left = deadline - time.monotonic()
        if left <= 0 or stop:
            return False
        if state == ext.POLL_READ:
            select.select([conn.fileno()], [], [], min(left, 0.1))
        elif state == ext.POLL_WRITE:
            select.select([], [conn.fileno()], [], min(left, 0.1))


def connect():
    conn = psycopg2.connect(host=HOST, user="postgres", dbname="postgres", connect_timeout=1, sslmode="disable", async_=1)
    if not wait(conn, time.monotonic() + 1.5):
        conn.close()
        raise TimeoutError("connect timed out")
    return conn


conn = None
while not stop:
    i = next_id
    next_id += 1
    try:
        if conn is None:
            conn = connect()
        cur = conn.cursor()
        cur.execute("insert into w (id) values (%s)", (i,))
        if not wait(conn, time.monotonic() + ATTEMPT_S):
            raise TimeoutError("no answer in %.0f s" % ATTEMPT_S)
        print("ack %d %d" % (i, now_ms()), flush=True)
    except Exception as e:  # any failure: this id is unknown, start afresh
        print("err %d %d %s" % (i, now_ms(), str(e).strip().replace("\n", " ")[:160]), file=sys.stderr, flush=True)
        if conn is not None:
            try:
                conn.close()
            except Exception:
                pass
            conn = None
    time.sleep(0.01)
