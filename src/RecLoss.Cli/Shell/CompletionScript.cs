using System.CommandLine;

namespace RecLoss.Cli;

/// <summary>recloss completion [bash|zsh]: a script that asks recloss itself (System.CommandLine's [suggest] directive) for completions.</summary>
internal static class CompletionScript
{
    // The directive completes the text up to the cursor; recloss answers with one candidate per line.
    private const string Bash = """
        # recloss tab completion for bash; load it with: eval "$(recloss completion bash)"
        _recloss_complete() {
          local line="${COMP_LINE:0:COMP_POINT}"
          local IFS=$'\n'
          COMPREPLY=( $(compgen -W "$("${COMP_WORDS[0]}" "[suggest:${#line}]" "$line" 2>/dev/null)" -- "${COMP_WORDS[COMP_CWORD]}") )
        }
        complete -o default -F _recloss_complete recloss
        """;

    private const string Zsh = """
        # recloss tab completion for zsh; load it with: eval "$(recloss completion zsh)"
        autoload -U +X bashcompinit && bashcompinit
        """;

    public static Command Command(TextWriter output)
    {
        var shell = new Argument<string>("shell") { Arity = ArgumentArity.ZeroOrOne, DefaultValueFactory = _ => "bash", Description = "bash or zsh" };
        var command = new Command("completion", "print a shell script that completes commands and options with Tab") { shell };
        command.SetAction(parse =>
        {
            string name = parse.GetValue(shell)!;
            output.WriteLine(name switch
            {
                "bash" => Bash,
                "zsh" => Zsh + "\n" + Bash,
                _ => throw new UsageException($"completion: '{ArgumentReader.Shorten(name)}' is not a supported shell (expected bash or zsh)"),
            });
            return ExitCodes.Success;
        });
        return command;
    }
}
