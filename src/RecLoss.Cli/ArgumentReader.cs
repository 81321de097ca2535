using System.Globalization;

namespace RecLoss.Cli;

/// <summary>A command-line mistake: the message says which option, what was found and what was expected.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>Reads "--name value" and "--flag" options; every option given must be consumed, or it is reported.</summary>
public sealed class ArgumentReader
{
    private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    /// <param name="flags">Options that take no value.</param>
    public ArgumentReader(IReadOnlyList<string> args, IReadOnlySet<string> flags)
    {
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            {
                throw new UsageException($"unexpected argument '{arg}' (options look like --name value)");
            }
            string name = arg[2..];
            string? value = null;
            int eq = name.IndexOf('=');
            if (eq >= 0)
            {
                value = name[(eq + 1)..];
                name = name[..eq];
            }
            else if (!flags.Contains(name))
            {
                if (i + 1 >= args.Count)
                {
                    throw new UsageException($"option --{name} needs a value");
                }
                value = args[++i];
            }
            if (!_values.TryAdd(name, value))
            {
                throw new UsageException($"option --{name} is given twice");
            }
        }
    }

    public bool Has(string name)
    {
        _used.Add(name);
        return _values.ContainsKey(name);
    }

    public bool Flag(string name) => Has(name);

    public string? String(string name)
    {
        _used.Add(name);
        return _values.TryGetValue(name, out string? v) ? v : null;
    }

    public string String(string name, string fallback) => String(name) ?? fallback;

    public int Int(string name, int fallback, int min = int.MinValue, int max = int.MaxValue)
    {
        string? text = String(name);
        if (text is null)
        {
            return fallback;
        }
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value))
        {
            throw new UsageException($"--{name}: '{text}' is not an integer");
        }
        if (value < min || value > max)
        {
            throw new UsageException($"--{name}: {value} is out of range (expected {RangeText(min, max)})");
        }
        return value;
    }

    public double Double(string name, double fallback, double min = double.NegativeInfinity, double max = double.PositiveInfinity, bool minExclusive = false)
    {
        string? text = String(name);
        if (text is null)
        {
            return fallback;
        }
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
        {
            throw new UsageException($"--{name}: '{text}' is not a finite number");
        }
        if (value < min || value > max || (minExclusive && value == min))
        {
            throw new UsageException($"--{name}: {text} is out of range (expected {(minExclusive ? "> " + min.ToString(CultureInfo.InvariantCulture) : "")}{RangeText(min, max, minExclusive)})");
        }
        return value;
    }

    public double[]? DoubleList(string name)
    {
        string? text = String(name);
        if (text is null)
        {
            return null;
        }
        return text.Split(',').Select(part =>
        {
            if (!double.TryParse(part.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
            {
                throw new UsageException($"--{name}: '{part}' is not a finite number (expected a comma-separated list such as 0.6,0.7)");
            }
            return v;
        }).ToArray();
    }

    public int[]? IntList(string name, int min)
    {
        string? text = String(name);
        if (text is null)
        {
            return null;
        }
        return text.Split(',').Select(part =>
        {
            if (!int.TryParse(part.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v))
            {
                throw new UsageException($"--{name}: '{part}' is not an integer (expected a comma-separated list such as 10,20)");
            }
            if (v < min)
            {
                throw new UsageException($"--{name}: {v} is out of range (expected >= {min})");
            }
            return v;
        }).ToArray();
    }

    /// <summary>Throws for any option that was given but never asked for.</summary>
    public void EnsureAllUsed(string command)
    {
        string[] unknown = _values.Keys.Where(k => !_used.Contains(k)).ToArray();
        if (unknown.Length > 0)
        {
            throw new UsageException($"'{command}' does not take {string.Join(", ", unknown.Select(u => "--" + u))} (see 'recloss help {command}')");
        }
    }

    private static string RangeText(double min, double max, bool minExclusive = false)
    {
        string lo = double.IsNegativeInfinity(min) || minExclusive ? "" : $">= {min.ToString(CultureInfo.InvariantCulture)}";
        string hi = double.IsPositiveInfinity(max) || max == int.MaxValue ? "" : $"<= {max.ToString(CultureInfo.InvariantCulture)}";
        return string.Join(" and ", new[] { lo, hi }.Where(s => s.Length > 0));
    }
}
