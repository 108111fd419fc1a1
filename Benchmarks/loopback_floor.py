"""The floor under the order round trip on this machine: a 200-byte TCP echo on loopback
between two threads, back to back and with 25 ms asleep between requests (the order pace).
Prints JSON."""
import socket, threading, time, sys, json
def server(sock):
    c, _ = sock.accept()
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    while True:
        d = c.recv(4096)
        if not d: break
        c.sendall(d)
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
threading.Thread(target=server, args=(s,), daemon=True).start()
c = socket.create_connection(s.getsockname()); c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
def run(gap, n):
    lat = []
    for i in range(n):
        t0 = time.perf_counter(); c.sendall(b"x" * 200); c.recv(4096); lat.append((time.perf_counter() - t0) * 1e6)
        if gap: time.sleep(gap)
    lat.sort(); return lat[n // 2], lat[n * 99 // 100]
hot, gap = run(0, 2000), run(0.025, 400)  # each figure pair from one sample
print(json.dumps({"hot_p50_us": hot[0], "hot_p99_us": hot[1], "gap25ms_p50_us": gap[0], "gap25ms_p99_us": gap[1]}))
