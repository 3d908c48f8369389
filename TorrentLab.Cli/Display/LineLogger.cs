// The command line's log (-v on stderr, --log-file) is the web server's line logger: one ILogger that writes each
// message of the library as one line to a writer.
global using LineLogger = TorrentLab.Web.LineLogger;
