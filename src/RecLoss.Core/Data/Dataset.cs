namespace RecLoss.Core.Data;

/// <summary>Train, optional validation and optional test interactions over one id space, with the id maps.</summary>
public sealed class Dataset
{
    public Dataset(string name, InteractionMatrix train, InteractionMatrix? validation, InteractionMatrix? test, IdMap users, IdMap items, DataReport report)
    {
        foreach (InteractionMatrix? m in new[] { validation, test })
        {
            if (m is not null && (m.UserCount != train.UserCount || m.ItemCount != train.ItemCount))
            {
                throw new ArgumentException("All splits must share one id space.");
            }
        }
        Name = name;
        Train = train;
        Validation = validation;
        Test = test;
        Users = users;
        Items = items;
        Report = report;
    }

    public string Name { get; }

    public InteractionMatrix Train { get; }

    public InteractionMatrix? Validation { get; }

    public InteractionMatrix? Test { get; }

    public IdMap Users { get; }

    public IdMap Items { get; }

    /// <summary>Legal oddities found while loading and splitting, with counts.</summary>
    public DataReport Report { get; }

    public int UserCount => Train.UserCount;

    public int ItemCount => Train.ItemCount;

    /// <summary>A copy with a new validation split carved from train.</summary>
    public Dataset WithValidation(InteractionMatrix train, InteractionMatrix validation) =>
        new(Name, train, validation, Test, Users, Items, Report);

    /// <summary>A short, stable fingerprint of the splits' contents (FNV-1a 64 over the CSR arrays).</summary>
    public string Fingerprint()
    {
        ulong hash = 14695981039346656037UL;
        void Mix(ReadOnlySpan<int> values)
        {
            foreach (int v in values)
            {
                hash = (hash ^ (uint)v) * 1099511628211UL;
            }
        }
        foreach (InteractionMatrix? m in new[] { Train, Validation, Test })
        {
            if (m is null)
            {
                Mix([-1]);
                continue;
            }
            Mix([m.UserCount, m.ItemCount, m.Count]);
            Mix(m.RowPointers);
            Mix(m.ColumnIndices);
        }
        return hash.ToString("x16");
    }
}

/// <summary>Counts of legal oddities in the input: reported to the user, never silently fixed.</summary>
public sealed class DataReport
{
    private readonly List<string> _notes = new();

    public IReadOnlyList<string> Notes => _notes;

    /// <summary>Records a note when <paramref name="count"/> is positive.</summary>
    public void Add(long count, string what)
    {
        if (count > 0)
        {
            _notes.Add($"{count:N0} {what}");
        }
    }

    /// <summary>Records a note as written.</summary>
    public void AddNote(string note) => _notes.Add(note);
}
