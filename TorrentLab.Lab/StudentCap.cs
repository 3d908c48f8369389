namespace TorrentLab.Lab;

/// <summary>Which of the checker's own caps ended or broke a run of a student's program, besides its time limit
/// (<see cref="StudentRun.TimedOut"/>): each is named as itself in the verdict, never as an exit code.</summary>
public enum StudentCap
{
    /// <summary>No cap was met.</summary>
    None,

    /// <summary>The kernel killed a process of the run for the run's memory cgroup cap.</summary>
    Memory,

    /// <summary>The run asked for a process or thread past its cgroup's process cap, and was refused.</summary>
    Processes,

    /// <summary>A writable place of the run (its scratch folder, <c>/tmp</c>, <c>/var/tmp</c>, <c>/dev/shm</c>) was left full.</summary>
    Disk,

    /// <summary>A process of the run used up its CPU seconds (<c>RLIMIT_CPU</c>) and the kernel ended it with SIGXCPU.</summary>
    Cpu,
}
