using Flowstate.GraphQL.Types;
using GraphQL.Types;
using GraphQL.Validation;
using GraphQLParser.AST;

namespace Flowstate.GraphQL.Schema;

/// <summary>
/// Enforces <see cref="Access"/> on every root field of the document (fragments included) before
/// execution: a field the caller's roles do not allow fails the whole request with FORBIDDEN, so
/// a refused call runs nothing and changes nothing. Introspection (<c>__schema</c>, <c>__type</c>)
/// is open to every signed-in caller where <see cref="IntrospectionPolicy"/> allows it (development,
/// or a deployment that turns it on), else FORBIDDEN; <c>__typename</c> is always answered.
/// </summary>
public sealed class AccessValidationRule(IntrospectionPolicy introspection) : ValidationRuleBase
{
    private readonly INodeVisitor _visitor = new MatchingNodeVisitor<GraphQLField>((field, context) =>
    {
        if (context.TypeInfo.GetParentType() is not { } parent || !IsRoot(context.Schema, parent)) return;
        var name = field.Name.StringValue;
        if (name is "__schema" or "__type" && !introspection.Enabled)
        {
            context.ReportError(new ValidationError(context.Document.Source, "introspection",
                "Introspection is off on this server (set Flowstate:GraphQL:Introspection to turn it on).", field) { Code = ErrorCodes.Forbidden });
            return;
        }
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

    public override ValueTask<INodeVisitor?> GetPreNodeVisitorAsync(ValidationContext context) => new(_visitor);
}

/// <summary>Whether the schema may be introspected (GraphiQL, codegen): on in development, off in production unless configured.</summary>
public sealed record IntrospectionPolicy(bool Enabled);
