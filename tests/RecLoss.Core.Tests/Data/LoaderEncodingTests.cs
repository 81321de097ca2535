using System.Text;
using RecLoss.Core.Data;

namespace RecLoss.Core.Tests.Data;

/// <summary>Byte-level oddities: byte-order marks, line endings, invalid UTF-8, binary files, sparse and huge ids.</summary>
public sealed class LoaderEncodingTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("recloss-encoding-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string SplitFolder(byte[] train, byte[] test)
    {
        string dir = Path.Combine(_folder, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, "train.txt"), train);
        File.WriteAllBytes(Path.Combine(dir, "test.txt"), test);
        return dir;
    }

    private string CsvFile(byte[] bytes)
    {
        string path = Path.Combine(_folder, Guid.NewGuid().ToString("N") + ".csv");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static readonly byte[] Bom = [0xEF, 0xBB, 0xBF];

    private static void AssertSameSplits(Dataset expected, Dataset actual)
    {
        Assert.Equal(expected.Fingerprint(), actual.Fingerprint());
        Assert.Equal(expected.UserCount, actual.UserCount);
        Assert.Equal(expected.ItemCount, actual.ItemCount);
    }

    [Theory]
    [InlineData("bom")]
    [InlineData("cr")]
    [InlineData("crlf")]
    public void SplitLoader_BomAndLineEndings_ReadAsPlainLf(string variant)
    {
        const string train = "0 1 2\n1 2 3\n2 0\n", test = "0 3\n1 0\n";
        Dataset plain = SplitFileLoader.Load(SplitFolder(Utf8(train), Utf8(test)));
        byte[] Variant(string text) => variant switch
        {
            "bom" => [.. Bom, .. Utf8(text)],
            "cr" => Utf8(text.Replace('\n', '\r')),
            _ => Utf8(text.Replace("\n", "\r\n")),
        };
        AssertSameSplits(plain, SplitFileLoader.Load(SplitFolder(Variant(train), Variant(test))));
    }

    [Fact]
    public void SplitLoader_CrOnlyEndings_NumberLinesForErrors()
    {
        var e = Assert.Throws<DataFormatException>(() => SplitFileLoader.Load(SplitFolder(Utf8("0 1\r1 2\r2 x\r"), Utf8("0 1\r"))));
        Assert.Equal(3, e.LineNumber);
    }

    [Fact]
    public void SplitLoader_SparseHugeIds_AreRenumberedAndKeepTheirNames()
    {
        Dataset data = SplitFileLoader.Load(SplitFolder(Utf8("7 1 2000000000\n2147483646 1\n"), Utf8("7 5\n")));
        Assert.Equal(2, data.UserCount);
        Assert.Equal(3, data.ItemCount);
        Assert.Equal("7", data.Users.GetId(0));
        Assert.Equal("2147483646", data.Users.GetId(1));
        Assert.Equal(["1", "5", "2000000000"], Enumerable.Range(0, 3).Select(data.Items.GetId));
        Assert.True(data.Train.Contains(0, 2));   // 7 -> 2000000000
        Assert.True(data.Test!.Contains(0, 1));   // 7 -> 5
        Assert.Contains(data.Report.Notes, n => n.StartsWith("user ids are sparse", StringComparison.Ordinal));
    }

    [Fact]
    public void SplitLoader_NearlyDenseIds_KeepTheIdentityMap()
    {
        Dataset data = SplitFileLoader.Load(SplitFolder(Utf8("0 1 3\n2 4\n"), Utf8("0 2\n")));
        Assert.Equal(3, data.UserCount);     // user 1 has no line: still an index, as the LightGCN format implies
        Assert.Equal(5, data.ItemCount);
        Assert.Equal("4", data.Items.GetId(4));
        Assert.DoesNotContain(data.Report.Notes, n => n.Contains("sparse", StringComparison.Ordinal));
    }

    [Fact]
    public void SplitLoader_IdAboveIntRange_SaysTooLargeAndSuggestsCsv()
    {
        var e = Assert.Throws<DataFormatException>(() => SplitFileLoader.Load(SplitFolder(Utf8("0 99999999999\n"), Utf8("0 1\n"))));
        Assert.Contains("too large", e.Message);
        Assert.Contains("CSV", e.Message);
    }

    [Theory]
    [InlineData("   \n\t\n")]
    [InlineData("3\n4\n")]
    [InlineData("")]
    public void SplitLoader_TrainWithoutInteractions_IsRefused(string train)
    {
        var e = Assert.Throws<DataFormatException>(() => SplitFileLoader.Load(SplitFolder(Utf8(train), Utf8("0 1\n"))));
        Assert.EndsWith("train.txt", e.FilePath);
        Assert.Contains("no interactions", e.Message);
    }

    [Fact]
    public void SplitLoader_EmptyTest_LoadsWithANote()
    {
        Dataset data = SplitFileLoader.Load(SplitFolder(Utf8("0 1\n1 0\n"), []));
        Assert.Equal(0, data.Test!.Count);
        Assert.Contains(data.Report.Notes, n => n.Contains("nothing to evaluate", StringComparison.Ordinal));
    }

    [Fact]
    public void Loaders_BinaryFile_ShortMessageNamingTheNulByte()
    {
        byte[] binary = [.. Utf8("0 1\n"), 0x7F, 0x45, 0x4C, 0x46, 0x00, 0x01, .. Enumerable.Repeat((byte)0x90, 5000)];
        var split = Assert.Throws<DataFormatException>(() => SplitFileLoader.Load(SplitFolder(binary, Utf8("0 1\n"))));
        var csv = Assert.Throws<DataFormatException>(() => DelimitedFileLoader.Load(CsvFile(binary), new DelimitedFileOptions()));
        foreach (DataFormatException e in new[] { split, csv })
        {
            Assert.Contains("NUL byte at offset 8", e.Message);
            Assert.Equal(2, e.LineNumber);
            Assert.True(e.Message.Length < 250, e.Message);
        }
    }

    [Fact]
    public void SplitLoader_VeryLongToken_IsShortenedInTheMessage()
    {
        string token = new('z', 100_000);
        var e = Assert.Throws<DataFormatException>(() => SplitFileLoader.Load(SplitFolder(Utf8($"0 {token}\n"), Utf8("0 1\n"))));
        Assert.Contains("(100,000 bytes)", e.Message);
        Assert.True(e.Message.Length < 300, e.Message);
    }

    [Fact]
    public void DelimitedLoader_InvalidUtf8_IsReportedWithItsLine_NotMergedIntoAnotherId()
    {
        // 0xE9 is 'é' in Latin-1: two distinct ids that a lenient decoder would both turn into "i\uFFFD".
        byte[] bytes = [.. Utf8("user_id,item_id\nu1,i1\nu1,i"), 0xE9, .. Utf8("\nu2,i"), 0xE8, .. Utf8("\n")];
        var e = Assert.Throws<DataFormatException>(() => DelimitedFileLoader.Load(CsvFile(bytes), new DelimitedFileOptions()));
        Assert.Equal(3, e.LineNumber);
        Assert.Contains("0xE9", e.Message);
        Assert.Contains("not valid UTF-8", e.Message);
    }

    [Theory]
    [InlineData("bom")]
    [InlineData("cr")]
    [InlineData("crlf")]
    public void DelimitedLoader_BomAndLineEndings_ReadAsPlainLf(string variant)
    {
        const string text = "user_id,item_id\nu1,i1\nu1,i2\nu2,i1\n";
        byte[] bytes = variant switch
        {
            "bom" => [.. Bom, .. Utf8(text)],
            "cr" => Utf8(text.Replace('\n', '\r')),
            _ => Utf8(text.Replace("\n", "\r\n")),
        };
        InteractionLog log = DelimitedFileLoader.Load(CsvFile(bytes), new DelimitedFileOptions());
        Assert.Equal(3, log.Count);
        Assert.Equal("u1", log.Users.GetId(0));
        Assert.Equal("i2", log.Items.GetId(1));
    }

    [Fact]
    public void DelimitedLoader_QuotedFieldWithNewline_IsOneField()
    {
        InteractionLog log = DelimitedFileLoader.Load(CsvFile(Utf8("user_id,item_id\n\"u,1\",\"line\nbreak\"\nu2,\"say \"\"hi\"\"\"\nu2,x\n")), new DelimitedFileOptions());
        Assert.Equal(3, log.Count);
        Assert.Equal("u,1", log.Users.GetId(0));
        Assert.Equal("line\nbreak", log.Items.GetId(0));
        Assert.Equal("say \"hi\"", log.Items.GetId(1));
    }

    [Fact]
    public void DelimitedLoader_WrongFieldCountAfterQuotedNewline_NamesTheRightLine()
    {
        var e = Assert.Throws<DataFormatException>(() => DelimitedFileLoader.Load(CsvFile(Utf8("user_id,item_id\nu1,\"a\nb\"\nu2,i1,extra\n")), new DelimitedFileOptions()));
        Assert.Equal(4, e.LineNumber);
        Assert.Contains("found 3 fields, expected 2", e.Message);
    }

    [Fact]
    public void DelimitedLoader_UnclosedQuote_IsRefusedNotMerged()
    {
        var e = Assert.Throws<DataFormatException>(() => DelimitedFileLoader.Load(CsvFile(Utf8("user_id,item_id\nu1,\"i1\nu1,i2\nu2,i3\n")), new DelimitedFileOptions()));
        Assert.Equal(2, e.LineNumber);
        Assert.Contains("never closed", e.Message);
    }
}
