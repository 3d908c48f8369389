//! Starter for the TorrentLab lab: reads the command the checker gives and says "not implemented" for each.
//!
//! Check it:  cargo build --release && torrentlab lab check -- ./target/release/client
//! Replace one stub at a time, in the order of docs/exercises/README.md. Print answers on stdout, anything else on
//! stderr. Bencode is bytes: read files with std::fs::read and the argument with std::env::args_os.
use std::process::exit;

fn not_implemented(command: &str, args: &[String]) -> ! {
    eprintln!("not implemented: {} {}", command, args.join(" "));
    exit(1);
}

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    if argv.len() < 2 {
        eprintln!("usage: client <command> <arguments...>");
        exit(2);
    }
    let (command, args) = (argv[1].as_str(), &argv[2..]);
    match command {
        // decode <bencoded> (1-4); info <file.torrent> (5-7, 20); peers <file.torrent> (8); magnet_parse, magnet_handshake,
        // magnet_info <magnet-link> (12-14); merkle_root <file> (21)
        "decode" | "info" | "peers" | "magnet_parse" | "magnet_handshake" | "magnet_info" | "merkle_root" => {
            not_implemented(command, &args[..1])
        }
        // handshake <file.torrent> <ip:port> (9)
        "handshake" => not_implemented(command, &args[..2]),
        // download_piece -o <path> <file> <index> (10); download -o <path> <file> (11);
        // magnet_download_piece -o <path> <link> <index> (15, 22); magnet_download -o <path> <link> [--dht-bootstrap <ip:port>] (16, 19)
        "download_piece" | "download" | "magnet_download_piece" | "magnet_download" => not_implemented(command, &args[1..]),
        // dht ping <ip:port> (17); dht get_peers <hash> --bootstrap <ip:port> (18)
        "dht" => not_implemented(command, args),
        _ => {
            eprintln!("unknown command: {}", command);
            exit(2);
        }
    }
}
