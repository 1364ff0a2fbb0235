using Npgsql;

namespace Flowstate.Silo.Identity;

/// <summary>
/// <c>token [--org ORG] [--roles r1,r2] [--sub S] [--name N] [--person ID] [--teams t1,t2] [--ttl DURATION]</c>:
/// prints one development token, and nothing else, on stdout. Signed with the development key of
/// FLOWSTATE_DB, so a Development silo on that database accepts it. For tests of refusals it also
/// takes <c>--org ""</c> (no org claim), <c>--ttl -1m</c> (expired), <c>--not-before 1h</c>,
/// <c>--issuer</c> and <c>--audience</c>.
/// </summary>
public static class TokenVerb
{
    public const string Usage =
        "token [--org ORG] [--roles r1,r2] [--sub S] [--name N] [--person ID] [--teams t1,t2] [--ttl DURATION]  (defaults: org demo, roles admin, ttl 12h)";

    public static async Task<int> RunAsync(IReadOnlyList<string> args, string database, IdentityOptions identity, bool development)
    {
        if (!identity.UsesDevelopmentKey || !development)
        {
            Console.Error.WriteLine("token: development tokens are accepted only by a silo in the Development environment without an OIDC authority " +
                                    "(Flowstate:Identity:Authority); get a token from your identity provider instead.");
            return 2;
        }
        TokenRequest request;
        try { request = Parse(args, identity.Audience ?? IdentityOptions.DevelopmentAudience); }
        catch (FormatException e)
        {
            Console.Error.WriteLine($"token: {e.Message}\nUsage: {Usage}");
            return 2;
        }
        await using var db = NpgsqlDataSource.Create(database);
        var key = await DevelopmentSigningKey.GetOrCreateAsync(db);
        Console.WriteLine(DevelopmentTokens.Mint(key, request));
        return 0;
    }

    public static TokenRequest Parse(IReadOnlyList<string> args, string audience = IdentityOptions.DevelopmentAudience)
    {
        var request = new TokenRequest { Audience = audience };
        static IReadOnlyList<string> List(string v) => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (i + 1 >= args.Count) throw new FormatException($"{name} needs a value.");
            var value = args[++i];
            request = name switch
            {
                "--org" => request with { Org = value },
                "--roles" => request with { Roles = List(value) },
                "--sub" => request with { Subject = value },
                "--name" => request with { Name = value },
                "--person" => request with { Person = value },
                "--teams" => request with { Teams = List(value) },
                "--ttl" => request with { Ttl = DevelopmentTokens.ParseDuration(value) },
                "--not-before" => request with { NotBefore = DevelopmentTokens.ParseDuration(value) },
                "--issuer" => request with { Issuer = value },
                "--audience" => request with { Audience = value },
                _ => throw new FormatException($"unknown option '{name}'."),
            };
        }
        if (request.Ttl > TimeSpan.FromDays(30)) throw new FormatException("--ttl is at most 30d.");
        return request;
    }
}
