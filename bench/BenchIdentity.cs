using System.Net.Http.Headers;
using Flowstate.Silo.Identity;

namespace Flowstate.Bench;

/// <summary>How the benchmarks sign in: development admin tokens of their org, from the database's development key.</summary>
public static class BenchIdentity
{
    /// <summary>Silos the benchmarks start validate development tokens (no OIDC authority on a bench machine).</summary>
    public static WebApplicationOptions Development => new() { EnvironmentName = Environments.Development };

    public static readonly IReadOnlyDictionary<string, string> SiloEnvironment = new Dictionary<string, string> { ["DOTNET_ENVIRONMENT"] = "Development" };

    public static async Task<string> AdminTokenAsync(string connectionString, string org) =>
        DevelopmentTokens.Mint(await DevelopmentSigningKey.GetOrCreateAsync(connectionString),
            new TokenRequest { Org = org, Roles = ["admin"], Subject = "bench", Ttl = TimeSpan.FromHours(6) });

    /// <summary>Every request of <paramref name="http"/> carries an admin token of <paramref name="org"/>.</summary>
    public static async Task<HttpClient> SignInAsync(this HttpClient http, string connectionString, string org)
    {
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await AdminTokenAsync(connectionString, org));
        return http;
    }
}
