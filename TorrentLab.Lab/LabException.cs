namespace TorrentLab.Lab;

/// <summary>The lab itself cannot do its job (the student's program cannot be started, no such stage), as opposed
/// to the student's program failing a stage, which is a verdict, not an exception.</summary>
public sealed class LabException(string message) : TorrentLabException(message);
