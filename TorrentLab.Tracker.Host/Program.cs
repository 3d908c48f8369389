using TorrentLab.Tracker.Host;

return await TrackerHost.RunAsync(args).ConfigureAwait(false);
