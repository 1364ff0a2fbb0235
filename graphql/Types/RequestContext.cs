using GraphQL;
using Orleans;

namespace Flowstate.GraphQL.Types;

/// <summary>
/// Who is asking and for which org. Until authentication exists every request acts in the
/// configured default org, as an anonymous actor; every audit entry records this actor.
/// </summary>
public sealed class FlowstateUserContext : Dictionary<string, object?>
{
    public string Org { get; init; } = "demo";
    public string Actor { get; init; } = "anonymous";
}

public static class ResolveContextExtensions
{
    public static FlowstateUserContext Caller(this IResolveFieldContext context) =>
        context.UserContext as FlowstateUserContext ?? new FlowstateUserContext();

    public static IGrainFactory Grains(this IResolveFieldContext context) =>
        (IGrainFactory)context.RequestServices!.GetService(typeof(IGrainFactory))!;
}
