using Flowstate.GraphQL.Types;
using GraphQL.Types;
using GraphQL.Validation;
using GraphQLParser.AST;

namespace Flowstate.GraphQL.Schema;

/// <summary>
/// Enforces <see cref="Access"/> on every root field of the document (fragments included) before
/// execution: a field the caller's roles do not allow fails the whole request with FORBIDDEN, so
/// a refused call runs nothing and changes nothing. Introspection (<c>__schema</c>, <c>__type</c>,
/// <c>__typename</c>) is open to every signed-in caller.
/// </summary>
public sealed class AccessValidationRule : ValidationRuleBase
{
    private static readonly INodeVisitor Visitor = new MatchingNodeVisitor<GraphQLField>((field, context) =>
    {
        if (context.TypeInfo.GetParentType() is not { } parent || !IsRoot(context.Schema, parent)) return;
        var name = field.Name.StringValue;
        if (name.StartsWith("__", StringComparison.Ordinal)) return;
        if (context.UserContext is not FlowstateUserContext caller)
        {
            context.ReportError(new ValidationError("Sign in: this request carries no verified identity.") { Code = ErrorCodes.Unauthenticated });
            return;
        }
        if (!Access.Allows(parent.Name, name, caller.Roles))
            context.ReportError(new ValidationError(context.Document.Source, "access", $"Your roles do not allow {parent.Name}.{name}.", field)
                { Code = ErrorCodes.Forbidden });
    });

    private static bool IsRoot(ISchema schema, IGraphType type) =>
        ReferenceEquals(type, schema.Query) || ReferenceEquals(type, schema.Mutation) || ReferenceEquals(type, schema.Subscription);

    public override ValueTask<INodeVisitor?> GetPreNodeVisitorAsync(ValidationContext context) => new(Visitor);
}
