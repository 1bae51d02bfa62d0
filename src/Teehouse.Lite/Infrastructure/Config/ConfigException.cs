namespace Teehouse.Lite.Infrastructure.Config;

/// <summary>A configuration problem the operator must fix; its message is one line naming the file, line and key.</summary>
public sealed class ConfigException(string message) : Exception(message);
