using TorrentLab.Cli;

return await CliApp.RunAsync(args);
