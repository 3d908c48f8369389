namespace TorrentLab.Fuzz;

/// <summary>One fuzz target: a parser of bytes that come from the network or the disk, run on one input at a time.</summary>
/// <param name="Name">The name on the command line and the corpus folder's name (<c>fuzz/corpus/NAME</c>).</param>
/// <param name="Parses">What the input is, in a few words.</param>
/// <param name="Run">Parses one input as TorrentLab does, and checks what must hold of the result. It catches the
/// layer's own exception (the input broke the format: the expected answer to garbage); anything else escapes, and
/// afl-fuzz records that input as a crash.</param>
/// <param name="Seeds">Valid inputs built by our own encoders, named; <c>--seeds</c> writes them as the corpus.</param>
public sealed record FuzzTarget(string Name, string Parses, Action<byte[]> Run, Func<IEnumerable<(string Name, byte[] Bytes)>> Seeds);
