using System.Security.Claims;
using Flowstate.GraphQL.Types;
using Flowstate.Silo.Identity;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Flowstate.Tests.Unit;

public sealed class IdentityTests
{
    [Fact]
    public void TokenVerb_Defaults_AreAnAdminOfTheDemoOrg()
    {
        var request = TokenVerb.Parse([]);
        Assert.Equal("demo", request.Org);
        Assert.Equal(["admin"], request.Roles);
        Assert.Equal("dev-admin", request.EffectiveSubject);
        Assert.Equal(TimeSpan.FromHours(12), request.Ttl);
    }

    [Fact]
    public void TokenVerb_TakesEveryClaim()
    {
        var request = TokenVerb.Parse(["--org", "acme", "--roles", "manager, engineer", "--person", "p0043", "--teams", "t1,t2", "--ttl", "30m"]);
        Assert.Equal(("acme", "p0043", "p0043"), (request.Org, request.Person, request.EffectiveSubject));
        Assert.Equal(["manager", "engineer"], request.Roles);
        Assert.Equal(["t1", "t2"], request.Teams);
        Assert.Equal(TimeSpan.FromMinutes(30), request.Ttl);
    }

    [Theory]
    [InlineData("--ttl", "forever")]
    [InlineData("--ttl", "31d")]
    [InlineData("--colour", "red")]
    [InlineData("--org", null)]
    public void TokenVerb_RefusesWhatItDoesNotUnderstand(string flag, string? value) =>
        Assert.Throws<FormatException>(() => TokenVerb.Parse(value is null ? [flag] : [flag, value]));

    [Theory]
    [InlineData("90s", 90)]
    [InlineData("2m", 120)]
    [InlineData("1.5h", 5400)]
    [InlineData("1d", 86400)]
    [InlineData("-1m", -60)]
    public void Durations_Parse(string text, int seconds) => Assert.Equal(TimeSpan.FromSeconds(seconds), DevelopmentTokens.ParseDuration(text));

    [Fact]
    public async Task AMintedToken_CarriesTheClaims_TheCallerIsBuiltFrom()
    {
        var key = new SymmetricSecurityKey(new byte[32]) { KeyId = "dev" };
        var token = DevelopmentTokens.Mint(key, new TokenRequest { Org = "acme", Roles = ["manager"], Person = "p1", Teams = ["t1", "t2"], Name = "Pat" });
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = IdentityOptions.DevelopmentIssuer, ValidAudience = IdentityOptions.DevelopmentAudience, IssuerSigningKey = key,
            NameClaimType = "sub", RoleClaimType = "roles",
        });
        Assert.True(result.IsValid, result.Exception?.Message);
        var caller = FlowstateUserContext.FromClaims(new ClaimsPrincipal(result.ClaimsIdentity))!;
        Assert.Equal(("acme", "p1", "Pat", "p1"), (caller.Org, caller.Actor, caller.Name, caller.Person));
        Assert.Equal(["manager"], caller.Roles);
        Assert.Equal(["t1", "t2"], caller.Teams);
    }

    [Theory]
    [InlineData(null, "alice")]
    [InlineData("", "alice")]
    [InlineData("a/b", "alice")]
    [InlineData("acme", null)]
    public void ACaller_NeedsAValidOrgAndASubject(string? org, string? sub)
    {
        var claims = new List<Claim>();
        if (org is not null) claims.Add(new Claim("org", org));
        if (sub is not null) claims.Add(new Claim("sub", sub));
        Assert.Null(FlowstateUserContext.FromClaims(new ClaimsPrincipal(new ClaimsIdentity(claims, "Bearer"))));
    }

    [Fact]
    public void AnUnauthenticatedPrincipal_IsNoCaller() =>
        Assert.Null(FlowstateUserContext.FromClaims(new ClaimsPrincipal(new ClaimsIdentity([new Claim("org", "acme"), new Claim("sub", "a")]))));

    [Fact]
    public void OutsideDevelopment_AnAuthorityIsRequired_AndTheMessageNamesIt()
    {
        var problem = Assert.Single(new IdentityOptions().Problems(development: false));
        Assert.Contains("Flowstate:Identity:Authority", problem);
        Assert.Empty(new IdentityOptions().Problems(development: true));
        var audience = Assert.Single(new IdentityOptions { Authority = "https://login.example/tenant" }.Problems(development: false));
        Assert.Contains("Flowstate:Identity:Audience", audience);
        Assert.Empty(new IdentityOptions { Authority = "https://login.example/tenant", Audience = "api://flowstate" }.Problems(development: false));
        Assert.Single(new IdentityOptions { Authority = "http://login.example", Audience = "a" }.Problems(development: false));
    }
}
