using System.CommandLine;
using System.CommandLine.Parsing;

namespace RecLoss.Cli;

/// <summary>Turns System.CommandLine's parse errors into RecLoss's wording: the option, what was found, what was expected.</summary>
internal static class ParseErrors
{
    public static string Describe(ParseResult parse, IReadOnlyList<Verb> verbs)
    {
        Command command = parse.CommandResult.Command;
        string verb = command is RootCommand ? "" : command.Name;
        if (parse.UnmatchedTokens.Count > 0)
        {
            string token = ArgumentReader.Shorten(parse.UnmatchedTokens[0]);
            if (verb.Length == 0)
            {
                return $"unknown command '{token}' (expected {string.Join(", ", verbs.Select(v => v.Name))}, help or completion)";
            }
            if (!token.StartsWith('-'))
            {
                return $"unexpected argument '{token}' for '{verb}' (options look like --name value; see 'recloss {verb} --help')";
            }
            string name = token.Split('=', 2)[0];
            string[] owners = verbs.Where(v => v.Options.Any(o => "--" + o.Name == name)).Select(v => v.Name).ToArray();
            string? near = owners.Length > 0 ? null : Nearest(name, command.Options.Select(o => o.Name));
            string hint = owners.Length > 0 ? $" (it is an option of {string.Join(", ", owners)})" : near is null ? "" : $" (did you mean {near}?)";
            return $"'{verb}' does not take {name}{hint} (see 'recloss {verb} --help')";
        }
        ParseError first = parse.Errors[0];
        if (first.SymbolResult is OptionResult option)
        {
            string name = option.Option.Name;
            if (option.Tokens.Count == 0)
            {
                return $"option {name} needs a value{(option.Option.HelpName is { } value ? $" ({value})" : "")}";
            }
            if (option.Tokens.Count > 1 || option.IdentifierTokenCount > 1)
            {
                return $"option {name} is given {Math.Max(option.IdentifierTokenCount, option.Tokens.Count)} times (give it once)";
            }
        }
        return first.Message;
    }

    /// <summary>The closest candidate by edit distance, when it is close enough to be a likely typo.</summary>
    internal static string? Nearest(string word, IEnumerable<string> candidates)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string candidate in candidates)
        {
            int d = Distance(word, candidate);
            if (d < bestDistance)
            {
                (best, bestDistance) = (candidate, d);
            }
        }
        return bestDistance <= Math.Max(1, word.Length / 4) ? best : null;
    }

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
