using System.Security.Cryptography;
using System.Text;

namespace Teehouse.Lite.Simulator;

/// <summary>
/// A guest OS image directory as dstack-vmm would find it under <c>image.path</c>: the fields of its
/// <c>metadata.json</c> plus the <c>digest.txt</c> (os_image_hash), which dstack never returns over the
/// management API but tests may need to know.
/// </summary>
public sealed record SimImage
{
    public required string Name { get; init; }
    public string Version { get; init; } = "0.5.5";
    public bool IsDev { get; init; }
    public bool SharedRo { get; init; } = true;
    public string Kernel { get; init; } = "bzImage";
    public string Initrd { get; init; } = "initramfs.cpio.gz";
    public string? Rootfs { get; init; } = "rootfs.img.verity";
    public string? Bios { get; init; } = "ovmf.fd";
    public string? Cmdline { get; init; }

    /// <summary>Hex os_image_hash; defaults to a stable value derived from the image name.</summary>
    public string? Digest { get; init; }

    public string EffectiveDigest =>
        Digest ?? Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("os-image:" + Name)));

    /// <summary>dm-verity root hash of the rootfs as metadata.json's rootfs_hash (not the os_image_hash).</summary>
    public string RootfsHash =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("rootfs-verity:" + Name)));

    public string EffectiveCmdline =>
        Cmdline ?? (IsDev
            ? "console=ttyS0 init=/init panic=1 net.ifnames=0 biosdevname=0 mce=off oops=panic pci=noearly pci=nommconf random.trust_cpu=y random.trust_bootloader=n tsc=reliable no-kvmclock dstack.rootfs_hash=dev dstack.rootfs_size=0"
            : "console=ttyS0 init=/init panic=1 net.ifnames=0 biosdevname=0 mce=off oops=panic pci=noearly pci=nommconf random.trust_cpu=y random.trust_bootloader=n tsc=reliable no-kvmclock");

    /// <summary>The default catalogue: a production and a dev build of dstack 0.5.5.</summary>
    public static IReadOnlyList<SimImage> Defaults { get; } =
    [
        new() { Name = "dstack-0.5.5", Version = "0.5.5", IsDev = false },
        new() { Name = "dstack-dev-0.5.5", Version = "0.5.5", IsDev = true },
    ];
}
