using System.Net;
using TorrentLab.Swarm;

namespace TorrentLab.Tests.Swarm;

/// <summary>BEP 40: the spec's two examples, then what goes into the hash in each case (the masked, sorted addresses,
/// or the sorted ports), checked against a bit-by-bit CRC-32C written here from its definition.</summary>
public class PeerPriorityTests
{
    [Theory]
    [InlineData("123.213.32.10", "98.76.54.32", 0xec2d7224u)]     // BEP 40: crc32-c(624C14007BD50000)
    [InlineData("123.213.32.10", "123.213.32.234", 0x99568189u)]  // BEP 40: crc32-c(7BD5200A7BD520EA)
    public void Of_TheExamplesOfBep40_GiveItsHashes(string client, string peer, uint expected)
    {
        Assert.Equal(expected, PeerPriority.Of(new IPEndPoint(IPAddress.Parse(client), 0), new IPEndPoint(IPAddress.Parse(peer), 0)));
    }

    [Theory]
    [InlineData("230.12.123.3:1234", "230.12.123.3:300", "012c04d2")]                // one address: the two ports, lowest first
    [InlineData("230.12.123.1:1234", "230.12.123.3:300", "e60c7b01e60c7b03")]         // one /24: the whole addresses
    [InlineData("230.12.23.1:1234", "230.12.123.3:300", "e60c1701e60c7b01")]          // one /16: masked FF.FF.FF.55
    [InlineData("230.120.23.1:1234", "230.12.123.3:300", "e60c5101e6781501")]         // apart: masked FF.FF.55.55, sorted
    [InlineData("[::ffff:230.12.123.1]:1234", "230.12.123.3:300", "e60c7b01e60c7b03")] // IPv4-mapped is IPv4
    [InlineData("[2001:db8:1::ff]:1", "[2001:db8:2::ff]:2",                           // not one /48: FFFF:FFFF:FFFF:5555...
        "20010db8 0001 00000000000000000055 20010db8 0002 00000000000000000055")]
    [InlineData("[2001:db8:1:ab00::1]:1", "[2001:db8:1:cd00::1]:2",                   // one /48: FFFF:FFFF:FFFF:FF55:5555...
        "20010db8 0001 ab 000000000000000001 20010db8 0001 cd 000000000000000001")]
    public void Of_HashesTheMaskedAddressesOrThePorts_SortedLowestFirst(string client, string peer, string hashed)
    {
        var expected = Crc32CByDefinition(Convert.FromHexString(hashed.Replace(" ", "")));

        Assert.Equal(expected, PeerPriority.Of(IPEndPoint.Parse(client), IPEndPoint.Parse(peer)));
        Assert.Equal(expected, PeerPriority.Of(IPEndPoint.Parse(peer), IPEndPoint.Parse(client))); // both ends agree
    }

    /// <summary>CRC-32C bit by bit: reflected polynomial 0x82F63B78, initial value and final xor all ones.</summary>
    private static uint Crc32CByDefinition(byte[] data)
    {
        var crc = uint.MaxValue;
        foreach (var b in data)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
        }
        return ~crc;
    }
}
