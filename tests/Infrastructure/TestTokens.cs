using System.Net.Http.Headers;
using Flowstate.Silo.Identity;

namespace Flowstate.Tests.Infrastructure;

/// <summary>
/// Development tokens for tests that call a real silo over HTTP or WebSocket: signed with the
/// development key of the silo's database (what `./flowstate token` prints), so a Development
/// silo on that database accepts them. See CONTRACTS.md "Identity".
/// </summary>
public static class TestTokens
{
    /// <summary>The environment a silo process needs to accept development tokens.</summary>
    public static readonly IReadOnlyDictionary<string, string> SiloEnvironment = new Dictionary<string, string> { ["DOTNET_ENVIRONMENT"] = "Development" };

    public static async Task<string> MintAsync(string connectionString, TokenRequest request) =>
        DevelopmentTokens.Mint(await DevelopmentSigningKey.GetOrCreateAsync(connectionString), request);

    /// <summary>A token of <paramref name="org"/> with <paramref name="roles"/> (admin by default), sub <c>tester@org</c>.</summary>
    public static Task<string> MintAsync(string connectionString, string org, params string[] roles) =>
        MintAsync(connectionString, new TokenRequest { Org = org, Roles = roles.Length > 0 ? roles : ["admin"], Subject = "tester@" + org });

    /// <summary>Makes every request of <paramref name="http"/> carry <paramref name="token"/>.</summary>
    public static HttpClient SignedIn(this HttpClient http, string token)
    {
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }
}
