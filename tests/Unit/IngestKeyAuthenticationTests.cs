using System.Net;
using System.Net.Http.Headers;
using Flowstate.Identity;
using Flowstate.Silo.Identity;
using Flowstate.Storage;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Flowstate.GraphQL.Transport;

namespace Flowstate.Tests.Unit;

/// <summary>
/// The ingest-key scheme in an ASP.NET Core pipeline of its own: a key whose store cannot be reached
/// is 503 with Retry-After (an agent retries), never 401 (an agent would drop its data), and a
/// credential that is not an ingest key never reaches the key handler.
/// </summary>
public sealed class IngestKeyAuthenticationTests
{
    private static async Task<WebApplication> StartAsync(NpgsqlDataSource db)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddSingleton<IIngestKeyStore>(new IngestKeyStore(db));
        builder.Services.AddSingleton<IStorageErrors, StorageExceptionFilter>();
        builder.Services.AddAuthentication(IngestKeyAuthentication.Scheme).AddJwtBearer().AddIngestKeys();
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme).Configure(o =>
        {
            o.TokenValidationParameters.ValidIssuer = "nobody";
            o.TokenValidationParameters.IssuerSigningKeys = [];
        });
        builder.Services.AddAuthorization();
        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapPost("/probe", (HttpContext http) => http.User.FindFirst("sub")?.Value).RequireAuthorization();
        await app.StartAsync();
        return app;
    }

    private static async Task<HttpResponseMessage> ProbeAsync(WebApplication app, string bearer)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/probe");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        return await app.GetTestClient().SendAsync(request);
    }

    [Fact]
    public async Task AKeyThatCannotBeChecked_Is503WithRetryAfter_Not401()
    {
        // Nothing listens on port 1: every connection is refused, as when PostgreSQL is down.
        await using var down = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Username=x;Password=x;Timeout=2");
        await using var app = await StartAsync(down);
        using var response = await ProbeAsync(app, IngestKeySecrets.Generate().Secret);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("5", response.Headers.RetryAfter?.ToString());
    }

    [Fact]
    public async Task ACredentialThatIsNotAKey_GoesToTheJwtHandler()
    {
        await using var down = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Username=x;Password=x;Timeout=2");
        await using var app = await StartAsync(down);
        // Were it sent to the key handler, the unreachable store would make it 503.
        using var response = await ProbeAsync(app, "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task AKeyThatCannotBeChecked_OnGraphQL_Is503StorageUnavailable_Not401()
    {
        await using var down = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Username=x;Password=x;Timeout=2");
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddSingleton<IIngestKeyStore>(new IngestKeyStore(down));
        builder.Services.AddSingleton<IStorageErrors, StorageExceptionFilter>();
        // Refused before execution: the endpoint needs only its serializer.
        builder.Services.AddSingleton<global::GraphQL.IGraphQLTextSerializer, global::GraphQL.SystemTextJson.GraphQLSerializer>();
        builder.Services.AddAuthentication(IngestKeyAuthentication.Scheme).AddJwtBearer().AddIngestKeys();
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme).Configure(o =>
        {
            o.TokenValidationParameters.ValidIssuer = "nobody";
            o.TokenValidationParameters.IssuerSigningKeys = [];
        });
        await using var app = builder.Build();
        app.UseAuthentication();
        app.MapGraphQLHttp("/graphql", isAuthenticated: http => Flowstate.GraphQL.Types.FlowstateUserContext.FromClaims(http.User) is not null);
        await app.StartAsync();

        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql")
        {
            Content = new StringContent("""{"query":"mutation { ingestSessions(input: { sessions: [] }) { accepted } }"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", IngestKeySecrets.Generate().Secret);
        using var response = await app.GetTestClient().SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("5", response.Headers.RetryAfter?.ToString());
        Assert.Equal("STORAGE_UNAVAILABLE", System.Text.Json.Nodes.JsonNode.Parse(body)!["errors"]![0]!["extensions"]!["code"]!.GetValue<string>());
    }
}
