using System.Text;

namespace RecLoss.Cli;

/// <summary>Help text: the verbs, or one verb's options grouped by section (data, model, loss, ...), within 100 columns.</summary>
internal static class HelpText
{
    private const int Width = 100;
    private const int NameColumn = 30;

    public static void Root(TextWriter o, IReadOnlyList<Verb> verbs)
    {
        o.WriteLine("recloss: train, evaluate and compare implicit-feedback recommenders.");
        o.WriteLine();
        o.WriteLine("usage: recloss <command> [options]");
        o.WriteLine();
        o.WriteLine("commands:");
        foreach (Verb verb in verbs)
        {
            Row(o, verb.Name, verb.Summary);
        }
        Row(o, "help [command]", "this text, or the options of one command (also: recloss <command> -h)");
        Row(o, "completion [bash|zsh]", "a shell script that completes commands and options with Tab");
        o.WriteLine();
        o.WriteLine("every command:");
        Row(o, "-h, --help", "the command's options, grouped by section");
        Row(o, "--version", "the version and the commit it was built from");
        Row(o, "--" + OptionCatalog.Verbose.Name, OptionCatalog.Verbose.Description);
        Row(o, "@FILE", "read more arguments from FILE (a response file: arguments separated by spaces or lines; a line starting with # is a comment)");
        o.WriteLine();
        o.WriteLine("exit codes: 0 done, 1 check failed (loadtest errors, stale experiment results), 2 usage error, 3 data error (a file, a model file), 4 training diverged,");
        o.WriteLine("            5 output could not be written, 70 unexpected error (a bug), 130 cancelled");
    }

    public static void Verb(TextWriter o, Verb verb)
    {
        o.WriteLine("usage: " + verb.Usage);
        o.WriteLine();
        foreach (string line in Wrap(verb.Summary + (verb.Details.Length > 0 ? ". " + verb.Details : ""), Width - 2))
        {
            o.WriteLine("  " + line);
        }
        if (verb.Options.Length == 0)
        {
            return;
        }
        foreach (IGrouping<Section, OptionSpec> group in verb.Options.GroupBy(s => s.Section).OrderBy(g => g.Key))
        {
            o.WriteLine();
            o.WriteLine(SectionTitle(group.Key) + ":");
            foreach (OptionSpec spec in group)
            {
                Row(o, "--" + spec.Name + (spec.IsFlag ? "" : " " + spec.Value), spec.Description);
            }
        }
        o.WriteLine();
        o.WriteLine("general:");
        Row(o, "-h, --help", "this text");
        Row(o, "--" + OptionCatalog.Verbose.Name, OptionCatalog.Verbose.Description);
    }

    private static string SectionTitle(Section s) => s switch
    {
        Section.Data => "data",
        Section.Model => "model",
        Section.Loss => "loss (each loss's options are refused with another loss)",
        Section.Sampling => "negative sampling and noise",
        Section.Training => "training",
        Section.Evaluation => "evaluation",
        Section.Output => "output",
        Section.Query => "model and query",
        Section.Benchmark => "benchmark",
        _ => "general",
    };

    /// <summary>"  name   description", the description wrapped at the width and indented under itself.</summary>
    private static void Row(TextWriter o, string name, string description)
    {
        string head = "  " + name;
        IReadOnlyList<string> lines = Wrap(description, Width - NameColumn);
        if (head.Length >= NameColumn - 1)
        {
            o.WriteLine(head);
            head = "";
        }
        for (int i = 0; i < lines.Count; i++)
        {
            o.WriteLine((i == 0 ? head : "").PadRight(NameColumn) + lines[i]);
        }
    }

    internal static IReadOnlyList<string> Wrap(string text, int width)
    {
        var lines = new List<string>();
        var line = new StringBuilder();
        foreach (string word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > width)
            {
                lines.Add(line.ToString());
                line.Clear();
            }
            line.Append(line.Length > 0 ? " " : "").Append(word);
        }
        lines.Add(line.ToString());
        return lines;
    }
}
