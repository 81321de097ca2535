namespace RecLoss.Core.Data;

/// <summary>Maps external string ids to dense indices 0..Count-1, in order of first appearance.</summary>
public sealed class IdMap
{
    private readonly Dictionary<string, int> _indexOf = new(StringComparer.Ordinal);
    private readonly List<string> _ids = new();

    public int Count => _ids.Count;

    /// <summary>Index of <paramref name="id"/>, adding it when new.</summary>
    public int GetOrAdd(string id)
    {
        if (!_indexOf.TryGetValue(id, out int index))
        {
            index = _ids.Count;
            _indexOf.Add(id, index);
            _ids.Add(id);
        }
        return index;
    }

    public bool TryGetIndex(string id, out int index) => _indexOf.TryGetValue(id, out index);

    public string GetId(int index) => _ids[index];

    /// <summary>An identity map "0".."count-1", used for files whose ids are already dense integers.</summary>
    public static IdMap Identity(int count)
    {
        var map = new IdMap();
        for (int i = 0; i < count; i++)
        {
            map.GetOrAdd(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        return map;
    }
}
