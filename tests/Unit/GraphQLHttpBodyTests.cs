using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Flowstate.GraphQL.Schema;
using Flowstate.GraphQL.Transport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;

namespace Flowstate.Tests.Unit;

/// <summary>
/// Issue 9: a POST body that is not exactly one JSON object (a valid object followed by more: an
/// extra brace, a second value, garbage, invalid UTF-8) is refused with 400 and the contract's
/// INVALID_INPUT before anything runs; the same object alone is answered.
/// </summary>
public sealed class GraphQLHttpBodyTests : IAsyncLifetime
{
    private WebApplication _app = null!;

    public async Task InitializeAsync()
    {
        // Production, whatever the caller's DOTNET_ENVIRONMENT: Development would validate every registration (the cluster client's among them) at build.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = Microsoft.Extensions.Hosting.Environments.Production });
        builder.WebHost.UseTestServer();
        builder.Services.AddFlowstateGraphQL();
        _app = builder.Build();
        _app.MapGraphQLHttp("/graphql");
        await _app.StartAsync();
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private async Task<(HttpStatusCode Status, JsonNode Body)> PostAsync(byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var response = await _app.GetTestClient().PostAsync("/graphql", content);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    private const string Valid = """{"query":"{ __typename }"}""";

    [Theory]
    [InlineData(Valid + "}")]
    [InlineData(Valid + "}}}}")]
    [InlineData(Valid + "]")]
    [InlineData(Valid + "{}")]
    [InlineData(Valid + """{"query":"mutation { configureOrg(input: { plan: ENTERPRISE }) { plan } }"}""")]
    [InlineData(Valid + " x")]
    [InlineData(Valid + "\n\"and more\"")]
    [InlineData("""{"query":"{ __typename }","variables":{}}}""")]
    public async Task AnObjectFollowedByMore_Is400InvalidInput(string body)
    {
        var (status, answer) = await PostAsync(Encoding.UTF8.GetBytes(body));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("INVALID_INPUT", answer["errors"]![0]!["extensions"]!["code"]!.GetValue<string>());
        Assert.Null(answer["data"]);
    }

    [Fact]
    public async Task AnObjectFollowedByInvalidUtf8_Is400InvalidInput()
    {
        var (status, answer) = await PostAsync([.. Encoding.UTF8.GetBytes(Valid), 0xC3, 0x28, 0xFF, 0xFE]);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("INVALID_INPUT", answer["errors"]![0]!["extensions"]!["code"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(Valid)]
    [InlineData(Valid + " \r\n\t ")]   // trailing whitespace is not content
    public async Task TheObjectAlone_IsAnswered(string body)
    {
        var (status, answer) = await PostAsync(Encoding.UTF8.GetBytes(body));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Query", answer["data"]!["__typename"]!.GetValue<string>());
    }
}
