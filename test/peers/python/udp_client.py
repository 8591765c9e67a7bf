#!/usr/bin/env python3
"""The tutorial's UDP client, with argv instead of input() so tests can drive it.

    udp_client.py HOST PORT [--send-encoding utf-8] [--recv-encoding gbk] [--linger SECONDS] MESSAGE...

As in the tutorial: socket(AF_INET, SOCK_DGRAM); for each message
sendto(message.encode('utf-8'), (HOST, PORT)), then recvfrom(1024) and print the data
decoded as gbk. Added for tests: it prints the port it sends from ("bound PORT") and
keeps printing datagrams until none arrives for --linger seconds.
"""
import argparse
import socket

parser = argparse.ArgumentParser()
parser.add_argument('host')
parser.add_argument('port', type=int)
parser.add_argument('messages', nargs='*')
parser.add_argument('--send-encoding', default='utf-8')
parser.add_argument('--recv-encoding', default='gbk')
parser.add_argument('--linger', type=float, default=5.0)
args = parser.parse_args()

udp_server = (args.host, args.port)
udp_client_socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)


def show(recv_data):
    data, address = recv_data
    print('[from %s:%d] ' % address + '服务器说:' + data.decode(args.recv_encoding), flush=True)


udp_client_socket.settimeout(args.linger)
try:
    for data in args.messages:
        udp_client_socket.sendto(data.encode(args.send_encoding), udp_server)
        print('bound %d' % udp_client_socket.getsockname()[1], flush=True)
        show(udp_client_socket.recvfrom(1024))
    while True:
        show(udp_client_socket.recvfrom(1024))
except socket.timeout:
    print('silence', flush=True)

udp_client_socket.close()
