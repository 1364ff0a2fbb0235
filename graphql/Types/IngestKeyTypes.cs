using Flowstate.Identity;
using GraphQL;
using GraphQL.Types;
using Microsoft.Extensions.DependencyInjection;

namespace Flowstate.GraphQL.Types;

public sealed class IngestKeyType : ObjectGraphType<IngestKeyInfo>
{
    public IngestKeyType()
    {
        Name = "IngestKey";
        Description = "An ingest key (its secret is shown once, at creation, and never again).";
        Field<NonNullGraphType<IdGraphType>>("id").Resolve(c => c.Source.Id);
        Field<NonNullGraphType<StringGraphType>>("name").Resolve(c => c.Source.Name);
        Field<NonNullGraphType<StringGraphType>>("prefix").Description("The first characters of the secret, to recognise it by.").Resolve(c => c.Source.Prefix);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("roles").Resolve(c => c.Source.Roles);
        Field<NonNullGraphType<StringGraphType>>("actor").Description("The `sub` its requests act as, and audit entries record: key:<id>.").Resolve(c => c.Source.Actor);
        Field<StringGraphType>("subject").Description("Whom its telemetry belongs to when the records name nobody.").Resolve(c => c.Source.Subject);
        Field<NonNullGraphType<StringGraphType>>("createdBy").Resolve(c => c.Source.CreatedBy);
        Field<StringGraphType>("revokedBy").Resolve(c => c.Source.RevokedBy);
        Field<NonNullGraphType<DateTimeScalar>>("createdAt").Resolve(c => c.Source.CreatedAt);
        Field<DateTimeScalar>("lastUsedAt").Description("Last authenticated request, to the minute; null when never used.").Resolve(c => c.Source.LastUsedAt);
        Field<DateTimeScalar>("revokedAt").Description("Null while the key works.").Resolve(c => c.Source.RevokedAt);
    }
}

public sealed record CreatedIngestKey(IngestKeyInfo Key, string Secret);

public sealed class CreatedIngestKeyType : ObjectGraphType<CreatedIngestKey>
{
    public CreatedIngestKeyType()
    {
        Name = "CreatedIngestKey";
        Field<NonNullGraphType<IngestKeyType>>("key").Resolve(c => c.Source.Key);
        Field<NonNullGraphType<StringGraphType>>("secret")
            .Description("The secret (fsk_…), for `Authorization: Bearer <secret>`. Shown only in this answer: Flowstate keeps only its hash.")
            .Resolve(c => c.Source.Secret);
    }
}

public sealed class CreateIngestKeyInputType : InputObjectGraphType
{
    public CreateIngestKeyInputType()
    {
        Name = "CreateIngestKeyInput";
        Field<NonNullGraphType<StringGraphType>>("name").Description($"What the key is for (1 to {IngestKeySecrets.MaxNameLength} characters).");
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("roles").Description("ingest and/or integrator.");
        Field<StringGraphType>("subject").Description("Optional: a person id or email that the key's telemetry belongs to when its records name nobody (an agent on one person's machine).");
    }
}

/// <summary>createIngestKey, revokeIngestKey and ingestKeys (admin only, see Access): thin calls on <see cref="IIngestKeyStore"/>.</summary>
public static class IngestKeyFields
{
    public static void AddQuery(ObjectGraphType query) =>
        query.Field<NonNullGraphType<ListGraphType<NonNullGraphType<IngestKeyType>>>>("ingestKeys")
            .Description("The org's ingest keys, newest first, revoked ones included; never their secrets.")
            .ResolveAsync(async c => await Store(c).ListAsync(c.Caller().Org, c.CancellationToken));

    public static void AddMutations(ObjectGraphType mutation)
    {
        mutation.Field<NonNullGraphType<CreatedIngestKeyType>>("createIngestKey")
            .Description("Creates an ingest key with roles ingest and/or integrator. Its secret is in the answer, once.")
            .Argument<NonNullGraphType<CreateIngestKeyInputType>>("input")
            .ResolveAsync(async c =>
            {
                var input = new Args(c.GetArgument<Dictionary<string, object?>>("input"));
                var name = input.String("name", IngestKeySecrets.MaxNameLength)?.Trim();
                var roles = input.Strings("roles").ToList();
                var subject = input.String("subject", GrainKeys.MaxIdLength)?.Trim();
                input.ThrowIfInvalid();
                if (string.IsNullOrEmpty(name)) throw FlowstateException.InvalidInput("name is required.");
                if (roles.Count == 0) throw FlowstateException.InvalidInput("roles: give at least one of ingest, integrator.");
                if (roles.FirstOrDefault(r => !IngestKeySecrets.AllowedRoles.Contains(r)) is { } bad)
                    throw FlowstateException.InvalidInput($"roles: '{bad}' cannot be given to a key; only ingest and integrator can.");
                var caller = c.Caller();
                var (secret, id) = IngestKeySecrets.Generate();
                var key = await Store(c).CreateAsync(new NewIngestKey(caller.Org, id, name, IngestKeySecrets.Shown(secret), IngestKeySecrets.Hash(secret),
                    roles.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList(), caller.Actor, subject is { Length: > 0 } ? subject : null),
                    c.CancellationToken);
                return new CreatedIngestKey(key, secret);
            });

        mutation.Field<NonNullGraphType<IngestKeyType>>("revokeIngestKey")
            .Description("Revokes a key: from this moment every silo refuses it (401). Revoking a revoked key changes nothing.")
            .Argument<NonNullGraphType<IdGraphType>>("id")
            .ResolveAsync(async c =>
            {
                var id = c.GetArgument<string>("id");
                if (InputLimits.TextProblem(id, 64) is not null) throw FlowstateException.NotFound("No ingest key with that id.");
                return await Store(c).RevokeAsync(c.Caller().Org, id, c.Caller().Actor, c.CancellationToken)
                       ?? throw FlowstateException.NotFound($"No ingest key with id '{id}'.");
            });
    }

    private static IIngestKeyStore Store(IResolveFieldContext c) => c.RequestServices!.GetRequiredService<IIngestKeyStore>();
}
