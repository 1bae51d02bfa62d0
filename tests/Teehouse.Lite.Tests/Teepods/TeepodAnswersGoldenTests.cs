namespace Teehouse.Lite.Tests.Teepods;

/// <summary>
/// The teepod read answers, byte for byte, as they were before they were served from read models (recorded from the
/// code that parsed and serialised on every request). Any difference in a key, its order, a null or a number shows
/// here. To re-record after a deliberate contract change: <c>TEEHOUSE_RECORD_GOLDEN=1 dotnet test --filter …Golden…</c>,
/// and review the diff.
/// </summary>
public abstract class TeepodAnswersGoldenTests : TeepodAnswersStage
{
    protected abstract string GoldenFile { get; }

    [Fact]
    public async Task Every_answer_is_what_it_was_before_the_read_models()
    {
        var path = Path.Combine(RepoRoot.Path, "tests", "Teehouse.Lite.Tests", "Teepods", "Golden", GoldenFile);
        var actual = await AllAnswersAsync();
        if (Environment.GetEnvironmentVariable("TEEHOUSE_RECORD_GOLDEN") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path, actual, Ct);
        }
        Assert.Equal(await File.ReadAllTextAsync(path, Ct), actual);
    }

    [Fact]
    public async Task Asking_twice_answers_the_same_bytes()
    {
        // The second round is served from what the first one built.
        Assert.Equal(await AllAnswersAsync(), await AllAnswersAsync());
    }
}

/// <summary>With <c>[[kms]]</c> entries: the KMS list is the config's.</summary>
public sealed class TeepodAnswersWithConfiguredKmsTests : TeepodAnswersGoldenTests
{
    protected override string GoldenFile => "answers-configured-kms.txt";
}

/// <summary>With no <c>[[kms]]</c> entry: the KMS list is derived from the enabled teepods.</summary>
public sealed class TeepodAnswersWithDerivedKmsTests : TeepodAnswersGoldenTests
{
    protected override bool ConfiguredKms => false;
    protected override string GoldenFile => "answers-derived-kms.txt";
}
