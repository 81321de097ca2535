using RecLoss.Core.Data;

namespace RecLoss.Core.Tests.Data;

public sealed class LoaderTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("recloss-loader-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string SplitFolder(string train, string test)
    {
        string dir = Path.Combine(_folder, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "train.txt"), train);
        File.WriteAllText(Path.Combine(dir, "test.txt"), test);
        return dir;
    }

    private string File_(string text, string name = "data.csv")
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void SplitLoader_ValidFilesWithCrlf_LoadsSortedRows()
    {
        string dir = SplitFolder("0 3 1\r\n1 2\r\n", "0 2\r\n1 1\r\n");
        Dataset data = SplitFileLoader.Load(dir);
        Assert.Equal(2, data.UserCount);
        Assert.Equal(4, data.ItemCount);
        Assert.Equal([1, 3], data.Train.Row(0).ToArray());
        Assert.Equal([1], data.Test!.Row(1).ToArray());
        Assert.Empty(data.Report.Notes);
    }

    [Fact]
    public void SplitLoader_NonIntegerItem_NamesFileAndLine()
    {
        string dir = SplitFolder("0 1 2\n1 2 x7\n", "0 3\n");
        var e = Assert.Throws<DataFormatException>(() => SplitFileLoader.Load(dir));
        Assert.Equal(2, e.LineNumber);
        Assert.EndsWith("train.txt", e.FilePath);
        Assert.Contains("train.txt:2:", e.Message);
        Assert.Contains("'x7' is not an integer", e.Message);
    }

    [Fact]
    public void SplitLoader_NegativeId_NamesLine()
    {
        string dir = SplitFolder("0 1\n", "0 2\n-1 3\n");
        var e = Assert.Throws<DataFormatException>(() => SplitFileLoader.Load(dir));
        Assert.Contains("test.txt:2:", e.Message);
        Assert.Contains("negative user id '-1'", e.Message);
    }

    [Fact]
    public void SplitLoader_EmptyFile_Throws()
    {
        string dir = SplitFolder("", "0 1\n");
        var e = Assert.Throws<DataFormatException>(() => SplitFileLoader.Load(dir));
        Assert.Contains("train.txt", e.Message);
        Assert.Contains("empty", e.Message);
    }

    [Fact]
    public void SplitLoader_MissingTestFile_NamesPath()
    {
        string dir = SplitFolder("0 1\n", "0 1\n");
        File.Delete(Path.Combine(dir, "test.txt"));
        var e = Assert.Throws<DataFormatException>(() => SplitFileLoader.Load(dir));
        Assert.Contains("test.txt: no such file", e.Message);
    }

    [Fact]
    public void SplitLoader_MissingFolder_Throws()
    {
        var e = Assert.Throws<DataFormatException>(() => SplitFileLoader.Load(Path.Combine(_folder, "nope")));
        Assert.Contains("no such folder", e.Message);
    }

    [Fact]
    public void SplitLoader_LegalOddities_AreCountedNotDropped()
    {
        // Duplicate pair (0,1) in train; (0,2) in both; user 2 and item 9 only in test.
        string dir = SplitFolder("0 1 1 2\n1 3\n", "0 2\n2 9\n");
        Dataset data = SplitFileLoader.Load(dir);
        string notes = string.Join("\n", data.Report.Notes);
        Assert.Contains("1 duplicate (user, item) pairs in train.txt", notes);
        Assert.Contains("1 (user, item) pairs in both train and test", notes);
        Assert.Contains("1 users with test items but no train items", notes);
        Assert.Contains("1 items that occur in test but not in train", notes);
        Assert.True(data.Test!.Contains(0, 2));
    }

    [Fact]
    public void DelimitedLoader_RatingsAndTypedHeader_MapsStringIds()
    {
        string path = File_("user_id:token\titem_id:token\trating:float\ttimestamp:float\nalice\tm1\t5\t10\nbob\tm2\t2\t11\nalice\tm2\t4\t12\n", "x.inter");
        InteractionLog log = DelimitedFileLoader.Load(path, new DelimitedFileOptions { RatingColumn = "rating", TimestampColumn = "timestamp" });
        Assert.Equal(2, log.Count);
        Assert.Equal("alice", log.Users.GetId(log.UserIndices[0]));
        Assert.Equal("m2", log.Items.GetId(log.ItemIndices[1]));
        Assert.Contains(log.Report.Notes, n => n.StartsWith("1 rows with rating:float below 4", StringComparison.Ordinal));
    }

    [Fact]
    public void DelimitedLoader_MissingColumn_ListsHeader()
    {
        string path = File_("user,item\n1,2\n");
        var e = Assert.Throws<DataFormatException>(() => DelimitedFileLoader.Load(path, new DelimitedFileOptions { UserColumn = "user", ItemColumn = "movie" }));
        Assert.Contains("data.csv:1:", e.Message);
        Assert.Contains("no item column 'movie'", e.Message);
        Assert.Contains("'item'", e.Message);
    }

    [Fact]
    public void DelimitedLoader_WrongFieldCount_NamesLine()
    {
        string path = File_("user_id,item_id\n1,2\n3\n");
        var e = Assert.Throws<DataFormatException>(() => DelimitedFileLoader.Load(path, new DelimitedFileOptions()));
        Assert.Contains("data.csv:3: found 1 fields, expected 2", e.Message);
    }

    [Fact]
    public void DelimitedLoader_NonNumericRating_NamesLine()
    {
        string path = File_("user_id,item_id,rating\n1,2,5\n1,3,good\n");
        var e = Assert.Throws<DataFormatException>(() => DelimitedFileLoader.Load(path, new DelimitedFileOptions { RatingColumn = "rating" }));
        Assert.Contains("data.csv:3: rating 'good' is not a number", e.Message);
    }

    [Fact]
    public void DelimitedLoader_EmptyFile_Throws()
    {
        string path = File_("");
        var e = Assert.Throws<DataFormatException>(() => DelimitedFileLoader.Load(path, new DelimitedFileOptions()));
        Assert.Contains("empty", e.Message);
    }

    [Fact]
    public void DelimitedLoader_HeaderOnly_Throws()
    {
        string path = File_("user_id,item_id\n");
        var e = Assert.Throws<DataFormatException>(() => DelimitedFileLoader.Load(path, new DelimitedFileOptions()));
        Assert.Contains("no data rows", e.Message);
    }

    [Fact]
    public void Splitter_Temporal_PutsLatestInTest()
    {
        string path = File_("user_id,item_id,ts\nu,a,3\nu,b,1\nu,c,2\nu,d,4\nu,e,5\n");
        InteractionLog log = DelimitedFileLoader.Load(path, new DelimitedFileOptions { TimestampColumn = "ts" });
        Dataset data = Splitter.Split(log, SplitKind.Temporal, 0.6, 1);
        int[] test = data.Test!.Row(0).ToArray().Select(i => i).ToArray();
        Assert.Equal(new[] { "d", "e" }, test.Select(i => data.Items.GetId(i)).Order().ToArray());
    }

    [Fact]
    public void Splitter_CarveValidation_PartitionsTrain()
    {
        var train = InteractionMatrix.FromPairs(2, 20, Enumerable.Repeat(0, 10).Concat(Enumerable.Repeat(1, 10)).ToArray(),
            Enumerable.Range(0, 20).ToArray(), out _);
        var data = new Dataset("t", train, null, null, IdMap.Identity(2), IdMap.Identity(20), new DataReport());
        Dataset carved = Splitter.CarveValidation(data, 0.2, 5);
        Assert.Equal(16, carved.Train.Count);
        Assert.Equal(4, carved.Validation!.Count);
        Assert.Equal(0, carved.Train.OverlapCount(carved.Validation));
        Assert.Equal(20, carved.Train.Union(carved.Validation).Count);
    }
}

