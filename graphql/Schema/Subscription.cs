using System.Runtime.CompilerServices;
using Flowstate.GraphQL.Subscriptions;
using Flowstate.GraphQL.Transport;
using Flowstate.GraphQL.Types;
using Flowstate.Reconciliation;
using GraphQL;
using GraphQL.Transport;
using GraphQL.Types;
using GraphQLParser;
using GraphQLParser.AST;
using GraphQLParser.Exceptions;
using Microsoft.Extensions.DependencyInjection;

namespace Flowstate.GraphQL.Schema;

/// <summary>Subscriptions (over WebSocket only): each builds one feed over the host's event hub.</summary>
public sealed class Subscription : ObjectGraphType
{
    public Subscription()
    {
        Name = "Subscription";

        Field<NonNullGraphType<RowStatusChangeType>>("rowStatusChanged")
            .Description("Every status change of the org's billing rows (new rows included), in order, each once. With `after`, first " +
                         "replays the changes that followed that cursor, then goes live. `period` and `provider` filter what is sent; " +
                         "cursors count over the whole org, so any event's cursor resumes any filter.")
            .Argument<StringGraphType>("period", "YYYY-MM: only changes made while the row was in this period")
            .Argument<IdGraphType>("provider")
            .Argument<StringGraphType>("after", "the cursor of an event received earlier")
            .ResolveStream(c =>
            {
                var period = c.GetArgument<string?>("period") is { } p ? Period.Parse(p) : (Period?)null;
                var after = c.GetArgument<string?>("after") is { } a ? RowCursor.Decode(a) : (long?)null;
                var services = c.RequestServices!;
                return new RowStatusFeed(services.GetRequiredService<EventHub>(), services.GetRequiredService<IRowEventLog>(),
                    services.GetRequiredService<SubscriptionOptions>(), services.GetRequiredService<FlowstateMetrics>(),
                    c.Caller().Org, after, period, c.GetArgument<string?>("provider"));
            });

        Field<NonNullGraphType<PeriodSummaryType>>("periodSummaryChanged")
            .Description("The period's summary now, then again after every change to it.")
            .Argument<NonNullGraphType<StringGraphType>>("period", "YYYY-MM")
            .ResolveStream(c =>
            {
                var period = Period.Parse(c.GetArgument<string>("period"));
                var services = c.RequestServices!;
                return new PeriodSummaryFeed(services.GetRequiredService<EventHub>(), c.Grains(),
                    services.GetRequiredService<FlowstateMetrics>(), c.Caller().Org, period);
            });
    }
}

/// <summary>Which subscriptions identical requests may share (see <see cref="SharedSubscriptions"/>).</summary>
public static class SubscriptionSharing
{
    /// <summary>
    /// rowStatusChanged without a cursor (it starts at the present, so a late member loses nothing it
    /// asked for) and periodSummaryChanged (a late member first gets the latest summary) are shared by
    /// callers sending the same document and variables; a replay from a cursor never is.
    /// </summary>
    public static SubscriptionShare? Of(GraphQLRequest request, string caller, IGraphQLTextSerializer serializer)
    {
        GraphQLDocument document;
        try { document = Parser.Parse(request.Query); }
        catch (GraphQLParserException) { return null; }
        var operations = document.Definitions.OfType<GraphQLOperationDefinition>().ToList();
        var operation = request.OperationName is null
            ? (operations.Count == 1 ? operations[0] : null)
            : operations.FirstOrDefault(o => o.Name?.StringValue == request.OperationName);
        if (operation is not { Operation: OperationType.Subscription } || operation.SelectionSet.Selections is not [GraphQLField field])
            return null;
        var replaysFromCursor = field.Arguments?.Any(a => a.Name.StringValue == "after" && a.Value switch
        {
            GraphQLNullValue => false,
            GraphQLVariable v => request.Variables?.TryGetValue(v.Name.StringValue, out var value) == true && value is not null,
            _ => true,
        }) == true;
        var replayLast = field.Name.StringValue switch
        {
            "rowStatusChanged" when !replaysFromCursor => false,
            "periodSummaryChanged" => true,
            _ => (bool?)null,
        };
        if (replayLast is null) return null;
        var key = string.Join('\n', caller, request.OperationName, request.Query, request.Variables is null ? "" : serializer.Serialize(request.Variables));
        return new SubscriptionShare(key, replayLast.Value);
    }
}

/// <summary>
/// A row status change. <c>fromStatus</c>, <c>toStatus</c>, <c>action</c>, <c>at</c> and <c>actor</c>
/// are the change as logged; <c>row</c> is the row as it is when the event is delivered (so a
/// replayed event shows the row's current status, which may have moved on since).
/// </summary>
public sealed class RowStatusChangeType : ObjectGraphType<RowChange>
{
    // All subscribers on a silo receive the same live event instance: the row is loaded once per event, not once per subscriber.
    private static readonly ConditionalWeakTable<RowStatusChanged, Task<BillingRowView?>> s_rows = new();

    public RowStatusChangeType()
    {
        Name = "RowStatusChange";
        Field<NonNullGraphType<StringGraphType>>("cursor").Description("Pass as `after` to resume after this event.")
            .Resolve(c => RowCursor.Encode(c.Source.Change.Seq));
        Field<NonNullGraphType<BillingRowType>>("row").ResolveAsync(async c =>
        {
            var (org, change) = (c.Source.Org, c.Source.Change);
            var grains = c.Grains();
            return await s_rows.GetValue(change, ch => grains.GetGrain<IBillingRowGrain>(GrainKeys.Row(org, ch.RowId)).GetAsync());
        });
        Field<RowStatusEnum>("fromStatus").Resolve(c => c.Source.Change.From);
        Field<NonNullGraphType<RowStatusEnum>>("toStatus").Resolve(c => c.Source.Change.To);
        Field<RowActionEnum>("action").Resolve(c => c.Source.Change.Action);
        Field<NonNullGraphType<DateTimeScalar>>("at").Resolve(c => c.Source.Change.At);
        Field<NonNullGraphType<StringGraphType>>("actor").Resolve(c => c.Source.Change.Actor);
        Field<StringGraphType>("note").Resolve(c => c.Source.Change.Note);
        Field<NonNullGraphType<StringGraphType>>("period").Description("The period the row was in when it changed.")
            .Resolve(c => c.Source.Change.Period.ToString());
        Field<NonNullGraphType<IntGraphType>>("version").Description("The row's version after the change.")
            .Resolve(c => c.Source.Change.Version);
    }
}
