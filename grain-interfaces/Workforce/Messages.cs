namespace Flowstate.Workforce;

public enum PersonKind { Employee = 0, Contractor = 1 }

/// <summary>The org's plan (DESIGN §7): prompt and response of sessions are shown only on ENTERPRISE.</summary>
public enum OrgPlan { Standard = 0, Enterprise = 1 }

/// <summary>What an admin configures for the org as a whole (configureOrg). <see cref="Configured"/> is false until the first time.</summary>
[GenerateSerializer, Immutable, Alias("Flowstate.OrgSettings")]
public sealed record OrgSettings(
    [property: Id(0)] OrgPlan Plan,
    [property: Id(1)] bool Configured = false,
    [property: Id(2)] DateTimeOffset? ConfiguredAt = null,
    [property: Id(3)] string? ConfiguredBy = null);

[GenerateSerializer, Immutable, Alias("Flowstate.CostCentre")]
public sealed record CostCentre([property: Id(0)] string Id, [property: Id(1)] string Name);

[GenerateSerializer, Immutable, Alias("Flowstate.Team")]
public sealed record Team(
    [property: Id(0)] string Id,
    [property: Id(1)] string Name,
    [property: Id(2)] string? ParentId,
    [property: Id(3)] string? CostCentreId,
    [property: Id(4)] string? ValueStreamId);

[GenerateSerializer, Immutable, Alias("Flowstate.ValueStream")]
public sealed record ValueStream([property: Id(0)] string Id, [property: Id(1)] string Name);

/// <summary>A share of a person's time in a team, from a date on.</summary>
[GenerateSerializer, Immutable, Alias("Flowstate.Allocation")]
public sealed record Allocation(
    [property: Id(0)] string TeamId,
    [property: Id(1)] decimal Fte,
    [property: Id(2)] DateOnly EffectiveFrom);

[GenerateSerializer, Immutable, Alias("Flowstate.Person")]
public sealed record Person(
    [property: Id(0)] string Id,
    [property: Id(1)] string? Email,
    [property: Id(2)] string Name,
    [property: Id(3)] PersonKind Kind,
    [property: Id(4)] IReadOnlyList<Allocation> Allocations,
    [property: Id(5)] IReadOnlyList<string>? Aliases = null)
{
    /// <summary>The person as the index shows them, without allocations.</summary>
    public PersonRef Ref => new(Id, Email, Name, Kind, Aliases);
}

/// <summary>
/// A person as the org's index knows them (no allocations). <see cref="Aliases"/> are other names
/// the person goes by in billing rows and telemetry (a GitHub login, a telemetry user id),
/// matched like emails, case-insensitively.
/// </summary>
[GenerateSerializer, Immutable, Alias("Flowstate.PersonRef")]
public sealed record PersonRef(
    [property: Id(0)] string Id,
    [property: Id(1)] string? Email,
    [property: Id(2)] string Name,
    [property: Id(3)] PersonKind Kind,
    [property: Id(4)] IReadOnlyList<string>? Aliases = null);

[GenerateSerializer, Immutable, Alias("Flowstate.Project")]
public sealed record Project(
    [property: Id(0)] string Id,
    [property: Id(1)] string Name,
    [property: Id(2)] IReadOnlyList<string> Repos);

/// <summary>A merge into the workforce model: listed items are created or replaced, others kept.</summary>
[GenerateSerializer, Immutable, Alias("Flowstate.WorkforceUpsert")]
public sealed record WorkforceUpsert(
    [property: Id(0)] IReadOnlyList<CostCentre> CostCentres,
    [property: Id(1)] IReadOnlyList<Team> Teams,
    [property: Id(2)] IReadOnlyList<Person> People,
    [property: Id(3)] IReadOnlyList<Project> Projects,
    [property: Id(4)] IReadOnlyList<ValueStream> ValueStreams);

/// <summary>How many of each kind the org now has.</summary>
[GenerateSerializer, Immutable, Alias("Flowstate.WorkforceCounts")]
public sealed record WorkforceCounts(
    [property: Id(0)] int CostCentres,
    [property: Id(1)] int Teams,
    [property: Id(2)] int People,
    [property: Id(3)] int Projects,
    [property: Id(4)] int ValueStreams);

/// <summary>Who a subject string (person id, email or alias, any case) refers to.</summary>
[GenerateSerializer, Immutable, Alias("Flowstate.PersonDirectory")]
public sealed record PersonDirectory(
    [property: Id(0)] IReadOnlyDictionary<string, string> PersonIdBySubject,
    [property: Id(1)] long Version)
{
    public string? Resolve(string? subject) =>
        subject is null ? null : PersonIdBySubject.GetValueOrDefault(subject.Trim().ToLowerInvariant());
}

/// <summary>
/// The whole workforce model of an org at one version, as readers need it (attribution views,
/// rollup plans, project inference). Immutable, so a silo shares one copy among its callers.
/// </summary>
[GenerateSerializer, Immutable, Alias("Flowstate.WorkforceSnapshot")]
public sealed record WorkforceSnapshot(
    [property: Id(0)] long Version,
    [property: Id(1)] IReadOnlyDictionary<string, CostCentre> CostCentres,
    [property: Id(2)] IReadOnlyDictionary<string, Team> Teams,
    [property: Id(3)] IReadOnlyDictionary<string, Person> People,
    [property: Id(4)] IReadOnlyDictionary<string, Project> Projects,
    [property: Id(5)] IReadOnlyDictionary<string, ValueStream> ValueStreams,
    [property: Id(6)] IReadOnlyDictionary<string, string> LearnedProjects);
