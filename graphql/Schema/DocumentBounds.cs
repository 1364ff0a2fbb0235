using GraphQL;
using GraphQL.DI;
using GraphQLParser;
using GraphQLParser.AST;
using GraphQLParser.Exceptions;

namespace Flowstate.GraphQL.Schema;

/// <summary>
/// Bounds a document before validation runs, since some validation rules cost far more than the
/// document's size: fragments that spread each other twice double the fields per level (26 levels
/// cost 27 s of CPU), many fields of one response name are compared pairwise (1,000 took 32 s), and
/// thousands of directives are each visited. A document over a bound is refused with
/// <c>INVALID_INPUT</c> after one parse and one linear walk; the parsed document is handed on, so it
/// is not parsed twice.
/// </summary>
public static class DocumentBounds
{
    /// <summary>Characters in a document.</summary>
    public const int MaxLength = 128 * 1024;
    /// <summary>Nesting of the syntax tree (the parser stops deeper documents before recursing further).</summary>
    public const int MaxSyntaxDepth = 128;
    /// <summary>Fields once every fragment spread is replaced by its fragment.</summary>
    public const int MaxExpandedFields = 2_000;
    /// <summary>Fields of one response name in one selection set (each pair is compared).</summary>
    public const int MaxSameResponseName = 20;
    public const int MaxDirectives = 50;

    public static async Task<ExecutionResult> ApplyAsync(ExecutionOptions options, ExecutionDelegate next)
    {
        if (options.Document is null && options.Query is { } query)
        {
            if (Check(query, out var document) is { } problem)
                return new ExecutionResult(new ExecutionError(problem) { Code = ErrorCodes.InvalidInput });
            options.Document = document;   // null when it does not parse: the executor reports the syntax error
        }
        return await next(options);
    }

    /// <summary>Null when <paramref name="query"/> is within every bound (then <paramref name="document"/> is it, parsed, or null when it does not parse); else why not.</summary>
    public static string? Check(string query, out GraphQLDocument? document)
    {
        document = null;
        if (query.Length > MaxLength) return $"The document is too large: at most {MaxLength} characters.";
        try
        {
            document = Parser.Parse(query, new ParserOptions { MaxDepth = MaxSyntaxDepth });
        }
        catch (GraphQLMaxDepthExceededException)
        {
            return $"The document is nested too deeply: at most {MaxSyntaxDepth} levels of syntax.";
        }
        catch (GraphQLParserException)
        {
            return null;
        }
        var walk = new Walk(document);
        var problem = walk.Run();
        if (problem is not null) document = null;
        return problem;
    }

    private sealed class Walk(GraphQLDocument document)
    {
        private readonly Dictionary<string, long> _fragmentFields = new(StringComparer.Ordinal);
        private readonly HashSet<string> _inProgress = new(StringComparer.Ordinal);
        private int _directives;
        private string? _problem;

        public string? Run()
        {
            long fields = 0;
            foreach (var definition in document.Definitions)
            {
                switch (definition)
                {
                    case GraphQLOperationDefinition operation:
                        Directives(operation.Directives);
                        fields = Add(fields, Fields(operation.SelectionSet));
                        break;
                    case GraphQLFragmentDefinition fragment:
                        Directives(fragment.Directives);
                        // An unused fragment is invalid, but validation would still walk it: it is bounded on its own.
                        if (FragmentFields(fragment.FragmentName.Name.StringValue) > MaxExpandedFields)
                            _problem ??= $"The document selects too many fields once its fragments are expanded: at most {MaxExpandedFields}.";
                        break;
                }
                if (_problem is not null) return _problem;
            }
            if (fields > MaxExpandedFields)
                return $"The document selects too many fields once its fragments are expanded: at most {MaxExpandedFields}.";
            return _problem;
        }

        private static long Add(long a, long b) => Math.Min(a + b, MaxExpandedFields + 1L);

        private void Directives(GraphQLDirectives? directives)
        {
            _directives += directives?.Count ?? 0;
            if (_directives > MaxDirectives) _problem ??= $"The document has too many directives: at most {MaxDirectives}.";
        }

        /// <summary>Fields of a selection set with fragments expanded, saturating just above the bound.</summary>
        private long Fields(GraphQLSelectionSet? set)
        {
            if (set is null || _problem is not null) return 0;
            long count = 0;
            Dictionary<string, int>? names = null;
            foreach (var selection in set.Selections)
            {
                switch (selection)
                {
                    case GraphQLField field:
                        Directives(field.Directives);
                        var name = (field.Alias?.Name ?? field.Name).StringValue;
                        names ??= new Dictionary<string, int>(StringComparer.Ordinal);
                        if ((names[name] = names.GetValueOrDefault(name) + 1) > MaxSameResponseName)
                            _problem ??= $"The document selects '{name}' too many times in one place: at most {MaxSameResponseName}.";
                        count = Add(count, 1 + Fields(field.SelectionSet));
                        break;
                    case GraphQLInlineFragment inline:
                        Directives(inline.Directives);
                        count = Add(count, Fields(inline.SelectionSet));
                        break;
                    case GraphQLFragmentSpread spread:
                        Directives(spread.Directives);
                        count = Add(count, FragmentFields(spread.FragmentName.Name.StringValue));
                        break;
                }
                if (_problem is not null || count > MaxExpandedFields) break;
            }
            return count;
        }

        /// <summary>Each fragment is counted once and remembered; a cycle counts nothing (validation refuses it).</summary>
        private long FragmentFields(string name)
        {
            if (_fragmentFields.TryGetValue(name, out var known)) return known;
            if (!_inProgress.Add(name)) return 0;
            var fragment = document.FindFragmentDefinition(name);
            var count = fragment is null ? 0 : Fields(fragment.SelectionSet);
            _inProgress.Remove(name);
            return _fragmentFields[name] = count;
        }
    }
}
