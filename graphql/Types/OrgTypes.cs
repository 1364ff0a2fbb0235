using Flowstate.Attribution;
using Flowstate.GraphQL.Schema;
using Flowstate.Workforce;
using GraphQL;
using GraphQL.Types;
using Microsoft.Extensions.DependencyInjection;

namespace Flowstate.GraphQL.Types;

public sealed class OrgPlanEnum : EnumerationGraphType
{
    public OrgPlanEnum()
    {
        Name = "OrgPlan";
        Add("STANDARD", OrgPlan.Standard);
        Add("ENTERPRISE", OrgPlan.Enterprise, "Sessions' prompt and response are shown to admins and to each session's own person.");
    }
}

public sealed record OrgView(string Id, OrgSettings Settings);

public sealed class OrgType : ObjectGraphType<OrgView>
{
    public OrgType()
    {
        Name = "Org";
        Field<NonNullGraphType<IdGraphType>>("id").Description("The org of the caller's token.").Resolve(c => c.Source.Id);
        Field<NonNullGraphType<OrgPlanEnum>>("plan").Resolve(c => c.Source.Settings.Plan);
        Field<NonNullGraphType<BooleanGraphType>>("configured").Description("False until an admin first runs configureOrg.").Resolve(c => c.Source.Settings.Configured);
        Field<DateTimeScalar>("configuredAt").Resolve(c => c.Source.Settings.ConfiguredAt);
        Field<StringGraphType>("configuredBy").Resolve(c => c.Source.Settings.ConfiguredBy);
    }
}

public sealed class ConfigureOrgInputType : InputObjectGraphType
{
    public ConfigureOrgInputType()
    {
        Name = "ConfigureOrgInput";
        Field<NonNullGraphType<OrgPlanEnum>>("plan");
    }
}

public sealed class SessionContentType : ObjectGraphType<SessionContent>
{
    public SessionContentType()
    {
        Name = "SessionContent";
        Description = "A session's prompt and response as the agent sent them.";
        Field<StringGraphType>("prompt").Resolve(c => c.Source.Prompt);
        Field<StringGraphType>("response").Resolve(c => c.Source.Response);
    }
}

public sealed class ContentAccessDenialType : ObjectGraphType<ContentDenialEntry>
{
    public ContentAccessDenialType()
    {
        Name = "ContentAccessDenial";
        Description = "A read of Session.content that was refused (and answered null).";
        Field<NonNullGraphType<StringGraphType>>("cursor").Resolve(c => c.Source.Seq.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Field<NonNullGraphType<IdGraphType>>("sessionId").Resolve(c => c.Source.SessionId);
        Field<NonNullGraphType<StringGraphType>>("actor").Resolve(c => c.Source.Actor);
        Field<NonNullGraphType<StringGraphType>>("reason").Description($"{ContentAccess.NotEnterprise} or {ContentAccess.NotAdminOrOwner}.").Resolve(c => c.Source.Reason);
        Field<NonNullGraphType<DateTimeScalar>>("at").Resolve(c => c.Source.At);
    }
}

/// <summary>org, configureOrg and contentAccessDenials (see Access), and Session.content.</summary>
public static class OrgFields
{
    public static void AddQuery(ObjectGraphType query)
    {
        query.Field<NonNullGraphType<OrgType>>("org")
            .Description("The caller's org and its plan.")
            .ResolveAsync(async c => new OrgView(c.Caller().Org, await c.Grains().GetGrain<IOrgGrain>(c.Caller().Org).GetSettingsAsync()));

        query.Field<NonNullGraphType<ListGraphType<NonNullGraphType<ContentAccessDenialType>>>>("contentAccessDenials")
            .Description("Refused reads of sessions' prompt and response, newest first; `before` is the cursor of the last entry of the previous page.")
            .Argument<IntGraphType>("first", a => a.DefaultValue = 50)
            .Argument<StringGraphType>("before")
            .ResolveAsync(async c =>
            {
                var first = Query.PageSize(c.GetArgument<int>("first"));
                var before = c.GetArgument<string?>("before") switch
                {
                    null => (long?)null,
                    var text when long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seq) => seq,
                    _ => throw FlowstateException.InvalidInput("before: not a cursor of contentAccessDenials."),
                };
                return await c.RequestServices!.GetRequiredService<ISessionContentStore>().ReadDenialsAsync(c.Caller().Org, first, before, c.CancellationToken);
            });
    }

    public static void AddMutations(ObjectGraphType mutation) =>
        mutation.Field<NonNullGraphType<OrgType>>("configureOrg")
            .Description("Sets the org's plan. ENTERPRISE shows sessions' prompt and response to admins and to each session's own person.")
            .Argument<NonNullGraphType<ConfigureOrgInputType>>("input")
            .ResolveAsync(async c =>
            {
                var input = new Args(c.GetArgument<Dictionary<string, object?>>("input"));
                var plan = input.Enum("plan", OrgPlan.Standard);
                input.ThrowIfInvalid();
                var caller = c.Caller();
                return new OrgView(caller.Org, await c.Grains().GetGrain<IOrgGrain>(caller.Org).ConfigureAsync(plan, caller.Actor));
            });

    /// <summary>Session.content: null (and the refusal recorded) unless <see cref="ContentAccess"/> allows it.</summary>
    public static void AddContent(ObjectGraphType<SessionView> session) =>
        session.Field<SessionContentType>("content")
            .Description("Prompt and response: only on the ENTERPRISE plan, to an admin or the session's own person. " +
                         "Otherwise null, and the refused read is recorded (contentAccessDenials). Null too when the session has none.")
            .ResolveAsync(async c =>
            {
                var request = ContentRequest.Of(c);
                var caller = c.Caller();
                var settings = await request.SettingsAsync();
                if (ContentAccess.Denial(settings.Plan, caller, c.Source.Person?.Id) is { } reason)
                {
                    await request.Store.RecordDenialAsync(new ContentDenial(caller.Org, c.Source.Id, caller.Actor, reason));
                    return null;
                }
                return request.Load(c.Source.Id);
            });
}
