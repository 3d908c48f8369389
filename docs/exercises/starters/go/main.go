// Starter for the TorrentLab lab: reads the command the checker gives and says "not implemented" for each.
//
// Check it:  go build -o client . && torrentlab lab check -- ./client
// Replace one stub at a time, in the order of docs/exercises/README.md. Print answers on stdout, anything else on stderr.
package main

import (
	"fmt"
	"os"
	"strings"
)

func notImplemented(command string, args ...string) {
	fmt.Fprintf(os.Stderr, "not implemented: %s %s\n", command, strings.Join(args, " "))
	os.Exit(1)
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: client <command> <arguments...>")
		os.Exit(2)
	}
	command, args := os.Args[1], os.Args[2:]
	switch command {
	case "decode", // decode <bencoded>                   (stages 1-4)
		"info",             // info <file.torrent>                 (stages 5-7, 20)
		"peers",            // peers <file.torrent>                (stage 8)
		"magnet_parse",     // magnet_parse <magnet-link>          (stage 12)
		"magnet_handshake", // magnet_handshake <magnet-link>      (stage 13)
		"magnet_info",      // magnet_info <magnet-link>           (stage 14)
		"merkle_root":      // merkle_root <file>                  (stage 21)
		notImplemented(command, args[0])
	case "handshake": // handshake <file.torrent> <ip:port>  (stage 9)
		notImplemented(command, args[0], args[1])
	case "download_piece", // download_piece -o <path> <file> <index>          (stage 10)
		"magnet_download_piece", // magnet_download_piece -o <path> <link> <index>   (stages 15, 22)
		"download",              // download -o <path> <file.torrent>                (stage 11)
		"magnet_download":       // magnet_download -o <path> <link> [--dht-bootstrap <ip:port>]  (16, 19)
		notImplemented(command, args[1:]...)
	case "dht": // dht ping <ip:port> | dht get_peers <hash> --bootstrap <ip:port>  (17, 18)
		notImplemented(command, args...)
	default:
		fmt.Fprintln(os.Stderr, "unknown command:", command)
		os.Exit(2)
	}
}
