"""rawframes.py - send, or count, raw Ethernet frames inside a namespace.

The hardening tests (test_hardening.py) run this with /usr/bin/python3
under `ip netns exec`, because a test must know exactly which frames a
container put on its wire and which ones reached another container:

  rawframes.py send IFACE FILE [--pace PORT VSCTL_JSON] [--chunk N]
      Send the frames of FILE (records of a 4-byte big-endian length and
      the frame, written by write_frames()) out of IFACE through an
      AF_PACKET socket; print {"sent": N, "errors": {...}} as JSON.
  rawframes.py count IFACE MARKER BARRIER TIMEOUT
      Print "ready", then count received frames that contain MARKER until
      a frame containing BARRIER arrives (or TIMEOUT seconds pass); print
      {"marked": N, "barrier": true|false}.

Why pacing: a TAP device holds at most txqueuelen (1000) frames for
vswitchd to read and drops the rest silently, which would make the
switch's counters disagree with what was sent for reasons that are not
the switch's.  With --pace, after every chunk the sender polls `vsctl
stats` until port PORT's rx_packets has grown by what it sent.  The bound
is a deadline per chunk (a functional bound, not a rate).

Why a barrier: frames of one port are switched in order, so once a frame
sent after the others has arrived, every earlier frame that was going to
arrive has; the count is then final without sleeping.
"""
import json
import socket
import struct
import subprocess
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
CHUNK_DEADLINE = 20.0


def write_frames(path, frames):
    """Write FRAMES (bytes objects) to PATH in the format `send` reads."""
    with open(path, "wb") as f:
        for fr in frames:
            f.write(struct.pack(">I", len(fr)))
            f.write(fr)


def read_frames(path):
    with open(path, "rb") as f:
        data = f.read()
    frames, i = [], 0
    while i < len(data):
        (n,) = struct.unpack_from(">I", data, i)
        frames.append(data[i + 4:i + 4 + n])
        i += 4 + n
    return frames


def rx_packets(vsctl, port):
    r = subprocess.run(vsctl + ["--format", "json", "stats"], capture_output=True,
                       text=True, timeout=10)
    if r.returncode != 0:
        return None
    for p in json.loads(r.stdout)["ports"]:
        if p["name"] == port:
            return p["rx_packets"]
    return None


def wait_rx(vsctl, port, target):
    deadline = time.monotonic() + CHUNK_DEADLINE
    while time.monotonic() < deadline:
        n = rx_packets(vsctl, port)
        if n is not None and n >= target:
            return True
        time.sleep(0.01)
    return False


def send(argv):
    iface, path = argv[0], argv[1]
    pace, chunk = None, 256
    i = 2
    while i < len(argv):
        if argv[i] == "--pace":
            pace = (argv[i + 1], json.loads(argv[i + 2]))
            i += 3
        elif argv[i] == "--chunk":
            chunk = int(argv[i + 1])
            i += 2
        else:
            sys.exit(f"rawframes: unknown option {argv[i]}")
    frames = read_frames(path)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    base = rx_packets(pace[1], pace[0]) if pace else 0
    if pace and base is None:
        sys.exit(f"rawframes: no port {pace[0]} in vsctl stats")
    sent, errors = 0, {}
    for start in range(0, len(frames), chunk):
        for fr in frames[start:start + chunk]:
            try:
                s.send(fr)
                sent += 1
            except OSError as e:
                errors[e.strerror] = errors.get(e.strerror, 0) + 1
        if pace and not wait_rx(pace[1], pace[0], base + sent):
            print(json.dumps({"sent": sent, "errors": errors}))
            sys.exit(f"rawframes: switch did not read {base + sent} frames "
                     f"on {pace[0]} within {CHUNK_DEADLINE} s")
    print(json.dumps({"sent": sent, "errors": errors}))
    return 0


def count(argv):
    iface, marker, barrier, timeout = argv[0], argv[1].encode(), argv[2].encode(), float(argv[3])
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    print("ready", flush=True)
    deadline = time.monotonic() + timeout
    marked, seen_barrier = 0, False
    while not seen_barrier:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            fr, addr = s.recvfrom(65535)
        except socket.timeout:
            break
        if addr[2] == PACKET_OUTGOING:
            continue
        if barrier in fr:
            seen_barrier = True
        elif marker in fr:
            marked += 1
    print(json.dumps({"marked": marked, "barrier": seen_barrier}), flush=True)
    return 0


if __name__ == "__main__":
    cmds = {"send": send, "count": count}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    sys.exit(cmds[sys.argv[1]](sys.argv[2:]))
