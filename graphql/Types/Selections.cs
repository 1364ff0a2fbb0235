using GraphQL;
using GraphQLParser;
using GraphQLParser.AST;

namespace Flowstate.GraphQL.Types;

/// <summary>What a client selected below the current field, so resolvers ask grains only for what will be shown.</summary>
public static class Selections
{
    /// <summary>
    /// True when the selection of the current field reaches <paramref name="path"/> (field names,
    /// not aliases), through inline fragments and fragment spreads. @skip/@include are not
    /// evaluated: a conditional selection counts as selected, which costs work but is never wrong.
    /// </summary>
    public static bool Has(IResolveFieldContext c, params string[] path) => Reaches(c.Document, c.FieldAst.SelectionSet, path, 0);

    private static bool Reaches(GraphQLDocument document, GraphQLSelectionSet? set, string[] path, int depth)
    {
        if (set is null) return false;
        foreach (var selection in set.Selections)
        {
            var found = selection switch
            {
                GraphQLField f when f.Name == path[depth] => depth == path.Length - 1 || Reaches(document, f.SelectionSet, path, depth + 1),
                GraphQLInlineFragment inline => Reaches(document, inline.SelectionSet, path, depth),
                GraphQLFragmentSpread spread => document.FindFragmentDefinition(spread.FragmentName.Name.Value) is { } fragment
                    && Reaches(document, fragment.SelectionSet, path, depth),
                _ => false,
            };
            if (found) return true;
        }
        return false;
    }
}
