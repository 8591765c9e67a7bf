#!/usr/bin/env python3
"""The tutorial's UDP server, with argv instead of input() so tests can drive it.

    udp_server.py HOST PORT REPLY [--recv-encoding gbk] [--send-encoding gbk] [--count N]

As in the tutorial: socket(AF_INET, SOCK_DGRAM), bind; recvfrom(1024) giving the data and
the client's (address, port); print both and the text decoded as gbk; sendto the reply
encoded as gbk to that address. Added for tests: PORT 0 picks a free port, printed as
"listening PORT"; it answers --count datagrams (default 1) instead of forever.
"""
import argparse
import socket

parser = argparse.ArgumentParser()
parser.add_argument('host')
parser.add_argument('port', type=int)
parser.add_argument('reply')
parser.add_argument('--recv-encoding', default='gbk')
parser.add_argument('--send-encoding', default='gbk')
parser.add_argument('--count', type=int, default=1)
args = parser.parse_args()

udp_server_socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp_server = (args.host, args.port)
udp_server_socket.bind(udp_server)
print('listening %d' % udp_server_socket.getsockname()[1], flush=True)

for _ in range(args.count):
    recv_data, cilent_info = udp_server_socket.recvfrom(1024)
    print('received %s from %s:%d' % (recv_data.hex(), cilent_info[0], cilent_info[1]), flush=True)
    print('客户端说:' + recv_data.decode(args.recv_encoding), flush=True)
    udp_server_socket.sendto(args.reply.encode(args.send_encoding), cilent_info)

udp_server_socket.close()
print('closed', flush=True)
