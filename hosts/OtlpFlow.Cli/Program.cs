using OtlpFlow.Cli;

var environment = CliEnvironment.ForConsole();
using var shutdown = new ConsoleShutdown(environment);
return await CliApplication.InvokeAsync(args, environment, shutdown.Token).ConfigureAwait(false);
