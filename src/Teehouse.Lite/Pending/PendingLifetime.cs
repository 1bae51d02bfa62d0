namespace Teehouse.Lite.Pending;

public static class PendingLifetime
{
    /// <summary>How long a prepared operation can be committed: the hosted API's hour.</summary>
    public static readonly TimeSpan Default = TimeSpan.FromHours(1);

    /// <summary>
    /// How long a finished operation is remembered after it expired, so a client retrying a commit it thinks was lost
    /// still gets the CVM it created instead of a 404.
    /// </summary>
    public static readonly TimeSpan DoneRetention = TimeSpan.FromDays(1);
}
