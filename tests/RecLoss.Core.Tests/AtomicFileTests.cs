namespace RecLoss.Core.Tests;

/// <summary>A write lands whole or not at all, and a failure names the target, never the temporary file beside it.</summary>
public sealed class AtomicFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("atomic-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string At(string name) => Path.Combine(_folder, name);

    [Fact]
    public void AFailedWrite_LeavesTheOldFileAndNoTemporaryFile()
    {
        AtomicFile.WriteAllText(At("out.csv"), "old");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(At("out.csv"), stream =>
        {
            stream.WriteByte(1);
            throw new InvalidOperationException("stopped half-way");
        }));
        Assert.Equal("old", File.ReadAllText(At("out.csv")));
        Assert.Equal(["out.csv"], Directory.GetFiles(_folder).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData('a', 250)]
    [InlineData('\u00e9', 125)]   // two UTF-8 bytes each: 250 bytes
    public void ATargetNameNearTheLimit_IsWritten(char letter, int count)
    {
        string path = At(new string(letter, count));
        AtomicFile.WriteAllText(path, "x");
        Assert.Equal("x", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(_folder));
    }

    [Fact]
    public void AnErrorNamingTheTemporaryFile_IsRethrownNamingTheTarget_WithItsType()
    {
        // A failure inside the write (access denied, a full disk) names the file being written: the temporary one.
        var e = Assert.Throws<UnauthorizedAccessException>(() => AtomicFile.Write(At("out.csv"), stream =>
            throw new UnauthorizedAccessException($"Access to the path '{((FileStream)stream).Name}' is denied.")));
        Assert.Equal($"Access to the path '{At("out.csv")}' is denied.", e.Message);
        Assert.IsType<UnauthorizedAccessException>(e.InnerException);
        var io = Assert.Throws<IOException>(() => AtomicFile.Write(At("out.csv"), stream =>
            throw new IOException($"No space left on device : '{((FileStream)stream).Name}'")));
        Assert.Equal($"No space left on device : '{At("out.csv")}'", io.Message);
        Assert.Empty(Directory.GetFiles(_folder));
    }

    [Fact]
    public void AFolderThatIsAFile_IsNamed()
    {
        File.WriteAllText(At("afile"), "");
        var e = Assert.Throws<DirectoryNotFoundException>(() => AtomicFile.WriteAllText(At("afile/out.csv"), "x"));
        Assert.Equal($"'{At("afile")}' is a file, not a folder", e.Message);
    }

    [Fact]
    public void AMissingFolder_IsNamed()
    {
        var e = Assert.Throws<DirectoryNotFoundException>(() => AtomicFile.WriteAllText(At("none/out.csv"), "x"));
        Assert.Equal($"the folder '{At("none")}' does not exist", e.Message);
    }

    [Fact]
    public void ATargetThatIsAFolder_IsNamed_AndNoTemporaryFileIsLeft()
    {
        Directory.CreateDirectory(At("out.csv"));
        var e = Assert.Throws<IOException>(() => AtomicFile.WriteAllText(At("out.csv"), "x"));
        Assert.Equal($"'{At("out.csv")}' is a folder", e.Message);
        Assert.Empty(Directory.GetFiles(_folder));
    }
}
