#!/usr/bin/env python3
"""Writes N small single-file torrents (no tracker) and their data: the load for bench/session/run.sh.

usage: make_torrents.py N TORRENT_DIR DATA_DIR [SIZE=1048576] [PIECE=262144]
Each torrent i is 'bench-<i>.bin' of SIZE bytes (distinct content), piece length PIECE.
"""
import hashlib, os, sys

def bencode(value):
    if isinstance(value, int):
        return b'i%de' % value
    if isinstance(value, bytes):
        return b'%d:%s' % (len(value), value)
    if isinstance(value, str):
        return bencode(value.encode())
    if isinstance(value, dict):
        return b'd' + b''.join(bencode(k) + bencode(value[k]) for k in sorted(value)) + b'e'
    raise TypeError(type(value))

def main():
    count, torrents, data = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    size = int(sys.argv[4]) if len(sys.argv) > 4 else 1 << 20
    piece = int(sys.argv[5]) if len(sys.argv) > 5 else 1 << 18
    os.makedirs(torrents, exist_ok=True)
    os.makedirs(data, exist_ok=True)
    block = hashlib.sha256(b'bench').digest() * (size // 32 + 1)
    for i in range(count):
        name = 'bench-%05d.bin' % i
        payload = (b'%08d' % i) + block[8:size]       # distinct first bytes, so distinct info hashes and pieces
        with open(os.path.join(data, name), 'wb') as f:
            f.write(payload)
        pieces = b''.join(hashlib.sha1(payload[o:o + piece]).digest() for o in range(0, size, piece))
        info = {'name': name, 'length': size, 'piece length': piece, 'pieces': pieces}
        with open(os.path.join(torrents, name + '.torrent'), 'wb') as f:
            f.write(bencode({'info': info, 'created by': 'torrentlab bench'}))

main()
