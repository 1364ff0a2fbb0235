using System.Security.Cryptography;
using System.Text;
using Flowstate.Silo.Identity;
using Microsoft.IdentityModel.Tokens;

namespace Flowstate.Tests.Integration.Fuzz;

/// <summary>
/// The fuzz run's credentials: a good admin token and ingest key of its org, and a fixed set of
/// bad credentials (each an "Authorization" header value) that must all be 401.
/// </summary>
public sealed class FuzzTokens
{
    private readonly List<string> _bad = [];

    private FuzzTokens(string admin, string ingestKey) => (Admin, IngestKey) = (admin, ingestKey);

    public string Admin { get; }
    public string IngestKey { get; }
    public IReadOnlyList<string> BadOnes => _bad;

    public static FuzzTokens Create(SecurityKey key, string org, string ingestKey)
    {
        TokenRequest Admin() => new() { Org = org, Roles = ["admin"], Subject = "fuzzer@" + org };
        var admin = DevelopmentTokens.Mint(key, Admin());
        var tokens = new FuzzTokens(admin, ingestKey);
        string[] parts = admin.Split('.');
        static string B64(string json) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(json));
        var payload = Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(parts[1]));
        var otherKey = new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32));
        var bearers = new[]
        {
            DevelopmentTokens.Mint(key, Admin() with { Ttl = TimeSpan.FromMinutes(-10) }),                          // expired
            DevelopmentTokens.Mint(key, Admin() with { NotBefore = TimeSpan.FromHours(1), Ttl = TimeSpan.FromHours(2) }), // not yet valid
            DevelopmentTokens.Mint(key, Admin() with { Audience = "someone-else" }),                                 // wrong audience
            DevelopmentTokens.Mint(key, Admin() with { Issuer = "https://evil.example" }),                           // wrong issuer
            DevelopmentTokens.Mint(key, Admin() with { Org = null }),                                                // no org
            DevelopmentTokens.Mint(key, Admin() with { Org = "../" + org }),                                         // an org that is not an id
            DevelopmentTokens.Mint(otherKey, Admin()),                                                               // another key
            parts[0] + "." + B64(payload.Replace("\"admin\"", "\"admin\",\"ops\"")) + "." + parts[2],               // tampered payload
            parts[0] + "." + parts[1] + "." + parts[2][..^2] + (parts[2][^2] == 'A' ? "BB" : "AA"),                  // tampered signature
            B64("""{"alg":"none","typ":"JWT"}""") + "." + parts[1] + ".",                                              // alg none
            B64("""{"alg":"none","typ":"JWT"}""") + "." + parts[1],
            B64("""{"alg":"HS512","typ":"JWT"}""") + "." + parts[1] + "." + parts[2],                                 // alg swapped
            B64("""{"alg":"RS256","typ":"JWT"}""") + "." + parts[1] + "." + parts[2],
            parts[0] + "." + parts[1],                                                                               // signature missing
            "", "null", "undefined", ".", "..", "a.b.c", new string('A', 16_000), admin + admin,
            Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(300)),
        };
        foreach (var bearer in bearers) tokens._bad.Add("Bearer " + bearer);
        tokens._bad.AddRange(["Basic " + Convert.ToBase64String("admin:admin"u8.ToArray()), "Bearer", "Bearer  ", admin, "Token " + admin, "Bearer " + admin + " extra"]);
        return tokens;
    }

    public string Bad(Random random) => _bad[random.Next(_bad.Count)];
}
