#!/usr/bin/env python3
"""The tutorial's TCP client (Peppa's side), with argv instead of input() so tests can drive it.

    tcp_client.py HOST PORT [--send-encoding utf-8] [--recv-encoding gbk] [--linger SECONDS] MESSAGE...

As in the tutorial: socket(AF_INET, SOCK_STREAM), connect, then for each message
send(message.encode('utf-8')) with no newline and print recv(1024) decoded as gbk.
Added for tests: after the last message it keeps printing what arrives until the server
closes the connection (then prints "closed") or nothing arrives for --linger seconds.
"""
import argparse
import socket
import sys

parser = argparse.ArgumentParser()
parser.add_argument('host')
parser.add_argument('port', type=int)
parser.add_argument('messages', nargs='*')
parser.add_argument('--send-encoding', default='utf-8')
parser.add_argument('--recv-encoding', default='gbk')
parser.add_argument('--linger', type=float, default=5.0)
args = parser.parse_args()


def show(recv_data):
    # The tutorial prints '服务器:' + recv_data.decode('gbk'); a decode error ends the program.
    print('服务器:' + recv_data.decode(args.recv_encoding), flush=True)


tcp_client_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
tcp_server = (args.host, args.port)
tcp_client_socket.connect(tcp_server)
print('connected', flush=True)

for data in args.messages:
    tcp_client_socket.send(data.encode(args.send_encoding))
    recv_data = tcp_client_socket.recv(1024)
    if not recv_data:
        print('closed', flush=True)
        sys.exit(0)
    show(recv_data)

tcp_client_socket.settimeout(args.linger)
try:
    while True:
        recv_data = tcp_client_socket.recv(1024)
        if not recv_data:
            print('closed', flush=True)
            break
        show(recv_data)
except socket.timeout:
    print('silence', flush=True)

tcp_client_socket.close()
