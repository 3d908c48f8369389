using System.Net;
using TorrentLab.Cli.Commands;
using TorrentLab.Dht;

namespace TorrentLab.Tests.Cli;

/// <summary>A one-node DHT command's resends (<see cref="DhtCommand.AskWithResendsAsync"/>): an error answer ends the
/// command however soon it arrives, even before the command looks at its queries.</summary>
public class AskWithResendsTests
{
    private static readonly IPEndPoint Node = new(IPAddress.Loopback, 6881);

    [Fact]
    public async Task ErrorAnswer_AlreadyInWhenTheQueriesAreLookedAt_EndsItWithThatError_WithoutAResend()
    {
        // The answer came back before the first wait began (a fast node, a descheduled command): the error it carries is
        // the command's result, not a reason to send again and then report no answer.
        var asked = 0;
        Task<int> Ask(CancellationToken _)
        {
            asked++;
            return Task.FromException<int>(new DhtException("error 204: Method Unknown") { ErrorCode = 204 });
        }

        var error = await Assert.ThrowsAsync<DhtException>(() =>
            DhtCommand.AskWithResendsAsync(Ask, Node, "sample_infohashes queries", 3, TestContext.Current.CancellationToken));

        Assert.Equal((204, 1), (error.ErrorCode, asked));
    }

    [Fact]
    public async Task AnswerAlreadyInWhenTheQueriesAreLookedAt_IsReturned_WithoutAResend()
    {
        var asked = 0;
        Task<int> Ask(CancellationToken _)
        {
            asked++;
            return Task.FromResult(42);
        }

        var answer = await DhtCommand.AskWithResendsAsync(Ask, Node, "pings", 3, TestContext.Current.CancellationToken);

        Assert.Equal((42, 1), (answer, asked));
    }
}
