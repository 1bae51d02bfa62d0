using Teehouse.Lite.Users;

namespace Teehouse.Lite.Auth;

/// <summary>The caller of the current request, filled in by the token handler (scoped per request).</summary>
public sealed class CurrentUser
{
    public UserRecord? User { get; set; }

    public long Id => Required.Id;
    public string Username => Required.Username;
    public bool IsAdmin => User?.IsAdmin == true;

    private UserRecord Required => User ?? throw new InvalidOperationException("no authenticated user on this request");
}
