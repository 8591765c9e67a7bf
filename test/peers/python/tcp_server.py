#!/usr/bin/env python3
"""The tutorial's TCP server (George's side), with argv instead of input() so tests can drive it.

    tcp_server.py HOST PORT REPLY [--recv-encoding utf-8] [--send-encoding gbk]

As in the tutorial: socket(AF_INET, SOCK_STREAM), bind, listen, accept; recv(1024)
decoded as utf-8 and printed; the reply sent encoded as gbk; then both sockets closed.
Added for tests: PORT 0 picks a free port, printed as "listening PORT"; before replying it
reads on until the client's end of input (or 5 s) and prints every byte it received as
"received HEX", so a test can check the client sent exactly what was typed.
"""
import argparse
import socket

parser = argparse.ArgumentParser()
parser.add_argument('host')
parser.add_argument('port', type=int)
parser.add_argument('reply')
parser.add_argument('--recv-encoding', default='utf-8')
parser.add_argument('--send-encoding', default='gbk')
args = parser.parse_args()

tcp_server_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
tcp_server = (args.host, args.port)
tcp_server_socket.bind(tcp_server)
tcp_server_socket.listen()
print('listening %d' % tcp_server_socket.getsockname()[1], flush=True)

new_socket, client_info = tcp_server_socket.accept()
recv_date = new_socket.recv(1024)
print('客户端:' + recv_date.decode(args.recv_encoding), flush=True)

everything = recv_date
new_socket.settimeout(5)
try:
    while True:
        more = new_socket.recv(1024)
        if not more:
            break
        everything += more
except socket.timeout:
    print('no end of input within 5 s', flush=True)
print('received ' + everything.hex(), flush=True)

new_socket.send(args.reply.encode(args.send_encoding))
new_socket.close()
tcp_server_socket.close()
print('closed', flush=True)
