using System.Collections.Concurrent;
using System.Net;

// The physical limit for an answer of a given size on this machine: Kestrel with minimal-API routing and nothing
// else (no logging, auth, database or serialization). `GET /` is a tiny hello (what cold start polls);
// `GET /bytes/{n}` answers n bytes from memory, built once per size, as application/json.
//
//   ceiling PORT
var port = args.Length == 1 && int.TryParse(args[0], out var p) && p is > 0 and < 65536
    ? p
    : throw new ArgumentException("usage: ceiling PORT");

var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.AddServerHeader = false;
    kestrel.Listen(IPAddress.Loopback, port);
});

var app = builder.Build();
var hello = """{"status":"ok"}"""u8.ToArray();
var bodies = new ConcurrentDictionary<int, byte[]>();

app.MapGet("/", () => TypedResults.Bytes(hello, "application/json"));
app.MapGet("/bytes/{n:int}", (int n) => n is < 0 or > 64 * 1024 * 1024
    ? Results.BadRequest()
    : TypedResults.Bytes(bodies.GetOrAdd(n, Body), "application/json"));
app.Run();

// A JSON string of exactly n bytes ("xxxx…"), so that the answer is valid JSON of the size asked for.
static byte[] Body(int n)
{
    var body = new byte[n];
    body.AsSpan().Fill((byte)'x');
    if (n >= 2) body[0] = body[^1] = (byte)'"';
    return body;
}
