using Flowstate.GraphQL.Schema;
using Flowstate.GraphQL.Subscriptions;
using Flowstate.Reconciliation;
using GraphQL;
using GraphQL.Types;
using Microsoft.Extensions.DependencyInjection;

namespace Flowstate.GraphQL.Types;

public sealed class AuditLogFilterInputType : InputObjectGraphType
{
    public AuditLogFilterInputType()
    {
        Name = "AuditLogFilter";
        Description = "Filters that combine (all must hold); none is the whole log. `from` is inclusive, `to` exclusive.";
        Field<StringGraphType>("actor").Description("Who acted: a token's `sub`, or system:matcher, system:deferral-clock, ingest:<provider>.");
        Field<RowActionEnum>("action").Description("Finance actions only; changes no person made (ingest, matcher, clock) have none.");
        Field<StringGraphType>("period").Description("YYYY-MM: the period the row was in when it changed.");
        Field<IdGraphType>("providerId");
        Field<IdGraphType>("rowId");
        Field<DateTimeScalar>("from");
        Field<DateTimeScalar>("to");
    }
}

public sealed record AuditLogPage(string Org, IReadOnlyList<RowStatusChanged> Entries, bool HasNextPage, bool HasPreviousPage);

public sealed class AuditLogEdgeType : ObjectGraphType<RowChange>
{
    public AuditLogEdgeType()
    {
        Name = "AuditLogEdge";
        Field<NonNullGraphType<StringGraphType>>("cursor").Resolve(c => RowCursor.Encode(c.Source.Change.Seq));
        Field<NonNullGraphType<RowStatusChangeType>>("node").Resolve(c => c.Source);
    }
}

public sealed class AuditLogConnectionType : ObjectGraphType<AuditLogPage>
{
    public AuditLogConnectionType()
    {
        Name = "AuditLogConnection";
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<AuditLogEdgeType>>>>("edges")
            .Resolve(c => c.Source.Entries.Select(e => new RowChange(c.Source.Org, e)));
        Field<NonNullGraphType<PageInfoType>>("pageInfo").Resolve(c => new PageInfo(c.Source.HasNextPage, c.Source.HasPreviousPage,
            c.Source.Entries.Count == 0 ? null : RowCursor.Encode(c.Source.Entries[0].Seq),
            c.Source.Entries.Count == 0 ? null : RowCursor.Encode(c.Source.Entries[^1].Seq)));
    }
}

/// <summary>The org-wide audit log: every status change of every row, as logged (immutable), filtered and keyset-paginated.</summary>
public static class AuditLogField
{
    public static void Add(ObjectGraphType query) =>
        query.Field<NonNullGraphType<AuditLogConnectionType>>("auditLog")
            .Description("Every action and status change on the org's billing rows, with its note, oldest first (or newest first). Entries never change; a cursor here also resumes rowStatusChanged.")
            .Argument<AuditLogFilterInputType>("filter")
            .Argument<IntGraphType>("first", a => a.DefaultValue = 50)
            .Argument<StringGraphType>("after")
            .Argument<BooleanGraphType>("newestFirst", a => a.DefaultValue = false)
            .ResolveAsync(async c =>
            {
                var f = new Args(c.GetArgument<Dictionary<string, object?>?>("filter"));
                var filter = new AuditFilter(f.String("actor"), f.Has("action") ? f.Enum("action", RowAction.Confirm) : null,
                    f.String("period") is { } p ? Period.Parse(p) : null, f.String("providerId"), f.String("rowId"),
                    f.Struct<DateTimeOffset>("from"), f.Struct<DateTimeOffset>("to"));
                f.ThrowIfInvalid();
                var first = Query.PageSize(c.GetArgument<int>("first"));
                var after = c.GetArgument<string?>("after") is { } a ? RowCursor.Decode(a) : (long?)null;
                var org = c.Caller().Org;
                var entries = await c.RequestServices!.GetRequiredService<IRowEventLog>()
                    .ReadPageAsync(org, new AuditQuery(filter, first, after, c.GetArgument<bool>("newestFirst")), c.CancellationToken);
                return new AuditLogPage(org, entries.Take(first).ToList(), entries.Count > first, after is not null);
            });
}
