using GraphQL;
using GraphQL.DI;
using GraphQL.Execution;
using GraphQL.Validation;
using GraphQLParser.AST;

namespace Flowstate.GraphQL.Schema;

/// <summary>
/// Whether validation errors may suggest names ("Did you mean 'providers'?"): on in development, off
/// in production unless configured, since with introspection off the suggestions would still spell
/// the schema out to anyone who guesses (DESIGN §7: field suggestions off in production).
/// </summary>
public sealed record SuggestionPolicy(bool Enabled);

/// <summary>
/// GraphQL.NET's error output (code, codes, number, locations) with two changes. A document that does
/// not parse or validate is <c>INVALID_INPUT</c>, as every bad input is: the library's own code for it
/// (<c>FIELDS_ON_CORRECT_TYPE</c>, <c>SYNTAX_ERROR</c>, …) moves to <c>extensions.rule</c>, so clients
/// only ever see the contract's codes (<see cref="ErrorCodes.All"/>). And the suggestions of validation
/// errors are left out where <see cref="SuggestionPolicy"/> is off. Both transports write errors through
/// it (the serializer asks the registered provider), so the rules hold over HTTP and WebSocket alike.
/// </summary>
public sealed class FlowstateErrorInfoProvider(SuggestionPolicy suggestions) : ErrorInfoProvider
{
    /// <summary>How GraphQL.NET's rules (FieldsOnCorrectType, KnownArgumentNames, KnownTypeNames, …) start their suggestion; it always ends the message.</summary>
    private const string Suggestion = " Did you mean ";

    public override ErrorInfo GetInfo(ExecutionError executionError)
    {
        var info = base.GetInfo(executionError);
        if (executionError is DocumentError && info.Extensions is { } extensions
            && extensions.TryGetValue("code", out var code) && code is string rule && !ErrorCodes.All.Contains(rule))
        {
            extensions["code"] = ErrorCodes.InvalidInput;
            extensions["codes"] = new[] { ErrorCodes.InvalidInput };
            extensions["rule"] = rule;
        }
        if (!suggestions.Enabled && executionError is ValidationError && info.Message.IndexOf(Suggestion, StringComparison.Ordinal) is >= 0 and var at)
            info.Message = info.Message[..at];
        return info;
    }
}

/// <summary>
/// Our own execution deadline for queries: a query (parsing, validation and execution) that takes
/// longer than <see cref="Timeout"/> is cancelled and answered with <c>TIMEOUT</c>, and one whose client
/// has gone is cancelled too. Mutations are not cut off, by the deadline or by a client that goes: their
/// root fields run one after another, and stopping between two would leave the first written and the
/// second not; a mutation runs to its end (each grain call bounded by Orleans' response timeout, the
/// document by <see cref="DocumentBounds"/>) or not at all.
/// </summary>
public sealed record QueryDeadline(TimeSpan Timeout)
{
    public static readonly QueryDeadline Default = new(TimeSpan.FromSeconds(30));

    /// <summary>An execution step (after <see cref="DocumentBounds"/>, which hands on the parsed document).</summary>
    public static async Task<ExecutionResult> ApplyAsync(ExecutionOptions options, ExecutionDelegate next)
    {
        var deadline = options.RequestServices?.GetService(typeof(QueryDeadline)) as QueryDeadline ?? Default;
        var operation = OperationOf(options);
        if (operation == OperationType.Mutation)
        {
            options.CancellationToken = CancellationToken.None;
            return await next(options);
        }
        if (operation != OperationType.Query || deadline.Timeout == System.Threading.Timeout.InfiniteTimeSpan)
            return await next(options);
        var caller = options.CancellationToken;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(caller);
        timeout.CancelAfter(deadline.Timeout);
        options.CancellationToken = timeout.Token;
        try
        {
            return await next(options);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !caller.IsCancellationRequested)
        {
            return new ExecutionResult(new ExecutionError(
                $"The query did not finish within {deadline.Timeout.TotalSeconds:0.###} s and was cancelled; ask for less (a smaller range or page).")
                { Code = ErrorCodes.Timeout });
        }
    }

    /// <summary>The type of the operation the request runs, or null when the document did not parse or names none.</summary>
    private static OperationType? OperationOf(ExecutionOptions options)
    {
        if (options.Document is not { } document) return null;
        GraphQLOperationDefinition? chosen = null;
        foreach (var operation in document.Definitions.OfType<GraphQLOperationDefinition>())
        {
            if (options.OperationName is { } name ? operation.Name?.StringValue == name : chosen is null) chosen = operation;
            else if (options.OperationName is null) return null;   // several operations and none named: the executor refuses it
        }
        return chosen?.Operation;
    }
}
