using TorrentLab.Cli.Service;

namespace TorrentLab.Tests.Cli;

/// <summary>Lines in the journal's form: each starts with its syslog priority, read from how serve words it.</summary>
public class JournalWriterTests
{
    [Fact]
    public void EachLine_StartsWithItsPriority_WhateverWayItWasWritten()
    {
        var inner = new StringWriter { NewLine = "\n" };
        var journal = new JournalWriter(inner);

        journal.WriteLine("serving http://127.0.0.1:9091/");
        journal.WriteLine("warning: skipping saved torrent x");
        journal.Write("error: the peer port ");
        journal.Write("is taken\r\nsecond line\n");
        journal.WriteLine("two\nlines");

        Assert.Equal("<6>serving http://127.0.0.1:9091/\n<4>warning: skipping saved torrent x\n<3>error: the peer port is taken\n<6>second line\n<6>two\n<6>lines\n",
            inner.ToString());
    }
}
