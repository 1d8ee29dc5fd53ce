using OtlpFlow.Hosting;
using OtlpFlow.Worker;

// The application's folder is the content root, so appsettings.json and the default pipeline are
// found whatever the current directory (systemd starts services in /, Windows in System32).
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
{
    Args = args,
    ContentRootPath = AppContext.BaseDirectory,
});

// Each is a no-op unless the process was started by that service manager.
builder.Services.AddSystemd();
builder.Services.AddWindowsService(options => options.ServiceName = "OtlpFlow");

builder.Services.Configure<HealthOptions>(builder.Configuration.GetSection(HealthOptions.SectionName));
builder.Services.AddHostedService<HealthEndpointService>();
builder.Services.AddOtlpFlowPipeline(builder.Configuration, options =>
    options.PipelinePath = PipelinePath.Resolve(options.PipelinePath, builder.Environment.ContentRootPath));

await builder.Build().RunAsync().ConfigureAwait(false);
