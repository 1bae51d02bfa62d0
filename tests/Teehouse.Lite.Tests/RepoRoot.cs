namespace Teehouse.Lite.Tests;

public static class RepoRoot
{
    /// <summary>The checkout's top folder, found by walking up to Teehouse.Lite.sln.</summary>
    public static string Path { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Teehouse.Lite.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("Teehouse.Lite.sln not found above " + AppContext.BaseDirectory);
    }
}
