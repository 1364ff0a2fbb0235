namespace Flowstate.GraphQL.Schema;

/// <summary>The roles of DESIGN §7. A token's <c>roles</c> claim holds some of these.</summary>
public static class Roles
{
    public const string Admin = "admin";
    public const string Finance = "finance";
    public const string Manager = "manager";
    public const string Engineer = "engineer";
    public const string Integrator = "integrator";
    public const string Ops = "ops";
    public const string Ingest = "ingest";

    public static readonly IReadOnlyList<string> All = [Admin, Finance, Manager, Engineer, Integrator, Ops, Ingest];
}

/// <summary>
/// Who may call each root field: the one place roles are decided (enforced by
/// <see cref="AccessValidationRule"/> before anything runs). A root field missing here is refused
/// to everyone, and the role-matrix test fails until it has its line. Finer limits inside a field
/// (a manager's teams, an engineer's own person) are the field's own, on top of this.
/// </summary>
public static class Access
{
    private static readonly string[] Readers = [Roles.Admin, Roles.Finance, Roles.Manager, Roles.Engineer, Roles.Integrator];
    private static readonly string[] People = [Roles.Admin, Roles.Finance, Roles.Manager, Roles.Engineer];
    private static readonly string[] Reconcilers = [Roles.Admin, Roles.Finance, Roles.Integrator];

    /// <summary>"Type.field" → the roles that may call it.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Rules = new Dictionary<string, string[]>
    {
        ["Query.reconciliation"] = Reconcilers,
        ["Query.billingRow"] = Reconcilers,
        ["Query.attribution"] = [Roles.Admin, Roles.Finance, Roles.Manager],
        ["Query.sessions"] = [Roles.Admin, Roles.Finance, Roles.Manager],
        ["Query.session"] = People,
        ["Query.myUsage"] = People,
        ["Query.projects"] = People,
        ["Query.providers"] = Readers,
        ["Query.monitoringGaps"] = [Roles.Admin, Roles.Finance, Roles.Integrator],
        ["Query.auditLog"] = [Roles.Admin, Roles.Finance],
        ["Query.exportLink"] = [Roles.Admin, Roles.Finance],
        ["Query.ingestKeys"] = [Roles.Admin],
        ["Query.org"] = [Roles.Admin, Roles.Finance],
        ["Query.contentAccessDenials"] = [Roles.Admin],

        ["Mutation.applyRowAction"] = [Roles.Admin, Roles.Finance],
        ["Mutation.ingestBillingRows"] = [Roles.Admin, Roles.Ingest],
        ["Mutation.ingestSessions"] = [Roles.Admin, Roles.Ingest],
        ["Mutation.configureProvider"] = [Roles.Admin],
        ["Mutation.pullProvider"] = [Roles.Admin, Roles.Integrator],
        ["Mutation.importFocus"] = [Roles.Admin, Roles.Integrator, Roles.Ingest],
        ["Mutation.upsertWorkforce"] = [Roles.Admin],
        ["Mutation.markSessionProject"] = People,
        ["Mutation.createIngestKey"] = [Roles.Admin],
        ["Mutation.revokeIngestKey"] = [Roles.Admin],
        ["Mutation.configureOrg"] = [Roles.Admin],

        ["Subscription.rowStatusChanged"] = Reconcilers,
        ["Subscription.periodSummaryChanged"] = Reconcilers,
    };

    /// <summary>Whether a caller with <paramref name="roles"/> may call <c>type.field</c>.</summary>
    public static bool Allows(string type, string field, IReadOnlySet<string> roles) =>
        Rules.TryGetValue($"{type}.{field}", out var allowed) && allowed.Any(roles.Contains);
}
