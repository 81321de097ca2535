return RecLoss.Cli.CommandLine.Run(args, Console.Out, Console.Error, !Console.IsErrorRedirected);
