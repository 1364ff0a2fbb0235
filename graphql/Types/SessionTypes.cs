using Flowstate.Attribution;
using Flowstate.GraphQL.Schema;
using Flowstate.Ingestion;
using GraphQL;
using GraphQL.Types;

namespace Flowstate.GraphQL.Types;

public sealed class SessionSortFieldEnum : EnumerationGraphType
{
    public SessionSortFieldEnum()
    {
        Name = "SessionSortField";
        Add("COST", SessionSortField.Cost, "Observed cost (costUsd).");
        Add("STARTED_AT", SessionSortField.StartedAt);
        Add("TOKENS", SessionSortField.Tokens, "totalTokens: input, output and cached input.");
        Add("MODEL", SessionSortField.Model, "Model name in byte order.");
    }
}

public sealed class SortDirectionEnum : EnumerationGraphType
{
    public SortDirectionEnum()
    {
        Name = "SortDirection";
        Add("ASC", SortDirection.Asc);
        Add("DESC", SortDirection.Desc);
    }
}

public sealed class ProjectSourceEnum : EnumerationGraphType
{
    public ProjectSourceEnum()
    {
        Name = "ProjectSource";
        Add("AGENT", ProjectSource.Agent, "Sent by the agent with the session.");
        Add("INFERRED", ProjectSource.Inferred, "Inferred from the working context (a learned context, or a project's repository).");
        Add("MARKED", ProjectSource.Marked, "Marked by a person (markSessionProject).");
    }
}

public sealed class SessionOrderInputType : InputObjectGraphType
{
    public SessionOrderInputType()
    {
        Name = "SessionOrder";
        Description = "Sort of the sessions table; ties are broken by session id in the same direction.";
        Field<NonNullGraphType<SessionSortFieldEnum>>("field");
        Field<NonNullGraphType<SortDirectionEnum>>("direction");
    }
}

public sealed class SessionFilterInputType : InputObjectGraphType
{
    public SessionFilterInputType()
    {
        Name = "SessionFilter";
        Description = "Filters that narrow the scope; every one given must hold.";
        Field<IdGraphType>("providerId");
        Field<StringGraphType>("model");
        Field<IdGraphType>("projectId");
        Field<IdGraphType>("personId");
        Field<BooleanGraphType>("unmatchedOnly").Description("Only sessions with no project.");
    }
}

public sealed class ProjectRefType : ObjectGraphType<SessionProject>
{
    public ProjectRefType()
    {
        Name = "Project";
        Field<NonNullGraphType<IdGraphType>>("id").Resolve(c => c.Source.Id);
        Field<NonNullGraphType<StringGraphType>>("name").Resolve(c => c.Source.Name);
    }
}

public sealed class SessionContextType : ObjectGraphType<SessionContext>
{
    public SessionContextType()
    {
        Name = "SessionContext";
        Description = "The working context the agent reported; the project classifier learns from it.";
        Field<StringGraphType>("repo").Resolve(c => c.Source.Repo);
        Field<StringGraphType>("path").Resolve(c => c.Source.Path);
        Field<StringGraphType>("app").Resolve(c => c.Source.App);
    }
}

public sealed class SessionType : ObjectGraphType<SessionView>
{
    public SessionType()
    {
        Name = "Session";
        Field<NonNullGraphType<IdGraphType>>("id").Resolve(c => c.Source.Id);
        Field<PersonType>("person").Description("Null when the subject is not a person of the workforce.").Resolve(c => c.Source.Person);
        Field<NonNullGraphType<StringGraphType>>("subject")
            .Description("The subject as resolved: p:<person id>, or u:<subject> when no person answers to it.").Resolve(c => c.Source.SubjectKey);
        Field<NonNullGraphType<IdGraphType>>("providerId").Resolve(c => c.Source.ProviderId);
        Field<NonNullGraphType<StringGraphType>>("model").Resolve(c => c.Source.Model);
        Field<NonNullGraphType<DateTimeScalar>>("startedAt").Resolve(c => c.Source.StartedAt);
        Field<DateTimeScalar>("endedAt").Resolve(c => c.Source.EndedAt);
        Field<NonNullGraphType<IntGraphType>>("inputTokens").Resolve(c => c.Source.InputTokens);
        Field<NonNullGraphType<IntGraphType>>("outputTokens").Resolve(c => c.Source.OutputTokens);
        Field<NonNullGraphType<IntGraphType>>("cachedInputTokens").Resolve(c => c.Source.CachedInputTokens);
        Field<NonNullGraphType<IntGraphType>>("totalTokens").Resolve(c => c.Source.TotalTokens);
        Field<IntGraphType>("turns").Resolve(c => c.Source.Turns);
        Field<NonNullGraphType<DecimalScalar>>("costUsd").Description("Observed cost: tokens at the org's rate.").Resolve(c => c.Source.CostUsd);
        Field<NonNullGraphType<DecimalScalar>>("marketCostUsd").Description("Tokens at list price (MARKET mode).").Resolve(c => c.Source.MarketCostUsd);
        Field<NonNullGraphType<DecimalScalar>>("incrementalCostUsd")
            .Description("The part of costUsd beyond the subject's plan allowance for the provider and month, consumed in start order (INCREMENTAL mode).")
            .Resolve(c => c.Source.IncrementalCostUsd
                ?? throw new InvalidOperationException("incrementalCostUsd was selected but not loaded: the resolver's selection check missed it."));
        Field<ProjectRefType>("project").Description("Null: unmatched.").Resolve(c => c.Source.Project);
        Field<ProjectSourceEnum>("projectSource").Resolve(c => c.Source.ProjectSource);
        Field<SessionContextType>("context").Resolve(c => c.Source.Context);
        Field<FloatGraphType>("frustration").Resolve(c => c.Source.Frustration);
        Field<StringGraphType>("apiKeyId").Resolve(c => c.Source.ApiKeyId);
        OrgFields.AddContent(this);
    }
}

