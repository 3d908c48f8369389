namespace TorrentLab.Wire;

// BEP 6, the fast extension: the connection's half of have all/none, suggest, reject and allowed fast.
internal sealed partial class PeerConnection
{
    private const int MaxAllowedFast = 1024; // bounds the set a peer can make us keep (BEP 6 suggests about 10)
    private readonly HashSet<int> _allowedFast = [];

    /// <summary>Pieces the peer said it serves even while choking us (BEP 6 <c>allowed fast</c>). Read from the reader's task.</summary>
    public IReadOnlySet<int> AllowedFastFromPeer => _allowedFast;

    /// <summary>BEP 6 <c>suggest piece</c> messages received (accepted; the picker does not use them).</summary>
    public long SuggestsReceived { get; private set; }

    /// <summary>BEP 6 <c>reject request</c> messages received.</summary>
    public long RejectsReceived { get; private set; }

    /// <summary>BEP 6 <c>have all</c> and <c>have none</c>: a whole bitfield in one byte, where a bitfield may be (or, late, as haves).</summary>
    private void ApplyHaveAllOrNone(bool all)
    {
        var name = all ? "have all" : "have none";
        // BEP 6: "When the fast extension is disabled, if a peer receives Have All or Have None then the peer MUST
        // close the connection."
        if (!FastAgreed) throw PeerError($"{name} received, but the fast extension (BEP 6) was not agreed");
        _announced.OnHaveAllOrNone(all, late: _sawMessage, _pieceCount);
    }

    /// <summary>BEP 6 <c>suggest</c>, <c>reject</c> and <c>allowed fast</c>: allowed only when both sides set the bit.</summary>
    private void ApplyFast(in PeerMessage message)
    {
        // BEP 6, for each of them: "When the fast extension is disabled, if a peer receives a [Suggest Piece / Reject
        // Request / Allowed Fast] message, the peer MUST close the connection."
        if (!FastAgreed) throw PeerError($"{message.Name} received, but the fast extension (BEP 6) was not agreed");
        switch (message.Kind)
        {
            case MessageKind.Suggest:
                SuggestsReceived++;
                break;
            case MessageKind.Reject:
                RejectsReceived++;
                break;
            case MessageKind.AllowedFast:
                if (_allowedFast.Count < MaxAllowedFast) _allowedFast.Add(message.Index);
                break;
        }
    }
}
