using Microsoft.Extensions.Configuration;
using Flowstate.Storage;
using Npgsql;

namespace Flowstate.Tests.Unit;

public sealed class InputLimitsTests
{
    [Theory]
    [InlineData("plain text", false)]
    [InlineData("émoji 🚀 and CJK 漢字", false)]
    [InlineData("nul \u0000 inside", true)]
    [InlineData("bell \u0007", true)]
    [InlineData("escape \u001b[31m", true)]
    [InlineData("delete \u007f", true)]
    [InlineData("c1 \u0085 next line", true)]
    [InlineData("tab\tin a name", false)]
    [InlineData("line\nbreak", true)]
    public void SingleLineText_RefusesControlCharacters(string value, bool refused) =>
        Assert.Equal(refused, InputLimits.TextProblem(value) is not null);

    [Fact]
    public void Notes_TakeTabsAndLineBreaks_ButNotNul()
    {
        Assert.Null(InputLimits.TextProblem("line one\r\nline two\tend", InputLimits.MaxNote, multiline: true));
        Assert.Contains("U+0000", InputLimits.TextProblem("a\u0000b", InputLimits.MaxNote, multiline: true));
    }

    [Fact]
    public void BrokenSurrogates_AreRefused_PairsAreTaken()
    {
        Assert.Null(InputLimits.TextProblem("ok \ud83d\ude80"));
        Assert.Contains("surrogate", InputLimits.TextProblem("lone high " + (char)0xD800));
        Assert.Contains("surrogate", InputLimits.TextProblem((char)0xDC00 + " lone low"));
        Assert.Contains("surrogate", InputLimits.TextProblem("reversed " + (char)0xDE80 + (char)0xD83D));
    }

    [Fact]
    public void Length_IsBounded()
    {
        Assert.Null(InputLimits.TextProblem(new string('x', InputLimits.MaxText)));
        Assert.Contains("at most 1000", InputLimits.TextProblem(new string('x', InputLimits.MaxText + 1)));
        Assert.Contains("at most 10", InputLimits.TextProblem("12345678901", maxLength: 10));
    }

    [Theory]
    [InlineData("0", true)]
    [InlineData("-4.25", true)]
    [InlineData("999999999999.9999999999", true)]
    [InlineData("1000000000000", false)]
    [InlineData("-1000000000000", false)]
    [InlineData("79228162514264337593543950335", false)]
    [InlineData("0.1234567891", true)]
    [InlineData("0.12345678912", false)]
    [InlineData("0.123456789012345678901234567890", false)]
    [InlineData("1.50000000000000", true)]
    [InlineData("1.5e-3", true)]
    [InlineData("1.5e-10", false)]
    [InlineData("12e3", true)]
    public void Money_IsBoundedInSizeAndPlaces(string text, bool taken)
    {
        var parsed = decimal.Parse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture);
        var problem = InputLimits.MoneyTextProblem(text) ?? InputLimits.MoneyProblem(parsed);
        Assert.Equal(taken, problem is null);
    }

    [Theory]
    [InlineData("22021", "INVALID_INPUT")]   // character not in repertoire (a NUL in text)
    [InlineData("22P05", "INVALID_INPUT")]   // untranslatable character (a NUL in jsonb)
    [InlineData("23505", "INVALID_INPUT")]   // unique violation
    [InlineData("42P01", "INTERNAL")]        // undefined table: a bug, not retryable
    [InlineData("53300", "STORAGE_UNAVAILABLE")]
    [InlineData("57P01", "STORAGE_UNAVAILABLE")]
    [InlineData("40P01", "STORAGE_UNAVAILABLE")]
    public void StorageErrors_AreRetryableOnlyWhenTheSystemIsAtFault(string sqlState, string code)
    {
        var error = StorageExceptionFilter.Translate(new PostgresException("refused", "ERROR", "ERROR", sqlState));
        Assert.Equal(code, error switch { StorageRejectedException r => r.Code, StorageUnavailableException => "STORAGE_UNAVAILABLE", _ => error.GetType().Name });
    }
}

public sealed class ConnectionBudgetTests
{
    [Theory]
    [InlineData(20, 8, 2, 10)]
    [InlineData(9, 3, 2, 4)]
    [InlineData(4, 1, 1, 2)]
    public void TheBudget_IsSplitBetweenOrleans_TheBatchedGrainState_AndTheStores(int budget, int orleans, int batched, int stores)
    {
        var split = Flowstate.Silo.Options.ConnectionBudget.Of("Host=db;Username=u;Password=p;Database=d;Maximum Pool Size=100", budget, waitSeconds: 5);
        var o = new NpgsqlConnectionStringBuilder(split.Orleans);
        var b = new NpgsqlConnectionStringBuilder(split.BatchedGrainState);
        var s = new NpgsqlConnectionStringBuilder(split.ReadModels);
        Assert.Equal((orleans, batched, stores), (o.MaxPoolSize, b.MaxPoolSize, s.MaxPoolSize));
        Assert.Equal(budget, o.MaxPoolSize + b.MaxPoolSize + s.MaxPoolSize);
        Assert.Equal((5, 5), (o.Timeout, s.Timeout));
        Assert.Equal(("flowstate-orleans", "flowstate-orleans", "flowstate-stores"), (o.ApplicationName, b.ApplicationName, s.ApplicationName));
        Assert.Equal(("db", "d"), (o.Host, s.Database));
        // Orleans' fixed statements are prepared; the stores' per-query SQL is planned for its values.
        Assert.Equal((Flowstate.Silo.Options.ConnectionBudget.OrleansPrepared, 0), (o.MaxAutoPrepare, s.MaxAutoPrepare));
    }

    [Fact]
    public void TheBudget_IsValidatedAtStart()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["FLOWSTATE_DB"] = "Host=db;Username=u;Database=d", ["FLOWSTATE_DB_MAX_CONNECTIONS"] = "two",
        }).Build();
        var error = Assert.Throws<InvalidOperationException>(() => Flowstate.Silo.Options.FlowstateOptions.Load(configuration));
        Assert.Contains("FLOWSTATE_DB_MAX_CONNECTIONS", error.Message);
    }
}
