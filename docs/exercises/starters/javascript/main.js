#!/usr/bin/env node
// Starter for the TorrentLab lab: reads the command the checker gives and says "not implemented" for each.
//
// Check it:  torrentlab lab check -- node main.js
// Replace one stub at a time, in the order of docs/exercises/README.md. Print answers on stdout, anything else on
// stderr. Bencode is bytes: read files with fs.readFileSync(path) (no encoding) and the argument with Buffer.from(arg).
"use strict";

function notImplemented(command, ...args) {
  process.stderr.write(`not implemented: ${command} ${args.join(" ")}\n`);
  process.exit(1);
}

function main(argv) {
  if (argv.length < 1) {
    process.stderr.write("usage: main.js <command> <arguments...>\n");
    process.exit(2);
  }
  const [command, ...args] = argv;
  switch (command) {
    case "decode":                 // decode <bencoded>                           (stages 1-4)
    case "info":                   // info <file.torrent>                         (stages 5-7, 20)
    case "peers":                  // peers <file.torrent>                        (stage 8)
    case "magnet_parse":           // magnet_parse <magnet-link>                  (stage 12)
    case "magnet_handshake":       // magnet_handshake <magnet-link>              (stage 13)
    case "magnet_info":            // magnet_info <magnet-link>                   (stage 14)
    case "merkle_root":            // merkle_root <file>                          (stage 21)
      return notImplemented(command, args[0]);
    case "handshake":              // handshake <file.torrent> <ip:port>          (stage 9)
      return notImplemented(command, args[0], args[1]);
    case "download_piece":         // download_piece -o <path> <file> <index>     (stage 10)
    case "magnet_download_piece":  // magnet_download_piece -o <path> <link> <index>  (stages 15, 22)
    case "download":               // download -o <path> <file.torrent>           (stage 11)
    case "magnet_download":        // magnet_download -o <path> <link> [--dht-bootstrap <ip:port>]  (16, 19)
      return notImplemented(command, ...args.slice(1));
    case "dht":                    // dht ping <ip:port> | dht get_peers <hash> --bootstrap <ip:port>  (17, 18)
      return notImplemented(command, ...args);
    default:
      process.stderr.write(`unknown command: ${command}\n`);
      process.exit(2);
  }
}

main(process.argv.slice(2));
