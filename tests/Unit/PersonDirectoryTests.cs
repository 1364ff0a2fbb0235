using Flowstate.Domain;
using Flowstate.Workforce;

namespace Flowstate.Tests.Unit;

/// <summary>The directory resolves a subject by id, email or alias, case-insensitively; an alias never takes another person's id or email.</summary>
public sealed class PersonDirectoryTests
{
    private static WorkforceModel Model(params Person[] people) => new(new WorkforceSnapshot(1, new Dictionary<string, CostCentre>(), new Dictionary<string, Team>(),
        people.ToDictionary(p => p.Id), new Dictionary<string, Project>(), new Dictionary<string, ValueStream>(), new Dictionary<string, string>()));

    [Fact]
    public void AliasesResolveLikeEmails_AndNeverOverrideAnIdOrEmail()
    {
        var directory = Model(
            new Person("alice", "alice@acme.example", "Alice", PersonKind.Employee, []),
            // Stored before aliases were checked: bob's alias names Alice's email and id.
            new Person("bob", "bob@acme.example", "Bob", PersonKind.Employee, [], ["Bob-GH", "alice@acme.example", "ALICE", "otel-42"])).Directory;

        Assert.Equal("bob", directory.Resolve("bob-gh"));
        Assert.Equal("bob", directory.Resolve("  BOB-GH "));
        Assert.Equal("bob", directory.Resolve("OTEL-42"));
        Assert.Equal("alice", directory.Resolve("Alice@Acme.Example"));
        Assert.Equal("alice", directory.Resolve("alice"));
        Assert.Null(directory.Resolve("carol-gh"));
        Assert.Null(directory.Resolve(null));
    }

    [Fact]
    public void StoredAliases_AreTrimmedAndKeptOnce_NoneIsNull()
    {
        Assert.Equal(["Carol-GH", "x"], WorkforceRules.StoredAliases([" Carol-GH ", "carol-gh", "x", "X "]));
        Assert.Null(WorkforceRules.StoredAliases([]));
        Assert.Null(WorkforceRules.StoredAliases(null));
    }
}
