using System.Net.Http.Headers;
using System.Text.Json;
using Flowstate.Telemetry.Receivers;
using Flowstate.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Flowstate.Tests.Telemetry;

/// <summary>
/// The real OTLP/HTTP receivers (<see cref="OtlpHttpEndpoints"/>) in an in-memory test server, in
/// front of the shared cluster. The caller is taken from test headers (X-Org, X-Key-Subject), where a
/// silo takes it from the ingest key.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    public const long MaxBodyBytes = 1024 * 1024;
    private readonly WebApplication _app;
    public HttpClient Client { get; }

    private OtlpReceiver(WebApplication app) { _app = app; Client = app.GetTestClient(); }

    public static async Task<OtlpReceiver> StartAsync(FlowstateCluster cluster)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddSingleton(cluster.Grains);
        builder.Services.AddOtlpReceivers(new OtlpOptions
        {
            MaxBodyBytes = MaxBodyBytes,
            Caller = http => new TelemetryCaller(http.Request.Headers["X-Org"].ToString(),
                http.Request.Headers["X-Key-Subject"].ToString() is { Length: > 0 } s ? s : null),
        });
        var app = builder.Build();
        app.MapOtlpHttp();
        await app.StartAsync();
        return new OtlpReceiver(app);
    }

    /// <summary>POSTs a body to /v1/{signal} for an org; returns the status and the body as text.</summary>
    public async Task<(int Status, string Body, HttpResponseMessage Response)> PostAsync(string org, string signal, byte[] body,
        string contentType = "application/json", bool gzip = false, string? keySubject = null)
    {
        var content = new ByteArrayContent(gzip ? Gzip(body) : body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (gzip) content.Headers.ContentEncoding.Add("gzip");
        var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/{signal}") { Content = content };
        request.Headers.Add("X-Org", org);
        if (keySubject is not null) request.Headers.Add("X-Key-Subject", keySubject);
        var response = await Client.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(), response);
    }

    /// <summary>POSTs JSON and returns the parsed response (asserting 200).</summary>
    public async Task<JsonElement> ExportJsonAsync(string org, string signal, byte[] body, string? keySubject = null)
    {
        var (status, text, _) = await PostAsync(org, signal, body, keySubject: keySubject);
        Assert.True(status == 200, $"HTTP {status}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static byte[] Gzip(byte[] body)
    {
        var output = new MemoryStream();
        using (var gz = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true)) gz.Write(body);
        return output.ToArray();
    }

    /// <summary>A fixture file of fixtures/telemetry (copied from shared/fixtures/telemetry into tests/Fixtures/telemetry).</summary>
    public static byte[] Fixture(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "telemetry", name));

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.DisposeAsync();
    }
}