public sealed class SessionEdgeType : ObjectGraphType<SessionEdge>
{
    public SessionEdgeType()
    {
        Name = "SessionEdge";
        Field<NonNullGraphType<StringGraphType>>("cursor").Resolve(c => c.Source.Cursor);
        Field<NonNullGraphType<SessionType>>("node").Resolve(c => c.Source.Node);
    }
}

public sealed class SessionConnectionType : ObjectGraphType<SessionPage>
{
    public SessionConnectionType()
    {
        Name = "SessionConnection";
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<SessionEdgeType>>>>("edges").Resolve(c => c.Source.Edges);
        Field<NonNullGraphType<PageInfoType>>("pageInfo").Resolve(c => new PageInfo(
            c.Source.HasNextPage, c.Source.HasPreviousPage, c.Source.Edges.FirstOrDefault()?.Cursor, c.Source.Edges.LastOrDefault()?.Cursor));
        Field<NonNullGraphType<IntGraphType>>("totalCount")
            .Description("Sessions in the scope, window and filters (counted only when selected).")
            .Resolve(c => c.Source.TotalCount ?? throw new InvalidOperationException("totalCount was selected but not counted."));
        Field<NonNullGraphType<DateWindowType>>("range").Description("The window the sessions started in.").Resolve(c => c.Source.Window);
    }
}

/// <summary>"My AI Usage" with the range it was asked for, which its sessions list reuses.</summary>
public sealed record MyUsage(MyUsageView View, DateRange Range);

public sealed class MyUsageType : ObjectGraphType<MyUsage>
{
    public MyUsageType()
    {
        Name = "MyUsage";
        Description = "One person's own usage: spend, session counts, and their sessions (those with no project are unmatched).";
        Field<NonNullGraphType<PersonType>>("person").Resolve(c => c.Source.View.Person);
        Field<NonNullGraphType<DateWindowType>>("range").Resolve(c => c.Source.View.Window);
        Field<NonNullGraphType<DecimalScalar>>("spend")
            .Argument<CostModeEnum>("costMode", a => a.DefaultValue = CostMode.Incremental)
            .Resolve(c => c.GetArgument<CostMode>("costMode") == CostMode.Market ? c.Source.View.MarketUsd : c.Source.View.IncrementalUsd);
        Field<NonNullGraphType<IntGraphType>>("sessionCount").Resolve(c => c.Source.View.Sessions);
        Field<NonNullGraphType<IntGraphType>>("unmatchedCount").Description("Sessions with no project: mark them with markSessionProject.")
            .Resolve(c => c.Source.View.UnmatchedSessions);
        Field<NonNullGraphType<SessionConnectionType>>("sessions")
            .Argument<IntGraphType>("first", a => a.DefaultValue = 50)
            .Argument<StringGraphType>("after")
            .Argument<SessionOrderInputType>("orderBy")
            .Argument<BooleanGraphType>("unmatchedOnly", a => a.DefaultValue = false)
            .ResolveAsync(async c =>
            {
                var view = c.Source.View;
                var filter = new SessionFilter(UnmatchedOnly: c.GetArgument<bool>("unmatchedOnly"));
                return await c.Grains().GetGrain<ISessionQueryGrain>(c.Caller().Org).GetPageAsync(
                    SessionArgs.Page(c, new Scope(PersonId: view.Person.Id), c.Source.Range, view.Window.End, filter));
            });
    }
}

public sealed class MarkSessionProjectInputType : InputObjectGraphType
{
    public MarkSessionProjectInputType()
    {
        Name = "MarkSessionProjectInput";
        Field<NonNullGraphType<IdGraphType>>("sessionId");
        Field<NonNullGraphType<IdGraphType>>("projectId");
    }
}

/// <summary>Reads the arguments of a sessions list into a page request.</summary>
public static class SessionArgs
{
    public static SessionFilter Filter(IResolveFieldContext c)
    {
        var f = new Args(c.GetArgument<Dictionary<string, object?>?>("filter"));
        var filter = new SessionFilter(f.String("providerId"), f.String("model"), f.String("projectId"), f.String("personId"),
            f.Struct<bool>("unmatchedOnly") ?? false);
        f.ThrowIfInvalid();
        return filter;
    }

    public static SessionPageRequest Page(IResolveFieldContext c, Scope scope, DateRange range, DateOnly? asOf, SessionFilter filter)
    {
        var order = new Args(c.GetArgument<Dictionary<string, object?>?>("orderBy"));
        return new SessionPageRequest(scope, range, asOf, filter,
            order.IsNull ? SessionOrder.Default : new SessionOrder(order.Enum("field", SessionSortField.StartedAt), order.Enum("direction", SortDirection.Desc)),
            Query.PageSize(c.GetArgument<int>("first")), c.GetArgument<string?>("after"),
            Selections.Has(c, "totalCount"), Selections.Has(c, "edges", "node", "incrementalCostUsd"));
    }
}
