using System.Text.Json;
using Flowstate.Identity;
using Flowstate.Tests.Infrastructure;

namespace Flowstate.Tests.Cluster;

/// <summary>createIngestKey, ingestKeys and revokeIngestKey through the schema, against PostgreSQL.</summary>
[Collection(ClusterCollection.Name)]
public sealed class IngestKeyAdminTests(FlowstateCluster cluster)
{
    private const string Create = "mutation($name: String!) { createIngestKey(input: { name: $name, roles: [\"ingest\", \"integrator\", \"ingest\"] }) { secret key { id roles createdBy } } }";

    [Fact]
    public async Task AnOrgHoldsAtMost100ActiveKeys_AndOnlyTheHashOfEachSecretIsStored()
    {
        var org = await TestOrg.CreateAsync(cluster);
        var secrets = new List<string>();
        for (var i = 0; i < IngestKeySecrets.MaxActivePerOrg; i++)
        {
            var created = (await org.DataAsync(Create, new { name = $"agent {i}" })).GetProperty("createIngestKey");
            secrets.Add(created.GetProperty("secret").GetString()!);
            if (i == 0)
            {
                Assert.Equal(["ingest", "integrator"], created.GetProperty("key").GetProperty("roles").EnumerateArray().Select(r => r.GetString()!));
                Assert.Equal("tester@" + org.Id, created.GetProperty("key").GetProperty("createdBy").GetString());
            }
        }
        Assert.Equal("INVALID_INPUT", await org.ErrorCodeAsync(Create, new { name = "one too many" }));

        // Nothing in the table can be turned back into a secret: no column holds one, or any part past the shown prefix.
        var stored = await cluster.Database.ScalarAsync<string>(
            "select string_agg(concat_ws(',', id, name, prefix, encode(secret_sha256, 'base64'), array_to_string(roles, ',')), ';') from ingest_keys where org = $1", org.Id);
        Assert.All(secrets, s => Assert.DoesNotContain(s[IngestKeySecrets.ShownPrefixLength..], stored));

        var first = (await org.DataAsync("{ ingestKeys { id name } }")).GetProperty("ingestKeys").EnumerateArray().Last();
        Assert.Equal("agent 0", first.GetProperty("name").GetString());
        await org.DataAsync("mutation($id: ID!) { revokeIngestKey(id: $id) { revokedAt } }", new { id = first.GetProperty("id").GetString() });
        Assert.Equal(JsonValueKind.String, (await org.DataAsync(Create, new { name = "replacement" })).GetProperty("createIngestKey").GetProperty("secret").ValueKind);
        Assert.Equal("NOT_FOUND", await org.ErrorCodeAsync("""mutation { revokeIngestKey(id: "no-such-key") { id } }"""));
    }
}
