#!/usr/bin/env python3
"""Starter for the TorrentLab lab: reads the command the checker gives and says "not implemented" for each.

Check it:  torrentlab lab check -- python3 main.py
Replace one stub at a time, in the order of docs/exercises/README.md. Print answers on stdout, anything else on stderr.
"""
import sys


def not_implemented(command, *args):
    print("not implemented: %s %s" % (command, " ".join(args)), file=sys.stderr)
    sys.exit(1)


def main(argv):
    if len(argv) < 2:
        print("usage: main.py <command> <arguments...>", file=sys.stderr)
        sys.exit(2)
    command, args = argv[1], argv[2:]
    if command == "decode":                       # decode <bencoded>                         (stages 1-4)
        not_implemented(command, args[0])
    elif command == "info":                       # info <file.torrent>                       (stages 5-7, 20)
        not_implemented(command, args[0])
    elif command == "peers":                      # peers <file.torrent>                      (stage 8)
        not_implemented(command, args[0])
    elif command == "handshake":                  # handshake <file.torrent> <ip:port>        (stage 9)
        not_implemented(command, args[0], args[1])
    elif command == "download_piece":             # download_piece -o <path> <file> <index>   (stage 10)
        not_implemented(command, args[1], args[2], args[3])
    elif command == "download":                   # download -o <path> <file.torrent>         (stage 11)
        not_implemented(command, args[1], args[2])
    elif command == "magnet_parse":               # magnet_parse <magnet-link>                (stage 12)
        not_implemented(command, args[0])
    elif command == "magnet_handshake":           # magnet_handshake <magnet-link>            (stage 13)
        not_implemented(command, args[0])
    elif command == "magnet_info":                # magnet_info <magnet-link>                 (stage 14)
        not_implemented(command, args[0])
    elif command == "magnet_download_piece":      # magnet_download_piece -o <path> <link> <index>  (stages 15, 22)
        not_implemented(command, args[1], args[2], args[3])
    elif command == "magnet_download":            # magnet_download -o <path> <link> [--dht-bootstrap <ip:port>]  (16, 19)
        not_implemented(command, *args[1:])
    elif command == "dht":                        # dht ping <ip:port> | dht get_peers <hash> --bootstrap <ip:port>  (17, 18)
        not_implemented(command, *args)
    elif command == "merkle_root":                # merkle_root <file>                        (stage 21)
        not_implemented(command, args[0])
    else:
        print("unknown command: " + command, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main(sys.argv)