/// <summary>A fact that is skipped, with the reason, when ../shared/data is not beside the repository.</summary>
public sealed class SharedDataFactAttribute : FactAttribute
{
    public SharedDataFactAttribute()
    {
        if (SharedDataTests.SharedData() is null)
        {
            Skip = "../shared/data (the benchmark copies) is not beside the repository";
        }
    }
}

/// <summary>Checks against the shared benchmark copies; skipped with a message when ../shared/data is absent.</summary>
public class SharedDataTests
{
    internal static string? SharedData()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null)
        {
            string candidate = Path.Combine(dir, "..", "shared", "data");
            if (Directory.Exists(Path.Combine(candidate, "yelp2018")))
            {
                return Path.GetFullPath(candidate);
            }
            dir = Path.GetDirectoryName(dir);
        }
        return null;
    }

    [SharedDataFact]
    public void Yelp2018_Statistics_MatchDataReadme()
    {
        string root = SharedData()!;
        Dataset data = SplitFileLoader.Load(Path.Combine(root, "yelp2018"));
        Assert.Equal(31668, data.UserCount);
        Assert.Equal(38048, data.ItemCount);
        Assert.Equal(1237259, data.Train.Count);
        Assert.Equal(324147, data.Test!.Count);
        SplitStatistics train = SplitStatistics.Of("train", data.Train);
        Assert.Equal(16, train.MinPerUser);
        Assert.Equal(1848, train.MaxPerUser);
        Assert.Empty(data.Report.Notes);
    }

    [SharedDataFact]
    public void Gowalla_Statistics_MatchDataReadme()
    {
        string root = SharedData()!;
        Dataset data = SplitFileLoader.Load(Path.Combine(root, "gowalla"));
        Assert.Equal(29858, data.UserCount);
        Assert.Equal(40981, data.ItemCount);
        Assert.Equal(810128, data.Train.Count);
        Assert.Equal(217242, data.Test!.Count);
        SplitStatistics test = SplitStatistics.Of("test", data.Test);
        Assert.Equal(1, test.MinPerUser);
        Assert.Equal(203, test.MaxPerUser);
        Assert.Equal(38546, test.DistinctItems);
    }

    [SharedDataFact]
    public void MovieLens100k_LoadsAsDelimitedFile()
    {
        string root = SharedData()!;
        InteractionLog log = DelimitedFileLoader.Load(Path.Combine(root, "ml-100k", "ml-100k.inter"),
            new DelimitedFileOptions { RatingColumn = "rating", TimestampColumn = "timestamp" });
        Assert.Equal(55375, log.Count);
        Assert.Equal(100000 - 55375, long.Parse(log.Report.Notes[0].Split(' ')[0].Replace(",", "")));
    }
}
