using System.Collections.Frozen;
using RecLoss.Core.Data;

namespace RecLoss.Core.Models;

/// <summary>An immutable map between a model's dense indices and the original string ids.</summary>
public sealed class IdIndex
{
    private readonly string[] _ids;
    private readonly FrozenDictionary<string, int> _indexOf;

    /// <exception cref="ArgumentException">An id appears twice.</exception>
    public IdIndex(IEnumerable<string> ids)
    {
        _ids = [.. ids];
        var indexOf = new Dictionary<string, int>(_ids.Length, StringComparer.Ordinal);
        for (int i = 0; i < _ids.Length; i++)
        {
            if (!indexOf.TryAdd(_ids[i], i))
            {
                throw new ArgumentException($"id '{_ids[i]}' appears twice (indices {indexOf[_ids[i]]} and {i})", nameof(ids));
            }
        }
        _indexOf = indexOf.ToFrozenDictionary(StringComparer.Ordinal);
    }

    public static IdIndex Of(IdMap map) => new(Enumerable.Range(0, map.Count).Select(map.GetId));

    public int Count => _ids.Length;

    public string this[int index] => _ids[index];

    public bool TryGetIndex(string id, out int index) => _indexOf.TryGetValue(id, out index);

    public IReadOnlyList<string> Ids => _ids;
}
