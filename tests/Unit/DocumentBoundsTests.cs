using System.Text;
using Flowstate.GraphQL.Schema;

namespace Flowstate.Tests.Unit;

/// <summary>The document bounds that run before validation: each bomb of issue 9 is refused after one parse and one walk; ordinary documents pass.</summary>
public sealed class DocumentBoundsTests
{
    private static string FragmentBomb(int levels)
    {
        var sb = new StringBuilder($"query {{ ...L{levels} }}\nfragment L0 on Query {{ providers {{ id }} }}\n");
        for (var i = 1; i <= levels; i++) sb.Append($"fragment L{i} on Query {{ ...L{i - 1} ...L{i - 1} }}\n");
        return sb.ToString();
    }

    public static TheoryData<string, string> Bombs => new()
    {
        { "fragments spreading each other twice, 26 levels", FragmentBomb(26) },
        { "an unused fragment bomb", FragmentBomb(30).Replace("query { ...L30 }", "query { providers { id } }") },
        { "1,000 fields of one alias", "{ " + string.Join(' ', Enumerable.Range(0, 1000).Select(i => $"a: billingRow(id: \"x{i}\") {{ id }}")) + " }" },
        { "10,000 directives", "{ providers { id " + string.Concat(Enumerable.Repeat("@skip(if: false) ", 10_000)) + "} }" },
        { "20,000 levels of nesting", string.Concat(Enumerable.Repeat("{ a ", 20_000)) + new string('}', 20_000) },
        { "10,000 distinct fields", "{ " + string.Join(' ', Enumerable.Range(0, 10_000).Select(i => $"p{i}: providers {{ id }}")) + " }" },
        { "a document over 128 KB", "{ billingRow(id: \"" + new string('x', 140_000) + "\") { id } }" },
    };

    [Theory]
    [MemberData(nameof(Bombs))]
    public void ABomb_IsRefusedBeforeValidation(string what, string query)
    {
        Assert.NotNull(DocumentBounds.Check(query, out var document));
        Assert.Null(document);
        _ = what;
    }

    [Theory]
    [InlineData("{ providers { id name } }")]
    [InlineData("query { ...L10 }\nfragment L0 on Query { providers { id } }\nfragment L1 on Query { ...L0 ...L0 }\nfragment L2 on Query { ...L1 }\nfragment L3 on Query { ...L2 }\nfragment L4 on Query { ...L3 }\nfragment L5 on Query { ...L4 }\nfragment L6 on Query { ...L5 }\nfragment L7 on Query { ...L6 }\nfragment L8 on Query { ...L7 }\nfragment L9 on Query { ...L8 }\nfragment L10 on Query { ...L9 }")]
    [InlineData("query IntrospectionQuery { __schema { queryType { name } types { ...FullType } } } fragment FullType on __Type { kind name fields(includeDeprecated: true) { name args { ...InputValue } type { ...TypeRef } } inputFields { ...InputValue } } fragment InputValue on __InputValue { name type { ...TypeRef } defaultValue } fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }")]
    public void AnOrdinaryDocument_Passes_Parsed(string query)
    {
        Assert.Null(DocumentBounds.Check(query, out var document));
        Assert.NotNull(document);
    }

    [Fact]
    public void ADocumentThatDoesNotParse_IsLeftToTheExecutor()
    {
        Assert.Null(DocumentBounds.Check("{ providers { id ", out var document));
        Assert.Null(document);
    }
}
