namespace Teehouse.Lite.Simulator;

/// <summary>Misbehaviour injected into the dstack-vmm surfaces (<c>/prpc</c> and <c>/logs</c>).</summary>
public enum FaultMode
{
    /// <summary>Behave like a healthy dstack-vmm.</summary>
    None,

    /// <summary>Accept <c>/prpc</c> requests and never answer until the fault is cleared or the host stops.</summary>
    Hang,

    /// <summary>Answer normally, but only after the configured delay.</summary>
    Slow,

    /// <summary>HTTP 200 with a non-JSON body, like a misconfigured reverse proxy.</summary>
    Garbage,

    /// <summary>HTTP 500 with a plain-text body.</summary>
    Error500,
}
