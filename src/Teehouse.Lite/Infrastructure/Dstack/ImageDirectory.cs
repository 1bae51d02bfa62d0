using System.Text;

namespace Teehouse.Lite.Infrastructure.Dstack;

/// <summary>
/// The files dstack-vmm keeps on its host: a guest OS image directory (<c>&lt;image_path&gt;/&lt;name&gt;/</c> with
/// <c>metadata.json</c> and <c>digest.txt</c>) and a VM's work directory (<c>&lt;run_path&gt;/&lt;uuid&gt;/hda.img</c>).
/// Names come from the vmm's answers, so each is checked the way dstack-vmm checks it before it becomes a path: a
/// hostile or broken vmm cannot make us read outside those directories.
/// </summary>
public static class ImageDirectory
{
    /// <summary>digest.txt holds one hex hash; anything longer is not one.</summary>
    private const int MaxDigestBytes = 256;

    /// <summary>dstack-vmm's image name rule: at most 64 of <c>[A-Za-z0-9_.-]</c>, no <c>..</c>.</summary>
    public static bool IsValidName(string? name) =>
        !string.IsNullOrEmpty(name) && name.Length <= 64 && !name.Contains("..", StringComparison.Ordinal)
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.');

    public static string? MetadataPath(string imagePath, string name) =>
        IsValidName(name) ? Path.Combine(imagePath, name, "metadata.json") : null;

    /// <summary>
    /// The image's <c>os_image_hash</c> (the hex in its digest.txt, lower-cased), or null when the image is not there,
    /// has no digest, or the file does not hold a hash.
    /// </summary>
    public static string? ReadDigest(string imagePath, string name)
    {
        if (!IsValidName(name)) return null;
        var file = Path.Combine(imagePath, name, "digest.txt");
        try
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
            var buffer = new byte[MaxDigestBytes + 1];
            var read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            if (read > MaxDigestBytes) return null;
            var text = Encoding.ASCII.GetString(buffer, 0, read).Trim();
            return IsHexHash(text) ? text.ToLowerInvariant() : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>A VM's data disk, for a VM id that is a UUID (the only ids dstack-vmm gives).</summary>
    public static string? VmDiskPath(string runPath, string? vmUuid) =>
        vmUuid is { Length: > 0 and <= 64 } && vmUuid.All(c => char.IsAsciiHexDigit(c) || c == '-')
            ? Path.Combine(runPath, vmUuid, "hda.img")
            : null;

    /// <summary>sha256 is 64 hex digits; sha384/512 digests are accepted too, should an image ever carry one.</summary>
    public static bool IsHexHash(string text) =>
        text.Length is >= 64 and <= 128 && text.Length % 2 == 0 && text.All(char.IsAsciiHexDigit);
}
