// Starter for the TorrentLab lab: reads the command the checker gives and says "not implemented" for each.
//
// Check it:  javac -d out Main.java && torrentlab lab check -- java -cp out Main
// Replace one stub at a time, in the order of docs/exercises/README.md. Print answers on stdout, anything else on
// stderr. Bencode is bytes: read files with Files.readAllBytes and the argument with arg.getBytes(UTF_8).
import java.util.Arrays;

public class Main {
    static void notImplemented(String command, String... args) {
        System.err.println("not implemented: " + command + " " + String.join(" ", args));
        System.exit(1);
    }

    public static void main(String[] argv) {
        if (argv.length < 1) {
            System.err.println("usage: Main <command> <arguments...>");
            System.exit(2);
        }
        String command = argv[0];
        String[] args = Arrays.copyOfRange(argv, 1, argv.length);
        switch (command) {
            // decode <bencoded> (1-4); info <file.torrent> (5-7, 20); peers <file.torrent> (8); magnet_parse,
            // magnet_handshake, magnet_info <magnet-link> (12-14); merkle_root <file> (21)
            case "decode", "info", "peers", "magnet_parse", "magnet_handshake", "magnet_info", "merkle_root" -> notImplemented(command, args[0]);
            // handshake <file.torrent> <ip:port> (9)
            case "handshake" -> notImplemented(command, args[0], args[1]);
            // download_piece -o <path> <file> <index> (10); download -o <path> <file> (11); magnet_download_piece -o <path>
            // <link> <index> (15, 22); magnet_download -o <path> <link> [--dht-bootstrap <ip:port>] (16, 19)
            case "download_piece", "download", "magnet_download_piece", "magnet_download" -> notImplemented(command, Arrays.copyOfRange(args, 1, args.length));
            // dht ping <ip:port> (17); dht get_peers <hash> --bootstrap <ip:port> (18)
            case "dht" -> notImplemented(command, args);
            default -> {
                System.err.println("unknown command: " + command);
                System.exit(2);
            }
        }
    }
}
