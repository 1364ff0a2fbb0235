using Flowstate.GraphQL.Schema;
using Flowstate.GraphQL.Types;
using Flowstate.Identity;
using Flowstate.Workforce;

namespace Flowstate.Tests.Unit;

public sealed class IngestKeySecretTests
{
    [Fact]
    public void ASecret_IsFskAnd32RandomBytes_AndOnlyItsHashIsKept()
    {
        var secrets = Enumerable.Range(0, 200).Select(_ => IngestKeySecrets.Generate()).ToList();
        Assert.All(secrets, s =>
        {
            Assert.StartsWith("fsk_", s.Secret);
            var raw = Convert.FromBase64String(s.Secret[4..].Replace('-', '+').Replace('_', '/') + "=");
            Assert.Equal(32, raw.Length);
            Assert.True(IngestKeySecrets.IsKey(s.Secret));
            Assert.True(s.Secret.Length <= IngestKeySecrets.MaxSecretLength);
            Assert.Equal(32, IngestKeySecrets.Hash(s.Secret).Length);
            Assert.Equal(12, IngestKeySecrets.Shown(s.Secret).Length);
        });
        Assert.Equal(secrets.Count, secrets.Select(s => s.Secret).Distinct().Count());
        Assert.Equal(secrets.Count, secrets.Select(s => s.Id).Distinct().Count());
        Assert.Equal(IngestKeySecrets.Hash(secrets[0].Secret), IngestKeySecrets.Hash(secrets[0].Secret));
        Assert.NotEqual(IngestKeySecrets.Hash(secrets[0].Secret), IngestKeySecrets.Hash(secrets[1].Secret));
    }

    [Theory]
    [InlineData("eyJhbGciOiJIUzI1NiJ9.e30.sig")]
    [InlineData("FSK_upper")]
    [InlineData("")]
    [InlineData(null)]
    public void OtherCredentials_AreNotKeys(string? credential) => Assert.False(IngestKeySecrets.IsKey(credential));

    private static FlowstateUserContext Caller(string role, string? person = null) =>
        new() { Org = "o", Actor = "a", Roles = new HashSet<string> { role }, Person = person };

    [Theory]
    [InlineData(OrgPlan.Standard, "admin", null, "alice", ContentAccess.NotEnterprise)]
    [InlineData(OrgPlan.Standard, "engineer", "alice", "alice", ContentAccess.NotEnterprise)]
    [InlineData(OrgPlan.Enterprise, "admin", null, "alice", null)]
    [InlineData(OrgPlan.Enterprise, "admin", null, null, null)]
    [InlineData(OrgPlan.Enterprise, "engineer", "alice", "alice", null)]
    [InlineData(OrgPlan.Enterprise, "engineer", "bob", "alice", ContentAccess.NotAdminOrOwner)]
    [InlineData(OrgPlan.Enterprise, "engineer", null, null, ContentAccess.NotAdminOrOwner)]
    [InlineData(OrgPlan.Enterprise, "finance", null, "alice", ContentAccess.NotAdminOrOwner)]
    [InlineData(OrgPlan.Enterprise, "manager", "carol", "alice", ContentAccess.NotAdminOrOwner)]
    public void ContentAccess_FollowsDesign7(OrgPlan plan, string role, string? person, string? owner, string? denial) =>
        Assert.Equal(denial, ContentAccess.Denial(plan, Caller(role, person), owner));
}
